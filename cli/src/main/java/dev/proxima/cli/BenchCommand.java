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
final class BenchCommand implements Runnable, Main.Checked {
    /** The names {@code bench} accepts: the bench module's registry, the one list. */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Bench.names().iterator();
        }
    }

    /** A registered name, or a conversion error listing them. */
    static final class NameConverter implements picocli.CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!Bench.REGISTRY.containsKey(value))
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a benchmark (" + String.join(", ", Bench.names()) + ")");
            return value;
        }
    }

    @Parameters(index = "0", paramLabel = "NAME", completionCandidates = Names.class, converter = NameConverter.class,
            description = "One of: ${COMPLETION-CANDIDATES}.")
    String name;

    @Option(names = "--scalar", description = "Run the scalar CPU kernels (the launcher leaves the Vector API module out).")
    boolean scalar;

    @Option(names = "--device", paramLabel = "SPEC", converter = DeviceSpec.class,
            description = "cpu (default) or opencl[:N].")
    String device;

    @Option(names = "--repeat", paramLabel = "N", description = "Timed runs; the median is reported.")
    Integer repeat;

    @Option(names = "--dtype", paramLabel = "TYPE", description = "sgemm, elementwise, reduce: bf16 adds a bfloat16 run of "
            + "every case beside the float32 one, the two timed in alternation (CPU only).")
    String dtype;

    @Option(names = "--warmup", paramLabel = "N", description = "autograd, train and conv: the fewest warm-up iterations (warm-up then lasts until the timing is stable).")
    Integer warmup;

    @Option(names = "--cases", paramLabel = "LIST", description = "autograd: chain,mlp; train: mlp,cnn,transformer; conv: conv1_fwd,conv1_bwd_weight,conv2_fwd,conv2_bwd_input,conv2_bwd_weight,pool1,pool2,bn1,bn2.")
    String cases;

    @Option(names = "--no-peer", description = "autograd, train and conv: skip the PyTorch peer.")
    boolean noPeer;

    @Option(names = "--models", paramLabel = "LIST", description = "dataparallel only: mlp,cnn (default both).")
    String models;

    @Option(names = "--workers", paramLabel = "N", description = "dataparallel only: worker threads (default 2).")
    Integer workers;

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
        List<String> args = benchArgs();
        try {
            Bench.main(args.toArray(String[]::new));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void check() {
        benchArgs();
    }

    /** The bench module's arguments; a UserError for options that do not fit NAME. */
    private List<String> benchArgs() {
        boolean apo = name.equals("apo"), dataParallel = name.equals("dataparallel");
        if (!apo && (quick || protocol != null || reportOnly || out != null || tasks != null))
            throw new Main.UserError("--quick, --protocol, --report-only, --out and --tasks apply to 'bench apo' only");
        if (apo && (device != null || repeat != null))
            throw new Main.UserError("'bench apo' runs on the CPU with its own budget: --device and --repeat do not apply");
        if (quick && protocol != null) throw new Main.UserError("--quick and --protocol exclude each other");
        if (protocol != null && !protocol.equals("full")) throw new Main.UserError("--protocol " + protocol + ": the one protocol is 'full'");
        if (reportOnly && protocol == null) throw new Main.UserError("--report-only goes with --protocol full");
        if (repeat != null && repeat < 1) throw new Main.UserError("--repeat " + repeat + ": expected a positive integer");
        if (!dataParallel && (models != null || workers != null))
            throw new Main.UserError("--models and --workers apply to 'bench dataparallel' only");
        if (dataParallel && device != null)
            throw new Main.UserError("'bench dataparallel' runs on the CPU: --device does not apply");
        if (workers != null && workers < 2) throw new Main.UserError("--workers " + workers + ": expected 2 or more");
        boolean sideBySide = name.equals("sgemm") || name.equals("elementwise") || name.equals("reduce");
        if (dtype != null && !sideBySide) throw new Main.UserError("--dtype applies to 'bench sgemm', 'elementwise' and 'reduce' only");
        if (dtype != null && !List.of("bf16", "bfloat16", "f32", "float32").contains(dtype))
            throw new Main.UserError("--dtype " + dtype + ": expected bf16 or float32");
        if (dtype != null && device != null && !device.equals("cpu") && !List.of("f32", "float32").contains(dtype))
            throw new Main.UserError("--dtype " + dtype + " runs on the CPU only (no bfloat16 on " + device + " yet)");
        boolean autograd = name.equals("autograd") || name.equals("train") || name.equals("conv"); // the ones with a PyTorch peer
        if (!autograd && (warmup != null || cases != null || noPeer))
            throw new Main.UserError("--warmup, --cases and --no-peer apply to 'bench autograd', 'bench train' and 'bench conv' only");
        List<String> args = new ArrayList<>(List.of(name));
        if (scalar && !autograd) args.add("--scalar");
        if (quick) args.add("--quick");
        if (protocol != null) args.addAll(List.of("--protocol", protocol));
        if (reportOnly) args.add("--report-only");
        if (out != null) args.addAll(List.of("--out", out));
        if (tasks != null) args.addAll(List.of("--tasks", tasks));
        if (device != null) args.addAll(List.of("--device", device));
        if (repeat != null) args.addAll(List.of("--repeat", repeat.toString()));
        if (dtype != null) args.addAll(List.of("--dtype", dtype));
        if (warmup != null) args.addAll(List.of("--warmup", warmup.toString()));
        if (cases != null) args.addAll(List.of("--cases", cases));
        if (noPeer) args.add("--no-peer");
        if (models != null) args.addAll(List.of("--models", models));
        if (workers != null) args.addAll(List.of("--workers", workers.toString()));
        return args;
    }
}
