package dev.proxima.cli;

import java.io.PrintStream;

/** Runs a training job described by a {@link TrainConfig}. */
final class Trainer {
    private Trainer() {}

    static boolean run(TrainConfig config, PrintStream out) {
        throw new Main.UserError("training needs the nn and optim modules, which are not in this build yet");
    }
}
