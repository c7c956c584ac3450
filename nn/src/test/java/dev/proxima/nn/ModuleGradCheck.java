package dev.proxima.nn;

import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/** Float64 finite-difference checks of order 1 and 2 for a module, with respect to its inputs and every parameter. */
final class ModuleGradCheck {
    private ModuleGradCheck() {}

    static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Rng(seed), DType.FLOAT64, shape);
    }

    /** Checks x -> m.apply(params, x) (the module is converted to float64 first). */
    static void check(Module m, Tensor x) {
        checkWith(m, List.of(x), (p, in) -> m.apply(p, in.get(0)));
    }

    /** Checks {@code f(params, inputs)} with respect to the floating inputs and the parameters, order 1 and 2. */
    static void checkWith(Module m, List<Tensor> inputs, BiFunction<Params, List<Tensor>, Tensor> f) {
        checkWith(m, inputs, f, true);
    }

    /**
     * As above; without {@code secondOrderInParams} the order-2 check varies the inputs only
     * (parameters held fixed), which keeps large layers' checks fast: the cost of an order-2
     * check grows with (number of tensors) × (number of elements).
     */
    static void checkWith(Module m, List<Tensor> inputs, BiFunction<Params, List<Tensor>, Tensor> f, boolean secondOrderInParams) {
        m.to(DType.FLOAT64);
        Params p0 = m.params();
        List<Tensor> xs = new ArrayList<>(inputs);
        xs.addAll(p0.values());
        int k = inputs.size();
        java.util.function.Function<List<Tensor>, Tensor> fn = all -> f.apply(p0.withValues(all.subList(k, all.size())), all.subList(0, k));
        GradCheck.Options o = new GradCheck.Options(1e-6, 1e-6, 1e-4, 99);
        GradCheck.check(fn, xs, o);
        if (secondOrderInParams || inputs.isEmpty()) GradCheck.checkSecondOrder(fn, xs, o);
        else GradCheck.checkSecondOrder(in -> f.apply(p0.detach(), in), inputs, o);
    }
}
