package dev.proxima.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.NDArray;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Bad settings are validated at first use, with a message naming the setting and its allowed
 * values: an IllegalArgumentException, never an ExceptionInInitializerError.
 */
class SettingsTest {

    @Provide
    Arbitrary<String> badThreadCounts() {
        return Arbitraries.oneOf(Arbitraries.integers().between(Integer.MIN_VALUE, 0).map(String::valueOf),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6), Arbitraries.of("1.5", "2x", "99999999999", " -3 "));
    }

    @Property
    void badThreadCountsNameTheSetting(@ForAll("badThreadCounts") String v, @ForAll boolean asProperty) {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Parallel.parseThreads(asProperty ? v : null, asProperty ? null : v));
        assertTrue(e.getMessage().contains(asProperty ? "-Dproxima.threads=" + v : "PROXIMA_THREADS=" + v), e.getMessage());
        assertTrue(e.getMessage().contains("positive integer"), e.getMessage());
    }

    @Property
    void goodThreadCountsParse(@ForAll("counts") int n) {
        assertEquals(n, Parallel.parseThreads(" " + n + " ", null));
        assertEquals(n, Parallel.parseThreads(null, String.valueOf(n)));
        assertEquals(n, Parallel.parseThreads(String.valueOf(n), "abc")); // the property wins
    }

    @Provide
    Arbitrary<Integer> counts() {
        return Arbitraries.integers().between(1, 4096);
    }

    @Property
    void badSimdSettingsNameTheAllowedValues(@ForAll("simdValues") String v) {
        var e = assertThrows(IllegalArgumentException.class, () -> Simd.parseSetting(v));
        assertTrue(e.getMessage().contains("proxima.simd=" + v) && e.getMessage().contains("auto, vector or scalar"), e.getMessage());
    }

    @Provide
    Arbitrary<String> simdValues() {
        return Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8)
                .filter(s -> !List.of("auto", "vector", "scalar").contains(s.toLowerCase()));
    }

    @Test
    void goodSimdSettingsParse() {
        assertEquals("auto", Simd.parseSetting(null));
        assertEquals("scalar", Simd.parseSetting(" Scalar"));
        assertEquals("vector", Simd.parseSetting("VECTOR"));
    }

    /** The first large op. */
    static final class FirstUse {
        public static void main(String[] args) {
            try {
                NDArray.zeros(1 << 20).exp().sum().item();
                System.out.println("ok");
            } catch (Throwable t) {
                System.out.println(t.getClass().getName() + ": " + t.getMessage());
                try {
                    NDArray.zeros(1 << 20).exp().sum().item(); // and again: the same error, not NoClassDefFoundError
                } catch (Throwable again) {
                    System.out.println(again.getClass().getName() + ": " + again.getMessage());
                }
            }
        }
    }

    private static List<String> runFresh(String... flags) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", FreshJvm.classPath(), FirstUse.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        return out.lines().toList();
    }

    @Test
    void badSettingsInAFreshJvmFailAtFirstUseWithTheSameClearError() throws Exception {
        List<String> simd = runFresh("-Dproxima.simd=bogus");
        assertEquals(2, simd.size(), simd.toString());
        for (String line : simd)
            assertTrue(line.startsWith("java.lang.IllegalArgumentException: -Dproxima.simd=bogus: expected auto, vector or scalar"), line);
        List<String> threads = runFresh("-Dproxima.threads=0");
        assertEquals(2, threads.size(), threads.toString());
        for (String line : threads)
            assertTrue(line.startsWith("java.lang.IllegalArgumentException: -Dproxima.threads=0: expected a positive integer"), line);
        assertEquals(List.of("ok"), runFresh("-Dproxima.simd=scalar", "-Dproxima.threads=1"));
    }

    /** Without the Vector API module, a program with no logging set up gets one line saying so, not two. */
    @Test
    void withoutTheVectorModuleOneLineSaysScalar() throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-cp", FreshJvm.classPath(),
                ScalarPath.class.getName());
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        assertEquals("scalar", out.strip());
        List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), err);
        assertTrue(lines.get(0).startsWith("INFO: Proxima CPU kernels: scalar path; jdk.incubator.vector is not in the boot layer"), err);
    }

    static final class ScalarPath {
        public static void main(String[] args) {
            NDArray.zeros(64).exp().sum().item();
            System.out.println(Simd.path());
        }
    }
}
