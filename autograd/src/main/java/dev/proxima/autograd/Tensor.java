package dev.proxima.autograd;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;
import dev.proxima.tensor.UnaryOp;
import java.util.Arrays;
import java.util.List;

/**
 * The type users compute with: an {@link NDArray} value plus, when it requires gradients,
 * the node that produced it. Ops have PyTorch's names; each one computes its value now and,
 * when gradients are enabled and an input requires them, records a node for
 * {@link Autograd#grad}. Tensors are immutable values except for the {@link #grad()} slot
 * that {@link #backward()} fills on leaves.
 *
 * <p>This class is the one home of compositions (mean, var, logsumexp, clamp, stack, split,
 * conv2d, pooling, vector matmul, ...): each is written here once, from other ops, and gets
 * its gradients from their rules; {@link NDArray} only holds what a primitive's forward needs.
 * Dtypes follow {@code torch.result_type}: float32 with float64 computes in float64 (in binary
 * ops, {@link #where} and {@link #concat}), arithmetic on int32 tensors is an error naming the
 * op, and each input's gradient comes back in the input's own dtype.
 *
 * <pre>{@code
 * Tensor w = Tensor.randn(rng, 3, 2).requiresGrad(true);
 * Tensor loss = x.matmul(w).tanh().square().mean();
 * Tensor dw = Autograd.grad(loss, w);                 // or loss.backward(); w.grad()
 * }</pre>
 */
public final class Tensor {
    private final NDArray data;
    private final boolean requiresGrad;
    final Node node; // null for leaves and constants
    /** Written under this tensor's lock: threads may run backward() into one shared leaf. */
    private volatile Tensor grad;

    Tensor(NDArray data, boolean requiresGrad, Node node) {
        this.data = data;
        this.requiresGrad = requiresGrad;
        this.node = node;
    }

    // ---- creation ----------------------------------------------------------------------

    /** A constant tensor (no gradient) holding {@code data}. */
    public static Tensor of(NDArray data) {
        return new Tensor(data, false, null);
    }

    public static Tensor of(float[] data, int... shape) {
        return of(NDArray.of(data, shape));
    }

    public static Tensor of(double[] data, int... shape) {
        return of(NDArray.of(data, shape));
    }

    /** A 1-d float32 tensor. */
    public static Tensor of(float... data) {
        return of(NDArray.of(data));
    }

    /** A 0-d float32 tensor. */
    public static Tensor scalar(double value) {
        return of(NDArray.scalar(value));
    }

    public static Tensor zeros(int... shape) {
        return of(NDArray.zeros(shape));
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return of(NDArray.zeros(dtype, shape));
    }

    public static Tensor ones(int... shape) {
        return of(NDArray.ones(shape));
    }

    public static Tensor ones(DType dtype, int... shape) {
        return of(NDArray.ones(dtype, shape));
    }

    public static Tensor full(double value, DType dtype, int... shape) {
        return of(NDArray.full(value, dtype, shape));
    }

    public static Tensor arange(int end) {
        return of(NDArray.arange(end));
    }

    public static Tensor randn(Rng rng, int... shape) {
        return of(NDArray.randn(rng, DType.FLOAT32, shape));
    }

    public static Tensor randn(Rng rng, DType dtype, int... shape) {
        return of(NDArray.randn(rng, dtype, shape));
    }

    public static Tensor rand(Rng rng, DType dtype, int... shape) {
        return of(NDArray.rand(rng, dtype, shape));
    }

    public static Tensor uniform(Rng rng, double low, double high, DType dtype, int... shape) {
        return of(NDArray.uniform(rng, low, high, dtype, shape));
    }

    // ---- identity and gradients --------------------------------------------------------

