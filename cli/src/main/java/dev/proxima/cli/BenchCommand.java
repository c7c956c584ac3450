package dev.proxima.cli;

import dev.proxima.bench.Bench;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code proxima bench NAME}: the side-by-side benchmarks of the bench module. */
@Command(name = "bench", description = "Side-by-side benchmarks against NumPy/PyTorch: what 'speedup' means, "
        + "one RESULT line per case, a verdict.")
final class BenchCommand implements Runnable {
    enum Name { sgemm, elementwise, reduce, autograd, train, apo }

    @Parameters(index = "0", paramLabel = "NAME", description = "One of: ${COMPLETION-CANDIDATES}.")
    Name name;

    @Option(names = "--scalar", description = "Run the scalar CPU kernels (the launcher leaves the Vector API module out).")
    boolean scalar;

    @Option(names = "--device", paramLabel = "SPEC", converter = DeviceSpec.class,
            description = "cpu (default) or opencl[:N].")
    String device;

    @Option(names = "--repeat", paramLabel = "N", description = "Timed runs; the median is reported.")
    Integer repeat;

    @Option(names = "--warmup", paramLabel = "N", description = "autograd and train: warm-up iterations.")
    Integer warmup;

    @Option(names = "--cases", paramLabel = "LIST", description = "autograd: chain,mlp; train: mlp,cnn,transformer.")
    String cases;

    @Option(names = "--no-peer", description = "autograd and train: skip the PyTorch peer.")
    boolean noPeer;

    @Option(names = "--quick", description = "apo only: the study's few-minute smoke run (tiny budgets, one seed; the default).")
    boolean quick;

    @Option(names = "--protocol", paramLabel = "NAME", description = "apo only: 'full' runs the declared study protocol (hours; resumable, cells under docs/apo-study/).")
    String protocol;

    @Option(names = "--report-only", description = "apo only, with --protocol full: regenerate docs/apo-study.md from the stored cells, run nothing.")
    boolean reportOnly;

    @Option(names = "--out", paramLabel = "DIR", description = "apo only: where the study's report and figures go.")
    String out;

    @Option(names = "--tasks", paramLabel = "LIST", description = "apo only: which of the study's tasks to run (comma-separated).")
    String tasks;

    @Override
    public void run() {
        boolean apo = name == Name.apo;
        if (!apo && (quick || protocol != null || reportOnly || out != null || tasks != null))
            throw new Main.UserError("--quick, --protocol, --report-only, --out and --tasks apply to 'bench apo' only");
        if (apo && (device != null || repeat != null))
            throw new Main.UserError("'bench apo' runs on the CPU with its own budget: --device and --repeat do not apply");
        if (quick && protocol != null) throw new Main.UserError("--quick and --protocol exclude each other");
        if (protocol != null && !protocol.equals("full")) throw new Main.UserError("--protocol " + protocol + ": the one protocol is 'full'");
        if (reportOnly && protocol == null) throw new Main.UserError("--report-only goes with --protocol full");
        if (repeat != null && repeat < 1) throw new Main.UserError("--repeat " + repeat + ": expected a positive integer");
        boolean autograd = name == Name.autograd || name == Name.train; // the two with a PyTorch peer
        if (!autograd && (warmup != null || cases != null || noPeer))
            throw new Main.UserError("--warmup, --cases and --no-peer apply to 'bench autograd' and 'bench train' only");
        List<String> args = new ArrayList<>(List.of(name.name()));
        if (scalar && !autograd) args.add("--scalar");
        if (quick) args.add("--quick");
        if (protocol != null) args.addAll(List.of("--protocol", protocol));
        if (reportOnly) args.add("--report-only");
        if (out != null) args.addAll(List.of("--out", out));
        if (tasks != null) args.addAll(List.of("--tasks", tasks));
        if (device != null) args.addAll(List.of("--device", device));
        if (repeat != null) args.addAll(List.of("--repeat", repeat.toString()));
        if (warmup != null) args.addAll(List.of("--warmup", warmup.toString()));
        if (cases != null) args.addAll(List.of("--cases", cases));
        if (noPeer) args.add("--no-peer");
        try {
            Bench.main(args.toArray(String[]::new));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
