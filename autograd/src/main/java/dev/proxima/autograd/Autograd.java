package dev.proxima.autograd;

import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Shapes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reverse-mode differentiation. {@link #grad(List, List, List, boolean, boolean, boolean)} is
 * the primary entry point: it returns gradients and, with {@code createGraph}, records the
 * backward pass so the gradients can be differentiated again. {@link Tensor#backward()} is a
 * thin wrapper that accumulates into leaves. The functional transforms ({@link #vjp},
 * {@link #jvp}, {@link #hvp}, {@link #jacobian}, {@link #hessian}) are built on it.
 *
 * <p>Graphs live in the tensors (no global tape), so two graphs can be recorded and
 * differentiated independently, and a graph can be recorded while another is being
 * differentiated (meta-learning nests them). Recording can be switched off per thread with
 * {@link #noGrad()}, and {@link #detectAnomaly()} names the first op that produces NaN/Inf.
 */
public final class Autograd {
    private static final ThreadLocal<int[]> NO_GRAD_DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final ThreadLocal<int[]> ANOMALY_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private Autograd() {}

    // ---- modes -------------------------------------------------------------------------

    /** A scope in which no op is recorded. Scopes nest; close restores the previous mode. */
    public static Scope noGrad() {
        int[] d = NO_GRAD_DEPTH.get();
        d[0]++;
        return () -> d[0]--;
    }

    /** A scope in which recording is on again inside an enclosing {@link #noGrad()}. */
    public static Scope enableGrad() {
        int[] d = NO_GRAD_DEPTH.get();
        int saved = d[0];
        d[0] = 0;
        return () -> d[0] = saved;
    }

    public static boolean isGradEnabled() {
        return NO_GRAD_DEPTH.get()[0] == 0;
    }

    /**
     * A scope in which every forward and backward op checks its result for NaN/Inf and
     * throws, naming the op, its input shapes and where it was created. Slow: for debugging.
     */
    public static Scope detectAnomaly() {
        int[] d = ANOMALY_DEPTH.get();
        d[0]++;
        return () -> d[0]--;
    }

    private static Scope suspendAnomaly() {
        int[] d = ANOMALY_DEPTH.get();
        int saved = d[0];
        d[0] = 0;
        return () -> d[0] = saved;
    }

    static boolean anomalyEnabled() {
        return ANOMALY_DEPTH.get()[0] > 0;
    }

    /** A mode scope for try-with-resources; closing it never throws. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    static void checkFinite(String phase, Primitive op, NDArray[] inputs, NDArray result, Node node) {
        if (result == null || !result.dtype().isFloating()) return;
        for (double v : result.toDoubleArray()) {
            if (Double.isFinite(v)) continue;
            StringBuilder shapes = new StringBuilder();
            for (NDArray in : inputs) shapes.append(shapes.length() == 0 ? "" : ", ").append(Shapes.str(in.shape()));
            String where = "";
            if (node != null && node.createdAt != null) {
                StackTraceElement[] st = node.createdAt.getStackTrace();
                for (StackTraceElement e : st)
                    if (!e.getClassName().startsWith("dev.proxima.autograd.")) { where = "; op created at " + e; break; }
            }
            throw new ArithmeticException("anomaly: " + phase + " of '" + op + "' produced " + v + " (inputs " + shapes
                    + " -> " + Shapes.str(result.shape()) + ")" + where);
        }
    }

    // ---- the gradient function ---------------------------------------------------------

    /** d(output)/d(input) for a scalar output. */
    public static Tensor grad(Tensor output, Tensor input) {
        return grad(List.of(output), List.of(input), null, false, false, false).get(0);
    }

    /** Gradients of a scalar output; with {@code createGraph} they can be differentiated again. */
    public static List<Tensor> grad(Tensor output, List<Tensor> inputs, boolean createGraph) {
        return grad(List.of(output), inputs, null, createGraph, createGraph, false);
    }

    /**
     * The gradient of a scalar output with respect to every tensor of a parameter tree, as a
     * tree with the same names and shapes (zeros for a parameter the output does not use).
     * With {@code createGraph} the gradients are differentiable (meta-gradients, Hessians).
     */
    public static Params grad(Tensor output, Params params, boolean createGraph) {
        return params.withValues(grad(output, params.values(), createGraph));
    }

    /** {@link #grad(Tensor, Params, boolean)} without recording the backward pass. */
    public static Params grad(Tensor output, Params params) {
        return grad(output, params, false);
    }

    /** A scalar loss and its gradient with respect to a parameter tree: what {@link #valueAndGrad(Function, Params)} returns. */
    public record ValueAndGrad(Tensor value, Params grads) {
        /** The loss as a number. */
        public double loss() {
            return value.item();
        }
    }

    /**
     * JAX's {@code value_and_grad} over a parameter tree: {@code f(params)} recorded at fresh
     * leaves (whatever the enclosing scope says) and its gradient with respect to each of
     * them, the backward pass not recorded. Every training step starts with this, so a loop
     * never writes the "leaves, enable gradients, loss, grad" idiom itself.
     *
     * @throws IllegalArgumentException when {@code f} does not return a scalar, naming its shape
     */
    public static ValueAndGrad valueAndGrad(Function<Params, Tensor> f, Params params) {
        Params leaves = params.requiresGrad();
        Tensor value;
        try (Scope on = enableGrad()) {
            value = f.apply(leaves);
        }
        if (value.size() != 1)
            throw new IllegalArgumentException("valueAndGrad: f returned shape " + Shapes.str(value.shape()) + "; it must return a scalar loss");
        return new ValueAndGrad(value.detach(), grad(value, leaves));
    }

    /**
     * The gradients of {@code sum_i <seeds[i], outputs[i]>} with respect to each input.
     *
     * @param seeds        one per output (its cotangent), or null / null entries for scalar
     *                     outputs, which get 1
     * @param retainGraph  keep the graph for another pass (implied by {@code createGraph})
     * @param createGraph  record the backward pass, so the results require grad and can be
     *                     differentiated (higher order)
     * @param allowUnused  return null for an input the outputs do not depend on; otherwise
     *                     such an input gets a zero gradient
     * @throws IllegalArgumentException when an output has no graph at all (computed under
     *                     {@link #noGrad()}, or from no tensor that requires gradients), as
     *                     PyTorch does: a silent zero would hide the mistake. An output with a
     *                     graph that does not reach an input is the allowUnused case instead.
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> seeds,
                                    boolean retainGraph, boolean createGraph, boolean allowUnused) {
        for (int i = 0; i < outputs.size(); i++) {
            Tensor out = outputs.get(i);
            if (!out.requiresGrad())
                throw new IllegalArgumentException("grad: output " + i + " of shape " + Shapes.str(out.shape()) + " (" + out.dtype()
                        + ") has no graph: it was computed under noGrad(), or from no tensor that requires gradients");
        }
        for (Tensor in : inputs)
            if (!in.requiresGrad())
                throw new IllegalArgumentException("grad: an input of shape " + Shapes.str(in.shape())
                        + " does not require gradients; make it with requiresGrad(true)");
        Map<Tensor, Tensor> grads = run(outputs, seeds, inputs, retainGraph || createGraph, createGraph);
        List<Tensor> result = new ArrayList<>(inputs.size());
        for (Tensor in : inputs) {
            Tensor g = grads.get(in);
            if (g == null && !allowUnused) g = Tensor.of(NDArray.zeros(in.dtype(), in.device(), in.shape()));
            result.add(g);
        }
        return result;
    }

    static void backward(Tensor output, Tensor seed, boolean retainGraph) {
        if (!output.requiresGrad())
            throw new IllegalArgumentException("backward: the output does not require gradients (no input of it requires them, or it was computed under noGrad)");
        Map<Tensor, Tensor> grads = run(List.of(output), seed == null ? null : List.of(seed), null, retainGraph, false);
        for (Map.Entry<Tensor, Tensor> e : grads.entrySet()) e.getKey().accumulateGrad(e.getValue());
    }

    /**
     * The engine. Walks the nodes between the outputs and the targets (every leaf when
     * {@code targets} is null) in reverse topological order, applying each node's rule.
     * Returns the gradient of each target (or each leaf) that was reached.
     */
    private static Map<Tensor, Tensor> run(List<Tensor> outputs, List<Tensor> seeds, List<Tensor> targets,
                                           boolean retainGraph, boolean createGraph) {
        if (seeds != null && seeds.size() != outputs.size())
            throw new IllegalArgumentException("grad: " + seeds.size() + " seeds for " + outputs.size() + " outputs");
        Map<Tensor, Boolean> isTarget = new IdentityHashMap<>();
        if (targets != null) for (Tensor t : targets) isTarget.put(t, Boolean.TRUE);

        Map<Tensor, Boolean> needed = new IdentityHashMap<>();
        List<Tensor> order = topologicalOrder(outputs, isTarget, targets == null, needed);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor out = outputs.get(i);
            Tensor seed = seeds == null ? null : seeds.get(i);
            if (seed == null) {
                if (out.size() != 1)
                    throw new IllegalArgumentException("grad: output of shape " + Shapes.str(out.shape())
                            + " is not a scalar; pass a seed (its cotangent) of the same shape");
                seed = Tensor.of(NDArray.full(1, out.dtype(), out.device(), out.shape()));
            } else if (!Arrays.equals(seed.shape(), out.shape())) {
                throw new IllegalArgumentException("grad: seed of shape " + Shapes.str(seed.shape())
                        + " does not match output of shape " + Shapes.str(out.shape()));
            }
            if (!out.requiresGrad()) continue;
            accumulate(grads, out, createGraph ? seed : seed.detach());
        }

        Map<Tensor, Tensor> result = new IdentityHashMap<>();
        // Autocast off: each rule computes in the dtypes its forward op recorded, whatever scope grad is called in.
        try (Scope mode = createGraph ? enableGrad() : noGrad(); Scope cast = Autocast.disabled()) {
            for (Tensor t : order) {
                Tensor g = grads.remove(t);
                if (g == null) continue;
                if (targets == null ? t.isLeaf() : isTarget.containsKey(t)) result.put(t, g);
                Node node = t.node;
                if (node == null) continue;
                Tensor[] inputs = node.inputs();
                node.checkSaved();
                Tensor[] gin;
                boolean anomaly = anomalyEnabled();
                // A rule's intermediates may be non-finite where its result is not (pow's
                // log(a) at a = 0 is masked away by where), and a NaN it makes must be blamed
                // on the node's op, not on the div or mul inside the rule: check its results only.
                try (Scope quiet = anomaly ? suspendAnomaly() : null) {
                    gin = Rules.vjp(node.op, g, inputs, node.output());
                }
                if (anomaly) {
                    NDArray[] values = new NDArray[inputs.length];
                    for (int i = 0; i < inputs.length; i++) values[i] = inputs[i].data();
                    for (Tensor gi : gin) if (gi != null) checkFinite("backward", node.op, values, gi.data(), node);
                }
                for (int i = 0; i < inputs.length; i++) {
                    Tensor in = inputs[i];
                    if (gin[i] == null || !in.requiresGrad() || !Boolean.TRUE.equals(needed.get(in))) continue;
                    accumulate(grads, in, gin[i].sumTo(in.shape()));
                }
                if (!retainGraph) node.release();
            }
        }
        return result;
    }

    private static void accumulate(Map<Tensor, Tensor> grads, Tensor t, Tensor g) {
        if (g.dtype() != t.dtype()) g = g.to(t.dtype());
        Tensor prev = grads.get(t);
        grads.put(t, prev == null ? g : prev.add(g));
    }

    /**
     * The tensors that need a gradient, outputs first: those on a path from an output to a
     * target (or to any leaf when {@code allLeaves}). Iterative, so long chains do not
     * overflow the stack.
     */
    private static List<Tensor> topologicalOrder(List<Tensor> outputs, Map<Tensor, Boolean> isTarget, boolean allLeaves,
                                                 Map<Tensor, Boolean> needed) { // filled: visited, and TRUE where on a path
        List<Tensor> postorder = new ArrayList<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>(); // {tensor, next input index}
        for (Tensor out : outputs) {
            if (!out.requiresGrad() || needed.containsKey(out)) continue;
            stack.push(new Object[] {out, 0});
            needed.put(out, Boolean.FALSE);
            while (!stack.isEmpty()) {
                Object[] top = stack.peek();
                Tensor t = (Tensor) top[0];
                Tensor[] ins = t.node == null ? new Tensor[0] : t.node.inputs();
                int i = (Integer) top[1];
                while (i < ins.length && (!ins[i].requiresGrad() || needed.containsKey(ins[i]))) i++;
                if (i < ins.length) {
                    top[1] = i + 1;
                    needed.put(ins[i], Boolean.FALSE);
                    stack.push(new Object[] {ins[i], 0});
                    continue;
                }
                stack.pop();
                boolean need = allLeaves ? t.isLeaf() : isTarget.containsKey(t);
                for (Tensor in : ins) need |= in.requiresGrad() && needed.get(in);
                needed.put(t, need);
                if (need) postorder.add(t);
            }
        }
        java.util.Collections.reverse(postorder);
        return postorder;
    }

    // ---- functional transforms ---------------------------------------------------------

    /** The gradient function of a scalar function: {@code grad(f)(x) = df/dx}, differentiable again. */
    public static Function<Tensor, Tensor> grad(Function<Tensor, Tensor> f) {
        return x -> valueAndGrad(f).apply(x)[1];
    }

    /**
     * {@code [f(x), df/dx]} for a scalar function. The gradient is recorded (createGraph)
     * whenever gradients are enabled, so {@code grad(grad(f))} works.
     */
    public static Function<Tensor, Tensor[]> valueAndGrad(Function<Tensor, Tensor> f) {
        return x -> {
            Tensor xi = x.requiresGrad() ? x : x.requiresGrad(true);
            Tensor y;
            try (Scope s = enableGrad()) {
                y = f.apply(xi);
            }
            if (y.size() != 1)
                throw new IllegalArgumentException("grad: f returned shape " + Shapes.str(y.shape()) + "; grad(f) needs a scalar function");
            if (!y.requiresGrad()) return new Tensor[] {y, Tensor.of(NDArray.zeros(x.dtype(), x.device(), x.shape()))};
            boolean create = isGradEnabled();
            Tensor g = grad(List.of(y), List.of(xi), null, create, create, false).get(0);
            return new Tensor[] {y, g};
        };
    }

    /** {@code [f(x), v^T J_f(x)]}: the vector-Jacobian product with cotangent {@code v}. */
    public static Tensor[] vjp(Function<Tensor, Tensor> f, Tensor x, Tensor v) {
        Tensor xi = x.requiresGrad(true);
        Tensor y;
        try (Scope s = enableGrad()) {
            y = f.apply(xi);
        }
        if (!Arrays.equals(y.shape(), v.shape()))
            throw new IllegalArgumentException("vjp: cotangent of shape " + Shapes.str(v.shape()) + " does not match f(x) of shape " + Shapes.str(y.shape()));
        if (!y.requiresGrad()) return new Tensor[] {y, Tensor.of(NDArray.zeros(x.dtype(), x.device(), x.shape()))};
        boolean create = isGradEnabled();
        return new Tensor[] {y, grad(List.of(y), List.of(xi), List.of(v), create, create, false).get(0)};
    }

    /**
     * {@code [f(x), J_f(x) t]}: the Jacobian-vector product, by the double-VJP trick:
     * u -> vjp(u) = J^T u is linear in u, so its VJP with cotangent t is J t. This needs
     * only the reverse-mode rules, and works because every rule is itself differentiable.
     */
    public static Tensor[] jvp(Function<Tensor, Tensor> f, Tensor x, Tensor t) {
        if (!Arrays.equals(x.shape(), t.shape()))
            throw new IllegalArgumentException("jvp: tangent of shape " + Shapes.str(t.shape()) + " does not match x of shape " + Shapes.str(x.shape()));
        boolean keepGraph = isGradEnabled();
        Tensor xi = x.requiresGrad(true);
        try (Scope s = enableGrad()) {
            Tensor y = f.apply(xi);
            if (!y.requiresGrad()) return new Tensor[] {y, Tensor.of(NDArray.zeros(y.dtype(), y.device(), y.shape()))};
            Tensor u = Tensor.of(NDArray.zeros(y.dtype(), y.device(), y.shape())).requiresGrad(true);
            Tensor vjpU = grad(List.of(y), List.of(xi), List.of(u), true, true, false).get(0);
            if (!vjpU.requiresGrad()) return new Tensor[] {y, Tensor.of(NDArray.zeros(y.dtype(), y.device(), y.shape()))};
            Tensor jt = grad(List.of(vjpU), List.of(u), List.of(t), true, true, false).get(0);
            return new Tensor[] {keepGraph ? y : y.detach(), keepGraph ? jt : jt.detach()};
        }
    }

    /** The Hessian-vector product H(x) v of a scalar function (reverse over reverse). */
    public static Tensor hvp(Function<Tensor, Tensor> f, Tensor x, Tensor v) {
        if (!Arrays.equals(x.shape(), v.shape()))
            throw new IllegalArgumentException("hvp: vector of shape " + Shapes.str(v.shape()) + " does not match x of shape " + Shapes.str(x.shape()));
        boolean keepGraph = isGradEnabled();
        Tensor xi = x.requiresGrad(true);
        try (Scope s = enableGrad()) {
            Tensor y = f.apply(xi);
            if (y.size() != 1) throw new IllegalArgumentException("hvp: f returned shape " + Shapes.str(y.shape()) + "; needs a scalar function");
            if (!y.requiresGrad()) return Tensor.of(NDArray.zeros(x.dtype(), x.device(), x.shape()));
            Tensor g = grad(List.of(y), List.of(xi), null, true, true, false).get(0);
            Tensor gv = g.mul(v).sum();
            if (!gv.requiresGrad()) return Tensor.of(NDArray.zeros(x.dtype(), x.device(), x.shape()));
            Tensor hv = grad(List.of(gv), List.of(xi), null, true, true, false).get(0);
            return keepGraph ? hv : hv.detach();
        }
    }

    /**
     * The Jacobian of f at x, shape {@code f(x).shape + x.shape}, one VJP per output element:
     * meant for small inputs and outputs.
     */
    public static Tensor jacobian(Function<Tensor, Tensor> f, Tensor x) {
        Tensor xi = x.requiresGrad(true);
        Tensor y;
        try (Scope s = enableGrad()) {
            y = f.apply(xi);
        }
        int m = y.size(), n = x.size();
        double[] jac = new double[m * n];
        if (y.requiresGrad()) {
            Tensor yf = y.reshape(-1);
            for (int i = 0; i < m; i++) {
                double[] e = new double[m];
                e[i] = 1;
                Tensor seed = Tensor.of(NDArray.of(e, m).to(y.dtype()));
                Tensor g = grad(List.of(yf), List.of(xi), List.of(seed), true, false, false).get(0);
                System.arraycopy(g.toDoubleArray(), 0, jac, i * n, n);
            }
        }
        int[] shape = new int[y.ndim() + x.ndim()];
        System.arraycopy(y.shape(), 0, shape, 0, y.ndim());
        System.arraycopy(x.shape(), 0, shape, y.ndim(), x.ndim());
        return Tensor.of(NDArray.of(jac, shape).to(x.dtype()));
    }

    /** The Hessian of a scalar function at x, shape {@code x.shape + x.shape}. */
    public static Tensor hessian(Function<Tensor, Tensor> f, Tensor x) {
        return jacobian(grad(f), x);
    }
}
