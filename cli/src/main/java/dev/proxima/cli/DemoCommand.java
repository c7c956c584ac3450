package dev.proxima.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code proxima demo}: the CNN on Fashion-MNIST with the best fixed learning rate of a small
 * grid against APO-LR, same seed and budget; a table and a plot of both.
 */
@Command(name = "demo", description = "CNN on Fashion-MNIST: the best fixed learning rate of a small grid vs APO-LR, "
        + "same seed and budget; a table and a PNG of both curves and APO's learning rate.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--long", description = "A longer comparison (more steps and a full test set).")
    boolean longer;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of both runs (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the runs and the plot go (default: runs/demo-TIME).")
    java.nio.file.Path out;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the Fashion-MNIST IDX files are (default: /usr/share/datasets/fashion-mnist).")
    java.nio.file.Path dataDir = TrainCommand.FASHION_MNIST;

    @Option(names = "--device", paramLabel = "SPEC", converter = DeviceSpec.class, description = "cpu (default), opencl or opencl:N.")
    String device = "cpu";

    @Override
    public Integer call() {
        TrainConfig.checkFashionMnist(dataDir);
        throw new Main.UserError("the demo needs the nn and optim modules, which are not in this build yet");
    }
}
