package dev.proxima.bench;

import java.util.Arrays;

/**
 * Entry point of {@code ./proxima bench NAME [--scalar] [--device SPEC] [--repeat N] [--dtype bf16]}. Each
 * case prints human-readable lines and ends with exactly one machine-readable line:
 * {@code RESULT bench=NAME key=value ...}.
 */
public final class Bench {
    private Bench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("bench: name one of: sgemm, elementwise, reduce, autograd, train, dataparallel, apo");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "sgemm" -> {
                SideBySide b = new SideBySide(BenchOptions.parse("sgemm", rest, 9));
                b.sgemm();
                b.verdict();
            }
            case "elementwise" -> {
                SideBySide b = new SideBySide(BenchOptions.parse("elementwise", rest, 15));
                b.elementwise();
                b.verdict();
            }
            case "reduce" -> {
                SideBySide b = new SideBySide(BenchOptions.parse("reduce", rest, 15));
                b.reduce();
                b.verdict();
            }
            case "autograd" -> AutogradBench.main(rest);
            case "train" -> TrainBench.main(rest);
            case "dataparallel" -> DataParallelBench.main(rest);
            case "apo" -> dev.proxima.bench.apo.ApoStudy.main(rest);
            default -> {
                System.err.println("bench: unknown benchmark '" + args[0] + "' (sgemm, elementwise, reduce, autograd, train, dataparallel, apo)");
                System.exit(2);
            }
        }
    }
}