    /** The value, as an array (no graph). */
    public NDArray data() {
        return data;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * A leaf that shares this tensor's value and does (or does not) require gradients, like
     * PyTorch's {@code detach().requires_grad_(flag)}. Integer tensors cannot require them.
     */
    public Tensor requiresGrad(boolean flag) {
        if (flag && !data.dtype().isFloating())
            throw new IllegalArgumentException("requiresGrad: " + data.dtype() + " tensor of shape " + Shapes.str(data.shape())
                    + " cannot require gradients; only floating tensors can");
        return new Tensor(data, flag, null);
    }

    /** True for tensors not produced by a recorded op (parameters, inputs, constants). */
    public boolean isLeaf() {
        return node == null;
    }

    /** A leaf with the same value and no history: gradients stop here. */
    public Tensor detach() {
        return new Tensor(data, false, null);
    }

    /** The gradient accumulated by {@link #backward()}, or null. */
    public Tensor grad() {
        return grad;
    }

    /** Clears the accumulated gradient. */
    public synchronized void zeroGrad() {
        grad = null;
    }

    /**
     * Adds to {@link #grad()}. Synchronized, as PyTorch's accumulation is: threads that run
     * backward() through one shared parameter (data-parallel on one machine) must not lose
     * each other's read-add-write.
     */
    synchronized void accumulateGrad(Tensor g) {
        Tensor prev = grad;
        grad = prev == null ? g : prev.add(g);
    }

    /** Accumulates d(this)/d(leaf) into every leaf's {@link #grad()}; this must be a scalar. */
    public void backward() {
        Autograd.backward(this, null, false);
    }

    public void backward(boolean retainGraph) {
        Autograd.backward(this, null, retainGraph);
    }

    /** Backward from a non-scalar output, with the seed (the output's cotangent). */
    public void backward(Tensor seed, boolean retainGraph) {
        Autograd.backward(this, seed, retainGraph);
    }

    // ---- accessors ---------------------------------------------------------------------

    public int[] shape() { return data.shape(); }
    public int shape(int axis) { return data.shape(axis); }
    public int ndim() { return data.ndim(); }
    public int size() { return data.size(); }
    public DType dtype() { return data.dtype(); }
    public Device device() { return data.device(); }
    public double item() { return data.item(); }
    public float[] toFloatArray() { return data.toFloatArray(); }
    public double[] toDoubleArray() { return data.toDoubleArray(); }

    @Override
    public String toString() {
        String s = data.toString().replaceFirst("^array", "tensor");
        if (node != null) return s.substring(0, s.length() - 1) + ", grad_fn=" + node.op + ")";
        return requiresGrad ? s.substring(0, s.length() - 1) + ", requiresGrad=true)" : s;
    }

    // ---- recording ---------------------------------------------------------------------

    /** Runs a primitive and records it when a gradient may flow through it. */
    static Tensor apply(Primitive op, Tensor... inputs) {
        NDArray[] values = new NDArray[inputs.length];
        boolean needsGrad = false;
        for (int i = 0; i < inputs.length; i++) {
            values[i] = inputs[i].data;
            needsGrad |= inputs[i].requiresGrad;
        }
        NDArray out = op.forward(values);
        if (Autograd.anomalyEnabled()) Autograd.checkFinite("forward", op, values, out, null);
        if (!needsGrad || !Autograd.isGradEnabled() || !out.dtype().isFloating()) return new Tensor(out, false, null);
        Node node = new Node(op, inputs, Autograd.anomalyEnabled() ? new Throwable("op created here") : null);
        Tensor t = new Tensor(out, true, node);
        node.setOutput(t);
        return t;
    }

    private Tensor unary(UnaryOp op) {
        return apply(new Primitive.Unary(op), this);
    }

    private Tensor binary(BinaryOp op, Tensor other) {
        // A comparison is a mask with no gradient: recording it would only keep the graph
        // of its inputs alive (and make the mask look differentiable).
        if (op.isComparison()) return new Tensor(data.zip(op, other.data), false, null);
        return apply(new Primitive.Binary(op), this, other);
    }

    /** A 0-d constant of this tensor's dtype and device. */
    Tensor constant(double value) {
        return new Tensor(data.scalarLike(value), false, null);
    }

    Tensor zerosLikeScalar() {
        return constant(0);
    }

    Tensor onesLikeScalar() {
        return constant(1);
    }

    // ---- elementwise -------------------------------------------------------------------

    public Tensor neg() { return unary(UnaryOp.NEG); }
    public Tensor abs() { return unary(UnaryOp.ABS); }
    public Tensor exp() { return unary(UnaryOp.EXP); }
    public Tensor log() { return unary(UnaryOp.LOG); }
    public Tensor log1p() { return unary(UnaryOp.LOG1P); }
    public Tensor expm1() { return unary(UnaryOp.EXPM1); }
    public Tensor sqrt() { return unary(UnaryOp.SQRT); }
    public Tensor rsqrt() { return unary(UnaryOp.RSQRT); }
    public Tensor square() { return unary(UnaryOp.SQUARE); }
    public Tensor reciprocal() { return unary(UnaryOp.RECIPROCAL); }
    public Tensor sin() { return unary(UnaryOp.SIN); }
    public Tensor cos() { return unary(UnaryOp.COS); }
    public Tensor tanh() { return unary(UnaryOp.TANH); }
    public Tensor sigmoid() { return unary(UnaryOp.SIGMOID); }
    public Tensor relu() { return unary(UnaryOp.RELU); }
    /** Exact GELU (through erf). */
    public Tensor gelu() { return unary(UnaryOp.GELU); }
    /** The tanh approximation of GELU. */
    public Tensor geluTanh() { return unary(UnaryOp.GELU_TANH); }
    public Tensor silu() { return unary(UnaryOp.SILU); }
    /** sign(x); its gradient is zero. */
    public Tensor sign() { return unary(UnaryOp.SIGN); }
    public Tensor softplus() { return unary(UnaryOp.SOFTPLUS); }
    public Tensor erf() { return unary(UnaryOp.ERF); }

    /** Applies any unary primitive. */
    public Tensor map(UnaryOp op) { return unary(op); }

    public Tensor add(Tensor o) { return binary(BinaryOp.ADD, o); }
    public Tensor sub(Tensor o) { return binary(BinaryOp.SUB, o); }
    public Tensor mul(Tensor o) { return binary(BinaryOp.MUL, o); }
    public Tensor div(Tensor o) { return binary(BinaryOp.DIV, o); }
    public Tensor pow(Tensor o) { return binary(BinaryOp.POW, o); }
    public Tensor maximum(Tensor o) { return binary(BinaryOp.MAXIMUM, o); }
    public Tensor minimum(Tensor o) { return binary(BinaryOp.MINIMUM, o); }
    /** Comparisons give 0/1 masks of the floating dtype, with no gradient. */
    public Tensor eq(Tensor o) { return binary(BinaryOp.EQ, o); }
    public Tensor ne(Tensor o) { return binary(BinaryOp.NE, o); }
    public Tensor lt(Tensor o) { return binary(BinaryOp.LT, o); }
    public Tensor le(Tensor o) { return binary(BinaryOp.LE, o); }
    public Tensor gt(Tensor o) { return binary(BinaryOp.GT, o); }
    public Tensor ge(Tensor o) { return binary(BinaryOp.GE, o); }

    public Tensor add(double s) { return add(constant(s)); }
    public Tensor sub(double s) { return sub(constant(s)); }
    public Tensor mul(double s) { return mul(constant(s)); }
    public Tensor div(double s) { return div(constant(s)); }
    public Tensor pow(double s) { return pow(constant(s)); }
    public Tensor maximum(double s) { return maximum(constant(s)); }
    public Tensor minimum(double s) { return minimum(constant(s)); }
    public Tensor eq(double s) { return eq(constant(s)); }
    public Tensor ne(double s) { return ne(constant(s)); }
    public Tensor lt(double s) { return lt(constant(s)); }
    public Tensor le(double s) { return le(constant(s)); }
    public Tensor gt(double s) { return gt(constant(s)); }
    public Tensor ge(double s) { return ge(constant(s)); }

    /** Applies any binary primitive. */
    public Tensor zip(BinaryOp op, Tensor o) { return binary(op, o); }

    /** Limits values to [min, max]; the gradient passes where the value is inside. */
    public Tensor clamp(double min, double max) {
        if (min > max) throw new IllegalArgumentException("clamp: min " + min + " > max " + max);
        return maximum(min).minimum(max);
    }

    /** {@code cond != 0 ? a : b}, broadcast together; no gradient flows to {@code cond}. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return apply(new Primitive.Where(), cond, a, b);
    }

    // ---- reductions --------------------------------------------------------------------

    Tensor reduce(ReduceOp op, int[] axes, boolean keepdim) {
        return apply(new Primitive.Reduce(op, Shapes.axes(op.opName(), axes, shape()), keepdim), this);
    }

    public Tensor sum() { return reduce(ReduceOp.SUM, new int[0], false); }
    public Tensor sum(int... axes) { return reduce(ReduceOp.SUM, axes, false); }
    public Tensor sum(int[] axes, boolean keepdim) { return reduce(ReduceOp.SUM, axes, keepdim); }
    public Tensor prod() { return reduce(ReduceOp.PROD, new int[0], false); }
    public Tensor prod(int[] axes, boolean keepdim) { return reduce(ReduceOp.PROD, axes, keepdim); }
    public Tensor max() { return reduce(ReduceOp.MAX, new int[0], false); }
    public Tensor max(int[] axes, boolean keepdim) { return reduce(ReduceOp.MAX, axes, keepdim); }
    public Tensor min() { return reduce(ReduceOp.MIN, new int[0], false); }
    public Tensor min(int[] axes, boolean keepdim) { return reduce(ReduceOp.MIN, axes, keepdim); }

    public Tensor mean() { return mean(new int[0], false); }

    public Tensor mean(int... axes) { return mean(axes, false); }

    public Tensor mean(int[] axes, boolean keepdim) {
        int[] ax = Shapes.axes("mean", axes, shape());
        long count = 1;
        for (int a : ax) count *= shape(a);
        return sum(ax, keepdim).div((double) count);
    }

    /** Variance with {@code correction} subtracted from the count (1: unbiased, PyTorch's default). */
    public Tensor var(int[] axes, boolean keepdim, int correction) {
        int[] ax = Shapes.axes("var", axes, shape());
        long count = 1;
        for (int a : ax) count *= shape(a);
        return sub(mean(ax, true)).square().sum(ax, keepdim).div((double) Math.max(0, count - correction));
    }

    /**
     * Standard deviation. Where a group's elements are all equal the variance is 0 and the
     * gradient is 0, as in PyTorch, not sqrt'(0) * 0 = NaN: the root is taken of 1 there and
     * the result replaced by a constant 0, so no gradient reaches that group at any order.
     */
    public Tensor std(int[] axes, boolean keepdim, int correction) {
        Tensor v = var(axes, keepdim, correction);
        Tensor zero = v.eq(0);
        return where(zero, v.zerosLikeScalar(), where(zero, v.onesLikeScalar(), v).sqrt());
    }

    /**
     * log(sum(exp(x))) over axes. The shift by the (detached) maximum keeps it stable; it does
     * not change the value or the gradient, so it needs no gradient of its own.
     */
    public Tensor logsumexp(int[] axes, boolean keepdim) {
        int[] ax = Shapes.axes("logsumexp", axes, shape());
        long group = 1;
        for (int a : ax) group *= shape(a);
        if (group == 0) return sum(ax, keepdim).add(Double.NEGATIVE_INFINITY); // log of an empty sum, as PyTorch
        NDArray m = data.max(ax, true);
        NDArray shift = NDArray.where(m.abs().lt(Double.POSITIVE_INFINITY), m, m.scalarLike(0));
        Tensor s = of(shift);
        Tensor r = sub(s).exp().sum(ax, true).log().add(s);
        return keepdim ? r : r.squeezeAxes(ax);
    }

    public Tensor softmax(int axis) {
        return apply(new Primitive.Softmax(Shapes.axis("softmax", axis, shape()), false), this);
    }

    public Tensor logSoftmax(int axis) {
        return apply(new Primitive.Softmax(Shapes.axis("logSoftmax", axis, shape()), true), this);
    }

    /**
     * KL(softmax(this) ‖ softmax(logits)) over the last axis, the mean over every other axis
     * (each row a distribution): the divergence between two models' output distributions,
     * from their logits. Both go through logSoftmax, so neither side under- or overflows;
     * the per-row sum is taken before the mean so a row's terms are added in one place. The
     * one definition used by {@code Losses.klDivLogits} and APO's {@code Divergence.KL}.
     */
    public Tensor klDivLogits(Tensor logits) {
        if (!Arrays.equals(shape(), logits.shape()))
            throw new IllegalArgumentException("klDivLogits: target logits " + Shapes.str(shape()) + " and logits "
                    + Shapes.str(logits.shape()) + " must have the same shape");
        if (ndim() == 0) throw new IllegalArgumentException("klDivLogits: logits must have a class axis, got a 0-d tensor");
        Tensor logP = logSoftmax(-1), logQ = logits.logSoftmax(-1);
        return logP.exp().mul(logP.sub(logQ)).sum(new int[] {ndim() - 1}, false).mean();
    }

    /** Index of the maximum along {@code axis} (INT32, no gradient). */
    public Tensor argmax(int axis, boolean keepdim) {
        return of(data.argmax(axis, keepdim));
    }

    public Tensor argmin(int axis, boolean keepdim) {
        return of(data.argmin(axis, keepdim));
    }

    // ---- linear algebra ----------------------------------------------------------------

    /**
     * Matrix product with NumPy semantics (1-d operands promoted, batch dims broadcast). Inside
     * an {@link Autocast} scope, float32 operands are multiplied in bfloat16.
     */
    public Tensor matmul(Tensor other) {
        if (ndim() == 0 || other.ndim() == 0)
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(shape()) + " and " + Shapes.str(other.shape()) + ": 0-d operands are not matrices");
        boolean vecA = ndim() == 1, vecB = other.ndim() == 1;
        Tensor a = vecA ? unsqueeze(0) : this;
        Tensor b = vecB ? other.unsqueeze(1) : other;
        int k = a.shape(-1), k2 = b.shape(-2);
        if (k != k2)
            throw new IllegalArgumentException("matmul: " + Shapes.str(shape()) + " x " + Shapes.str(other.shape())
                    + ": inner dimensions " + k + " != " + k2);
        Tensor r = Autocast.product(a, b, (p, q) -> apply(new Primitive.Matmul(), p, q));
        if (vecB) r = r.squeeze(-1);
        if (vecA) r = r.squeeze(vecB ? -1 : -2);
        return r;
    }

