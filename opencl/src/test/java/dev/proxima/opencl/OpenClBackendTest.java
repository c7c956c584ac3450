package dev.proxima.opencl;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Device discovery, errors, and deterministic release of device memory. */
class OpenClBackendTest {
    private OpenClBackend backend;

    @BeforeEach
    void device() {
        backend = OpenClAvailable.assume();
    }

    @Test
    void foundThroughServiceLoader() {
        assertSame(backend, Device.parse("opencl:0").backend());
        assertSame(backend, Device.opencl().backend());
        assertEquals("opencl:0", backend.device().toString());
    }

    @Test
    void missingDeviceListsTheDevicesFound() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Device.opencl(99).backend());
        assertTrue(e.getMessage().contains("opencl:99") && e.getMessage().contains("opencl:0 = "), e.getMessage());
    }

    /**
     * Run in a child JVM: PoCL's compiler writes "1 error generated." straight to the process's
     * standard error, past Java's streams, where it would land in the test output as noise.
     */
    @Test
    void buildFailureCarriesTheBuildLog() throws Exception {
        String cp = java.util.stream.Stream.of(System.getProperty("jdk.module.path"), System.getProperty("java.class.path"))
                .filter(x -> x != null && !x.isEmpty()).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-cp", cp, BrokenBuild.class.getName()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String message = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), message);
        assertTrue(message.contains("build log") && message.contains("undefined_name"), message);
    }

    /** Builds a program that does not compile; prints the error's message. */
    public static final class BrokenBuild {
        public static void main(String[] args) {
            OpenClBackend b = (OpenClBackend) Device.opencl().backend();
            try {
                b.build("test program", "__kernel void broken(__global float* x) { x[0] = undefined_name; }", GemmConfig.parse("32,32,8,4,4"));
            } catch (IllegalStateException e) {
                System.out.println(e.getMessage());
                return;
            }
            System.out.println("the broken program built");
            System.exit(3);
        }
    }

    @Test
    void arraysMoveOnlyWhenAsked() {
        NDArray a = NDArray.of(new float[] {1, 2, 3, 4}, 2, 2);
        NDArray g = a.to(Device.opencl());
        assertEquals(Device.opencl(), g.device());
        NDArray r = g.matmul(g).tanh().sum(0);
        assertEquals(Device.opencl(), r.device());
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class, () -> a.add(g));
        assertTrue(mixed.getMessage().contains("different devices"), mixed.getMessage());
        assertArrayEquals(a.matmul(a).tanh().sum(0).toFloatArray(), r.toFloatArray(), 1e-5f);
    }

    @Test
    void closeReleasesOnceAndTheCleanerAfterIt() throws InterruptedException {
        // Earlier tests leave garbage whose buffers the Cleaner frees on its own thread; let
        // that settle first, or the count moves under this test (seen once under load).
        int before = settledLiveCount(Integer.MAX_VALUE);
        ClStorage s = (ClStorage) backend.allocate(DType.FLOAT32, 1000);
        assertEquals(before + 1, backend.liveBuffers());
        s.close();
        s.close();
        assertEquals(before, backend.liveBuffers());
    }

    /**
     * 2,000 steps of a small loop of array ops (dozens of temporaries each): the live-buffer
     * count must come back to where it was, once the Cleaner has run.
     */
    @Test
    void liveBuffersStayFlatOverTwoThousandSteps() throws InterruptedException {
        Rng rng = new Rng(3);
        NDArray w = rng.normal(0, 0.1, DType.FLOAT32, Device.opencl(), 16, 16);
        NDArray x = rng.normal(0, 1, DType.FLOAT32, Device.opencl(), 8, 16);
        int baseline = -1;
        for (int step = 0; step < 2000; step++) {
            NDArray h = x.matmul(w).tanh().add(x.mT().sum(1)).softmax(1);
            x = x.sub(h.mul(0.01)).div(x.square().sum(new int[] {1}, true).div(16.0).add(1.0).sqrt()); // a row mean
            if (step == 99) baseline = settledLiveCount(Integer.MAX_VALUE);
        }
        backend.finish();
        int end = settledLiveCount(baseline);
        assertTrue(end <= baseline, "live buffers grew from " + baseline + " (after 100 steps) to " + end + " (after 2000)");
        assertTrue(Double.isFinite(x.sum().item()));
    }

    /** Runs the GC until the count is at most {@code target} or stops falling (bounded). */
    private int settledLiveCount(int target) throws InterruptedException {
        int last = backend.liveBuffers();
        for (int i = 0; i < 100 && last > target; i++) {
            System.gc();
            Thread.sleep(20);
            last = backend.liveBuffers();
        }
        if (target == Integer.MAX_VALUE) { // no target: wait until two rounds agree
            for (int i = 0; i < 20; i++) {
                System.gc();
                Thread.sleep(20);
                int now = backend.liveBuffers();
                if (now == last) break;
                last = now;
            }
        }
        return last;
    }
}
