package dev.proxima.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point of {@code ./proxima bench NAME [--scalar] [--device SPEC] [--repeat N] [--dtype bf16]}. Each
 * case prints human-readable lines and ends with exactly one machine-readable line:
 * {@code RESULT bench=NAME key=value ...}.
 *
 * <p>{@link #REGISTRY} is the one list of benchmark names: this entry point dispatches on it
 * and the command line's {@code bench} command validates and completes from it, so a
 * benchmark added here is runnable from both at once.
 */
public final class Bench {
    private Bench() {}

    /** A benchmark's main, given the arguments after its name. */
    @FunctionalInterface
    public interface Runner {
        void run(String[] args) throws Exception;
    }

    /** Every benchmark, by the name {@code ./proxima bench NAME} takes, in the order help lists them. */
    public static final Map<String, Runner> REGISTRY;

    static {
        Map<String, Runner> m = new LinkedHashMap<>();
        m.put("sgemm", rest -> sideBySide("sgemm", rest, 9, SideBySide::sgemm));
        m.put("elementwise", rest -> sideBySide("elementwise", rest, 15, SideBySide::elementwise));
        m.put("reduce", rest -> sideBySide("reduce", rest, 15, SideBySide::reduce));
        m.put("autograd", AutogradBench::main);
        m.put("train", TrainBench::main);
        m.put("conv", ConvBench::main);
        m.put("dataparallel", DataParallelBench::main);
        m.put("apo", dev.proxima.bench.apo.ApoStudy::main);
        REGISTRY = java.util.Collections.unmodifiableMap(m);
    }

    /** The registered names, in order. */
    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("bench: name one of: " + String.join(", ", names()));
            System.exit(2);
        }
        Runner r = REGISTRY.get(args[0]);
        if (r == null) {
            System.err.println("bench: unknown benchmark '" + args[0] + "' (" + String.join(", ", names()) + ")");
            System.exit(2);
        }
        r.run(Arrays.copyOfRange(args, 1, args.length));
    }

    /** One of {@link SideBySide}'s cases against the NumPy peer. */
    private interface Case {
        void run(SideBySide b) throws Exception;
    }

    private static void sideBySide(String name, String[] rest, int defaultRepeat, Case c) throws Exception {
        SideBySide b = new SideBySide(BenchOptions.parse(name, rest, defaultRepeat));
        c.run(b);
        b.verdict();
    }
}
