package dev.proxima.bench.apo;

import dev.proxima.autograd.Params;
import dev.proxima.nn.Module;

/** The KFAC baseline, from optim's Kfac. */
final class KfacTrainer {
    private KfacTrainer() {}

    static boolean available() {
        return false;
    }

    static ApoStudy.Trainer create(Module model, StudyTask task, Params init) {
        throw new UnsupportedOperationException("KFAC is not on this branch yet");
    }

    static String describe() {
        return "KFAC (not available)";
    }
}
