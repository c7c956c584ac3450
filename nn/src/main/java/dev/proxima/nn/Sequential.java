package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Runs its children in order; child {@code i} is named {@code "i"} ({@code "0.weight"}). */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... layers) {
        for (Module m : layers) add(m);
    }

    public Sequential(List<? extends Module> layers) {
        for (Module m : layers) add(m);
    }

    /** Appends a layer (named by its position). */
    public Sequential add(Module m) {
        registerChild(Integer.toString(layers.size()), m);
        layers.add(m);
        return this;
    }

    public Module get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        for (int i = 0; i < layers.size(); i++) x = call.run(Integer.toString(i), layers.get(i), x);
        return x;
    }
}