    // ---- shape and views ---------------------------------------------------------------

    public Tensor reshape(int... shape) {
        int[] target = data.reshape(shape).shape(); // resolves -1 and validates
        if (Arrays.equals(target, shape())) return this;
        return apply(new Primitive.Reshape(target), this);
    }

    public Tensor flatten() {
        return reshape(-1);
    }

    public Tensor permute(int... perm) {
        int[] p = new int[perm.length];
        for (int i = 0; i < perm.length; i++) p[i] = Shapes.axis("permute", perm[i], shape());
        data.permute(p); // validates
        return apply(new Primitive.Permute(p), this);
    }

    public Tensor transpose(int a, int b) {
        return permute(NDArray.transposition(shape(), a, b));
    }

    /** Swaps the last two axes. */
    public Tensor mT() {
        if (ndim() < 2) throw new IllegalArgumentException("mT: needs at least 2 dimensions, got " + Shapes.str(shape()));
        return transpose(-2, -1);
    }

    public Tensor expand(int... shape) {
        int[] target = data.expand(shape).shape();
        if (Arrays.equals(target, shape())) return this;
        return apply(new Primitive.Expand(target), this);
    }

    public Tensor broadcastTo(int... shape) {
        return expand(shape);
    }

    public Tensor squeeze(int... axes) {
        return reshape(data.squeeze(axes).shape());
    }

    public Tensor unsqueeze(int axis) {
        return reshape(data.unsqueeze(axis).shape());
    }

    /** Re-inserts reduced axes (sorted) as size-1 dimensions. */
    Tensor unsqueezeAxes(int[] sortedAxes) {
        Tensor t = this;
        for (int a : sortedAxes) t = t.unsqueeze(a);
        return t;
    }

    Tensor squeezeAxes(int[] sortedAxes) {
        return sortedAxes.length == 0 ? this : squeeze(sortedAxes);
    }

    /** Sums broadcast dimensions away so the result has {@code target} shape (the adjoint of expand). */
    public Tensor sumTo(int[] target) {
        int[] s = shape();
        if (Arrays.equals(s, target)) return this;
        int lead = s.length - target.length;
        if (lead < 0) throw new IllegalArgumentException("sumTo: cannot reduce " + Shapes.str(s) + " to larger rank " + Shapes.str(target));
        int n = 0;
        int[] axes = new int[s.length];
        for (int i = 0; i < s.length; i++)
            if (i < lead || (target[i - lead] == 1 && s[i] != 1)) axes[n++] = i;
        Tensor r = n == 0 ? this : sum(Arrays.copyOf(axes, n), true);
        return r.reshape(target);
    }

    /** Python-style slice along one axis (negative bounds count from the end; step > 0). */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = Shapes.axis("slice", axis, shape());
        int n = shape(a);
        int s = Math.max(0, Math.min(n, start < 0 ? start + n : start));
        int e = Math.max(0, Math.min(n, end < 0 ? end + n : end));
        if (step <= 0) throw new IllegalArgumentException("slice: step must be positive, got " + step);
        if (s == 0 && e == n && step == 1) return this;
        return apply(new Primitive.Slice(a, s, Math.max(s, e), step), this);
    }

    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /** The sub-tensor at {@code index} along {@code axis}, which is removed. */
    public Tensor select(int axis, int index) {
        int a = Shapes.axis("select", axis, shape());
        int i = index < 0 ? index + shape(a) : index;
        if (i < 0 || i >= shape(a))
            throw new IndexOutOfBoundsException("select: index " + index + " is out of range for axis " + a + " of shape " + Shapes.str(shape()));
        return slice(a, i, i + 1, 1).squeeze(a);
    }

    /** Places this tensor at start, start+step, ... along axis of a zero tensor of {@code shape}. */
    Tensor embed(int[] shape, int axis, int start, int step) {
        return apply(new Primitive.Embed(shape, axis, start, step), this);
    }

    /**
     * Pads with zeros; see {@link #pad(int[], double)}. Fewer pairs than axes leave the
     * trailing axes as they are.
     */
    public Tensor pad(int... padding) {
        return pad(padding, 0);
    }

    /**
     * Pads with {@code value}: {@code padding} holds a (before, after) pair per axis, FIRST
     * axis first ({@code {b0, a0, b1, a1, ...}}; an image [N, C, H, W] takes
     * {@code {0, 0, 0, 0, top, bottom, left, right}}), and fewer pairs leave the trailing axes
     * alone. torch.nn.functional.pad lists its pairs from the LAST axis instead; otherwise
     * the semantics are PyTorch's: any value, any axis, and a negative amount crops. The
     * gradient is the adjoint crop (or zero-pad) of the incoming one; {@code value} gets none.
     */
    public Tensor pad(int[] padding, double value) {
        if (padding.length % 2 != 0 || padding.length / 2 > ndim())
            throw new IllegalArgumentException("pad: " + Arrays.toString(padding) + " is not (before, after) pairs for the axes of " + Shapes.str(shape()));
        int[] full = Arrays.copyOf(padding, 2 * ndim());
        boolean identity = true;
        for (int p : full) identity &= p == 0;
        if (identity) return this;
        return apply(new Primitive.Pad(full, value), this);
    }

    /**
     * Joins tensors of equal shape except along {@code axis}. Mixed dtypes promote as
     * {@code torch.result_type} does for tensors (float32 with float64 gives float64, int32
     * with a floating type gives that type), through a differentiable cast, so each input's
     * gradient comes back in its own dtype.
     */
    public static Tensor concat(int axis, Tensor... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("concat: no tensors");
        int nd = xs[0].ndim();
        int a = Shapes.axis("concat", axis, nd);
        DType dt = xs[0].dtype();
        for (Tensor x : xs) {
            int[] s0 = xs[0].shape(), s = x.shape();
            boolean ok = s.length == nd;
            for (int d = 0; ok && d < nd; d++) ok = d == a || s[d] == s0[d];
            if (!ok) throw new IllegalArgumentException("concat: shapes " + Shapes.str(s0) + " and " + Shapes.str(s) + " differ outside axis " + a);
            dt = DType.promote(dt, x.dtype());
        }
        if (xs.length == 1) return xs[0];
        Tensor[] same = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) same[i] = xs[i].to(dt);
        return apply(new Primitive.Concat(a), same);
    }

    public static Tensor concat(int axis, List<Tensor> xs) {
        return concat(axis, xs.toArray(new Tensor[0]));
    }

    /** Joins tensors of equal shape along a new axis. */
    public static Tensor stack(int axis, Tensor... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("stack: no tensors");
        int a = Shapes.axis("stack", axis, xs[0].ndim() + 1);
        Tensor[] u = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            if (!Arrays.equals(xs[i].shape(), xs[0].shape()))
                throw new IllegalArgumentException("stack: shapes " + Shapes.str(xs[0].shape()) + " and " + Shapes.str(xs[i].shape()) + " differ");
            u[i] = xs[i].unsqueeze(a);
        }
        return concat(a, u);
    }

    /**
     * Consecutive pieces along {@code axis} with the given lengths, which must add up to the
     * axis length (unlike torch.split, a single size is one piece, not a chunk size).
     */
    public Tensor[] split(int axis, int... sizes) {
        int a = Shapes.axis("split", axis, shape());
        long total = 0;
        for (int s : sizes) {
            if (s < 0) throw new IllegalArgumentException("split: negative size in sizes " + Arrays.toString(sizes) + " (axis " + a + " of " + Shapes.str(shape()) + ")");
            total += s;
        }
        if (total != shape(a))
            throw new IllegalArgumentException("split: sections " + Arrays.toString(sizes) + " add up to " + total + ", not to the size "
                    + shape(a) + " of axis " + a + " of shape " + Shapes.str(shape()));
        Tensor[] r = new Tensor[sizes.length];
        for (int i = 0, at = 0; i < sizes.length; at += sizes[i], i++) r[i] = slice(a, at, at + sizes[i], 1);
        return r;
    }

    /**
     * {@code ceil(n / chunks)}-long pieces along {@code axis}, the last one shorter, as
     * torch.chunk (so there may be fewer than {@code chunks}; an empty axis gives one piece).
     */
    public Tensor[] chunk(int chunks, int axis) {
        int a = Shapes.axis("chunk", axis, shape());
        if (chunks < 1) throw new IllegalArgumentException("chunk: chunk count " + chunks + " must be >= 1 (shape " + Shapes.str(shape()) + ")");
        int n = shape(a);
        if (n == 0) return new Tensor[] {this};
        int len = (n + chunks - 1) / chunks, count = (n + len - 1) / len;
        int[] sizes = new int[count];
        for (int i = 0; i < count; i++) sizes[i] = Math.min(len, n - i * len);
        return split(a, sizes);
    }

    public Tensor contiguous() {
        return data.isContiguous() ? this : apply(new Primitive.Contiguous(), this);
    }

    /** Converts between floating dtypes (differentiable). */
    public Tensor to(DType dtype) {
        if (dtype == dtype()) return this;
        if (!dtype.isFloating() || !dtype().isFloating())
            return new Tensor(data.to(dtype), false, null); // indices: no gradient
        return apply(new Primitive.Cast(dtype), this);
    }

    /**
     * A copy on another device. Differentiable, as PyTorch's {@code .to()}: the gradient is
     * copied back to this tensor's device.
     */
    public Tensor to(Device device) {
        if (device.equals(device())) return this;
        return apply(new Primitive.ToDevice(device), this);
    }

    // ---- indexing ----------------------------------------------------------------------

    /** torch.zeros_like: a zero constant of this tensor's shape, dtype and device. */
    public Tensor zerosLike() {
        return new Tensor(NDArray.zeros(dtype(), device(), shape()), false, null);
    }

    /** torch.full_like: a constant {@code value} of this tensor's shape, dtype and device. */
    public Tensor fullLike(double value) {
        return new Tensor(NDArray.full(value, dtype(), device(), shape()), false, null);
    }

    /** torch.gather: {@code out[i][j] = this[index[i][j]][j]} for axis 0; index is INT32. */
    public Tensor gather(int axis, Tensor index) {
        return apply(new Primitive.Gather(Shapes.axis("gather", axis, shape())), this, index);
    }

    /** Functional torch.scatter_add: this plus {@code src} added at {@code index} along axis. */
    public Tensor scatterAdd(int axis, Tensor index, Tensor src) {
        return apply(new Primitive.ScatterAdd(Shapes.axis("scatterAdd", axis, shape())), this, index, src);
    }

    /** The entries at the 1-d INT32 {@code index} along {@code axis} (torch.index_select). */
    public Tensor indexSelect(int axis, Tensor index) {
        int a = Shapes.axis("indexSelect", axis, shape());
        if (index.ndim() != 1 || index.dtype() != DType.INT32)
            throw new IllegalArgumentException("indexSelect: index must be a 1-d int32 tensor, got " + index.dtype() + " " + Shapes.str(index.shape()));
        int[] view = new int[ndim()], out = shape();
        Arrays.fill(view, 1);
        view[a] = index.size();
        out[a] = index.size();
        try {
            return gather(a, of(index.data().reshape(view).expand(out)));
        } catch (IllegalArgumentException e) { // an index out of range: say which op the user called
            throw new IllegalArgumentException("indexSelect: " + e.getMessage().replaceFirst("^gather: ", ""), e);
        }
    }

    /** One-hot rows of {@code numClasses} for INT32 labels (a constant). */
    public static Tensor oneHot(Tensor labels, int numClasses, DType dtype) {
        return of(NDArray.oneHot(labels.data(), numClasses, dtype));
    }

    // ---- normalization -------------------------------------------------------------------

    /**
     * Batch normalization in training mode: over every axis but the channel axis 1 of
     * {@code x} ({@code [N, C]}, {@code [N, C, L]} or {@code [N, C, H, W]}), normalized with the
     * batch's mean and biased variance, then scaled by {@code weight} and shifted by
     * {@code bias} (both {@code [C]}), as torch.nn.functional.batch_norm with training=True.
     * One fused primitive (a pass for the statistics, one to normalize; its gradient in two
     * more), with its own rule.
     */
    public static Tensor batchNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        batchNormChannels(x, weight, bias);
        DType dt = DType.promote(DType.promote(x.dtype(), weight.dtype()), bias.dtype());
        return apply(new Primitive.BatchNorm(eps), x.to(dt), weight.to(dt), bias.to(dt));
    }

    private static int batchNormChannels(Tensor x, Tensor weight, Tensor bias) {
        int[] xs = x.shape();
        if (xs.length < 2 || xs.length > 4 || !x.dtype().isFloating())
            throw new IllegalArgumentException("batchNorm: input " + x.dtype() + " " + Shapes.str(xs) + " must be a floating [N, C], [N, C, L] or [N, C, H, W]");
        int c = xs[1];
        if (weight.ndim() != 1 || weight.shape(0) != c || bias.ndim() != 1 || bias.shape(0) != c)
            throw new IllegalArgumentException("batchNorm: weight " + Shapes.str(weight.shape()) + " and bias " + Shapes.str(bias.shape())
                    + " must both be [" + c + "] for input " + Shapes.str(xs));
        if (x.size() / Math.max(c, 1) < 2)
            throw new IllegalArgumentException("batchNorm: training needs more than one value per channel, got input " + Shapes.str(xs));
        return c;
    }

    /** Axis 0 and the axes after the channel axis 1. */
    static int[] batchNormAxes(int ndim) {
        int[] axes = new int[ndim - 1];
        for (int i = 2; i < ndim; i++) axes[i - 1] = i;
        return axes;
    }


    // ---- convolution and pooling (composed from unfold2d/fold2d, matmul and reductions) --

    /** im2col: [N, C, H, W] to [N, C*kh*kw, OH*OW] (torch.nn.functional.unfold). */
    public Tensor unfold2d(int kh, int kw, Conv2dSpec spec) {
        return apply(new Primitive.Unfold2d(kh, kw, spec), this);
    }

    /** col2im, the adjoint of {@link #unfold2d} (torch.nn.functional.fold). */
    public static Tensor fold2d(Tensor cols, int[] inputShape, int kh, int kw, Conv2dSpec spec) {
        return apply(new Primitive.Fold2d(inputShape.clone(), kh, kw, spec), cols);
    }

    /**
     * 2-d convolution (cross-correlation, as PyTorch): x [N, C, H, W], w [O, C/groups, KH, KW]
     * to [N, O, OH, OW]. One primitive whose rules are its two adjoints (the input and the
     * weight gradient, each a primitive with a backend kernel), so gradients of any order
     * exist; float32 with float64 computes in float64. Inside an {@link Autocast} scope, float32
     * operands are convolved in bfloat16.
     */
    public static Tensor conv2d(Tensor x, Tensor w, Conv2dSpec spec) {
        if (!x.dtype().isFloating() || !w.dtype().isFloating())
            throw new IllegalArgumentException("conv2d: needs floating tensors, got " + x.dtype() + " input " + Shapes.str(x.shape())
                    + " and " + w.dtype() + " weight " + Shapes.str(w.shape()));
        if (!x.device().equals(w.device()))
            throw new IllegalArgumentException("conv2d: input " + Shapes.str(x.shape()) + " is on " + x.device() + " and weight "
                    + Shapes.str(w.shape()) + " on " + w.device() + "; move one with to(Device)");
        return Autocast.product(x, w, (p, q) -> {
            DType dt = DType.promote(p.dtype(), q.dtype());
            return apply(new Primitive.Conv2d(spec), p.to(dt), q.to(dt));
        });
    }

    /**
     * Max pooling; padding counts as -inf. Each window's gradient goes to its FIRST maximum
     * (row-major within the window), as in PyTorch: the backend's kernel finds each window's
     * argmax (as a flat index into the input plane) and the value is gathered there, so
     * gather's rule (a scatter through the same indices) routes the gradient, at any order.
     */
    public static Tensor maxPool2d(Tensor x, Pool2dSpec spec) {
        int[] xs = pool4d("maxPool2d", x, spec);
        int[] os = outShape(xs, spec);
        Tensor at = of(x.data().maxPool2dIndices(spec).reshape(xs[0], xs[1], os[2] * os[3]));
        return x.reshape(xs[0], xs[1], xs[2] * xs[3]).gather(2, at).reshape(os);
    }

    /** Average pooling over windows including padding zeros (PyTorch's count_include_pad=True). */
    public static Tensor avgPool2d(Tensor x, Pool2dSpec spec) {
        int[] xs = pool4d("avgPool2d", x, spec);
        return pool(x, xs, spec, spec.windows()).mean(new int[] {2}, false).reshape(outShape(xs, spec));
    }

    private static int[] pool4d(String op, Tensor x, Pool2dSpec spec) {
        int[] xs = x.shape();
        if (xs.length != 4) throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + " must be [N, C, H, W]");
        if (!x.dtype().isFloating())
            throw new IllegalArgumentException(op + ": needs a floating tensor, got " + x.dtype() + " input " + Shapes.str(xs));
        int[] out = outShape(xs, spec);
        if (out[2] < 1 || out[3] < 1)
            throw new IllegalArgumentException(op + ": kernel " + spec.kernelH() + "x" + spec.kernelW() + " does not fit input "
                    + Shapes.str(xs) + " padded by " + spec.padH() + "x" + spec.padW());
        return xs;
    }

    /** Windows as [N, C, kh*kw, L]. */
    private static Tensor pool(Tensor x, int[] xs, Pool2dSpec spec, Conv2dSpec windows) {
        int l = spec.windows().outH(xs[2], spec.kernelH()) * spec.windows().outW(xs[3], spec.kernelW());
        return x.unfold2d(spec.kernelH(), spec.kernelW(), windows).reshape(xs[0], xs[1], spec.kernelH() * spec.kernelW(), l);
    }

    private static int[] outShape(int[] xs, Pool2dSpec spec) {
        return new int[] {xs[0], xs[1], spec.windows().outH(xs[2], spec.kernelH()), spec.windows().outW(xs[3], spec.kernelW())};
    }
}
