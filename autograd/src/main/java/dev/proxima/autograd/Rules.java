package dev.proxima.autograd;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;

/**
 * The VJP table: one rule per primitive, written in {@link Tensor} ops, never raw arrays, so
 * a backward pass run with {@code createGraph} is itself recorded and can be differentiated
 * again (grad of grad, meta-gradients through optimizer steps).
 *
 * <p>Vocabulary of a rule (as in PyTorch's derivatives.yaml):
 * <ul>
 *   <li>{@code g}: the gradient flowing into the node's output (same shape as the output);</li>
 *   <li>{@code x}, {@code a}, {@code b}, {@code in[i]}: the node's inputs, as graph tensors;</li>
 *   <li>{@code y}: the node's output, as a graph tensor (so rules such as exp's {@code g * y}
 *       stay differentiable in x).</li>
 * </ul>
 * A rule returns one gradient per input, or {@code null} for "no gradient" (a mask, an index,
 * an input the rule is constant in, or an input that does not require gradients, which
 * rules with a costly gradient skip). Gradients may have the broadcast shape of the output;
 * the engine sums them back to each input's shape.
 *
 * <p>Conventions at singular points (tested): abs'(0) = 0 (sign); sqrt'(0) = +inf as in
 * PyTorch, and optimizers guard the root with an epsilon inside it; relu'(0) = 0; maximum,
 * minimum, max and min split the gradient evenly between tied elements (max pooling instead
 * gathers at each window's first maximum, so a tie sends it all there, as PyTorch's
 * max_pool2d does); d(a^b)/db = 0 where a = 0; prod's gradient is exact with zeros in the
 * reduced group; std (a composition, sqrt of var) has gradient 0, not NaN, where every
 * element of a group is equal, as in PyTorch (sqrt'(0) = inf times a zero centred value
 * would give NaN).
 *
 * <p>Conventions for empty arrays (a dimension of size 0), as NumPy and PyTorch: sum is 0,
 * mean is NaN (0/0), logsumexp is -inf, max/min/argmax raise, and every gradient is an
 * empty or zero tensor of the input's shape. {@code to(Device)} is differentiable: its
 * gradient is {@code g} copied back to the input's device.
 */
final class Rules {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double SQRT_HALF = 0.7071067811865476;
    private static final double GELU_C = 0.7978845608028654; // sqrt(2/pi)
    private static final double GELU_K = 0.044715;

    private Rules() {}

    static Tensor[] vjp(Primitive p, Tensor g, Tensor[] in, Tensor y) {
        return switch (p) {
            case Primitive.Unary u -> new Tensor[] {unary(u.op(), g, in[0], y)};
            case Primitive.Binary b -> binary(b.op(), g, in[0], in[1], y);
            case Primitive.Where w -> new Tensor[] {null,
                    Tensor.where(in[0], g, g.zerosLikeScalar()), Tensor.where(in[0], g.zerosLikeScalar(), g)};
            case Primitive.Reduce r -> new Tensor[] {reduce(r, g, in[0], y)};
            case Primitive.Softmax s -> new Tensor[] {s.log()
                    ? g.sub(y.exp().mul(g.sum(new int[] {s.axis()}, true)))
                    : y.mul(g.sub(g.mul(y).sum(new int[] {s.axis()}, true)))};
            case Primitive.Matmul m -> new Tensor[] {
                    in[0].requiresGrad() ? g.matmul(in[1].mT()) : null, in[1].requiresGrad() ? in[0].mT().matmul(g) : null};
            case Primitive.Reshape r -> new Tensor[] {g.reshape(in[0].shape())};
            case Primitive.Permute pm -> new Tensor[] {g.permute(inverse(pm.perm()))};
            case Primitive.Expand e -> new Tensor[] {g.sumTo(in[0].shape())};
            case Primitive.Slice s -> new Tensor[] {g.embed(in[0].shape(), s.axis(), s.start(), s.step())};
            case Primitive.Embed e -> new Tensor[] {g.slice(e.axis(), e.start(), e.start() + (in[0].shape(e.axis()) - 1) * e.step() + 1, e.step())};
            case Primitive.Concat c -> concat(c, g, in);
            case Primitive.Pad pd -> new Tensor[] {g.pad(negate(pd.padding()), 0)};
            case Primitive.Cast c -> new Tensor[] {g.to(in[0].dtype())};
            case Primitive.ToDevice d -> new Tensor[] {g.to(in[0].device())};
            case Primitive.Contiguous c -> new Tensor[] {g};
            case Primitive.Gather ga -> new Tensor[] {
                    Tensor.apply(new Primitive.ScatterAdd(ga.axis()), in[0].zerosLike(), in[1], g), null};
            case Primitive.ScatterAdd s -> new Tensor[] {g, null, g.gather(s.axis(), in[1])};
            // y = conv(x, w) is bilinear; with D = conv2dBackwardInput and E = conv2dBackwardWeight
            // its adjoints (<conv(x, w), g> = <x, D(g, w)> = <w, E(x, g)>), each rule is a
            // pairing of the other two.
            case Primitive.Conv2d c -> new Tensor[] {
                    in[0].requiresGrad() ? Tensor.apply(new Primitive.Conv2dBackwardInput(in[0].shape(), c.spec()), g, in[1]) : null,
                    in[1].requiresGrad() ? Tensor.apply(new Primitive.Conv2dBackwardWeight(in[1].shape(), c.spec()), in[0], g) : null};
            case Primitive.Conv2dBackwardInput d -> new Tensor[] { // in = (g, w); this g is d's output gradient, shaped like x
                    in[0].requiresGrad() ? Tensor.apply(new Primitive.Conv2d(d.spec()), g, in[1]) : null,
                    in[1].requiresGrad() ? Tensor.apply(new Primitive.Conv2dBackwardWeight(in[1].shape(), d.spec()), g, in[0]) : null};
            case Primitive.Conv2dBackwardWeight e -> new Tensor[] { // in = (x, g); this g is shaped like w
                    in[0].requiresGrad() ? Tensor.apply(new Primitive.Conv2dBackwardInput(in[0].shape(), e.spec()), in[1], g) : null,
                    in[1].requiresGrad() ? Tensor.apply(new Primitive.Conv2d(e.spec()), in[0], g) : null};
            case Primitive.BatchNorm bn -> batchNorm(bn.eps(), g, in[0], in[1]);
            case Primitive.Unfold2d u -> new Tensor[] {Tensor.apply(new Primitive.Fold2d(in[0].shape(), u.kh(), u.kw(), u.spec()), g)};
            case Primitive.Fold2d f -> new Tensor[] {Tensor.apply(new Primitive.Unfold2d(f.kh(), f.kw(), f.spec()), g)};
        };
    }

    /** The bit of {@link #saved}'s mask that stands for the output {@code y}; bit i stands for input i. */
    static final int OUTPUT = 1 << 30;

    /**
     * Which values a rule reads besides {@code g}, as PyTorch's saved tensors: bit i when it
     * reads input i, {@link #OUTPUT} when it reads {@code y}. Shapes, dtypes and devices are
     * not values (reshape's rule reads only {@code in[0].shape()}), and an input is saved only
     * for the gradients that need it (mul saves b for a's gradient, so only when a requires
     * one). The engine checks these against in-place writes ({@code Node.checkSaved}); this
     * must follow the rules above, which {@code InPlaceVersionTest} checks for every op.
     */
    static int saved(Primitive p, Tensor[] in) {
        final int x = 1, a = 1, b = 2;
        return switch (p) {
            case Primitive.Unary u -> switch (u.op()) {
                case NEG, SIGN -> 0;
                case EXP, EXPM1, SQRT, RSQRT, RECIPROCAL, TANH, SIGMOID -> OUTPUT;
                case ABS, LOG, LOG1P, SQUARE, SIN, COS, RELU, GELU, GELU_TANH, SILU, SOFTPLUS, ERF -> x;
            };
            case Primitive.Binary bin -> {
                boolean ga = in[0].requiresGrad(), gb = in[1].requiresGrad();
                yield switch (bin.op()) {
                    case ADD, SUB, EQ, NE, LT, LE, GT, GE -> 0;
                    case MUL -> (ga ? b : 0) | (gb ? a : 0);
                    case DIV -> (ga ? b : 0) | (gb ? b | OUTPUT : 0);
                    case POW -> (ga ? a | b : 0) | (gb ? a | OUTPUT : 0);
                    case MAXIMUM, MINIMUM -> a | b;
                };
            }
            case Primitive.Where w -> 1; // the condition
            case Primitive.Reduce r -> r.op() == ReduceOp.SUM ? 0 : x | OUTPUT;
            case Primitive.Softmax s -> OUTPUT;
            case Primitive.Matmul m -> (in[0].requiresGrad() ? b : 0) | (in[1].requiresGrad() ? a : 0);
            case Primitive.Gather ga -> b; // the index
            case Primitive.ScatterAdd sa -> b; // the index
            case Primitive.Reshape r -> 0;
            case Primitive.Permute pm -> 0;
            case Primitive.Expand e -> 0;
            case Primitive.Slice sl -> 0;
            case Primitive.Embed e -> 0;
            case Primitive.Concat c -> 0;
            case Primitive.Pad pd -> 0;
            case Primitive.Cast c -> 0;
            case Primitive.ToDevice d -> 0;
            case Primitive.Contiguous c -> 0;
            case Primitive.Unfold2d u -> 0;
            case Primitive.Fold2d f -> 0;
            // The three convolutions are bilinear: each input is saved for the other's gradient.
            case Primitive.Conv2d c -> (in[0].requiresGrad() ? b : 0) | (in[1].requiresGrad() ? a : 0);
            case Primitive.Conv2dBackwardInput d -> (in[0].requiresGrad() ? b : 0) | (in[1].requiresGrad() ? a : 0);
            case Primitive.Conv2dBackwardWeight e -> (in[0].requiresGrad() ? b : 0) | (in[1].requiresGrad() ? a : 0);
            case Primitive.BatchNorm bn -> a | b; // x and the weight (not the bias)
        };
    }

    private static Tensor unary(UnaryOp op, Tensor g, Tensor x, Tensor y) {
        return switch (op) {
            case NEG -> g.neg();
            case ABS -> g.mul(x.sign());
            case EXP -> g.mul(y);
            case LOG -> g.div(x);
            case LOG1P -> g.div(x.add(1));
            case EXPM1 -> g.mul(y.add(1));
            case SQRT -> g.div(y.mul(2));
            case RSQRT -> g.mul(y.square().mul(y)).mul(-0.5);
            case SQUARE -> g.mul(x.mul(2));
            case RECIPROCAL -> g.mul(y.square()).neg();
            case SIN -> g.mul(x.cos());
            case COS -> g.mul(x.sin()).neg();
            case TANH -> g.mul(y.square().neg().add(1));
            case SIGMOID -> g.mul(y.mul(y.neg().add(1)));
            case RELU -> g.mul(x.gt(0));
            case GELU -> g.mul(x.mul(SQRT_HALF).erf().add(1).mul(0.5)
                    .add(x.mul(x.square().mul(-0.5).exp()).mul(INV_SQRT_2PI)));
            case GELU_TANH -> {
                Tensor t = x.add(x.square().mul(x).mul(GELU_K)).mul(GELU_C).tanh();
                Tensor du = x.square().mul(3 * GELU_K).add(1).mul(GELU_C);
                yield g.mul(t.add(1).mul(0.5).add(x.mul(t.square().neg().add(1)).mul(du).mul(0.5)));
            }
            case SILU -> {
                Tensor s = x.sigmoid();
                yield g.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
            }
            case SIGN -> null;
            case SOFTPLUS -> g.mul(x.sigmoid());
            case ERF -> g.mul(x.square().neg().exp().mul(TWO_OVER_SQRT_PI));
        };
    }

    private static Tensor[] binary(BinaryOp op, Tensor g, Tensor a, Tensor b, Tensor y) {
        return switch (op) {
            case ADD -> new Tensor[] {g, g};
            case SUB -> new Tensor[] {g, g.neg()};
            case MUL -> new Tensor[] {a.requiresGrad() ? g.mul(b) : null, b.requiresGrad() ? g.mul(a) : null};
            case DIV -> new Tensor[] {a.requiresGrad() ? g.div(b) : null, b.requiresGrad() ? g.mul(y).div(b).neg() : null};
            case POW -> new Tensor[] {
                    a.requiresGrad() ? g.mul(b).mul(a.pow(b.sub(1))) : null,
                    b.requiresGrad() ? Tensor.where(a.eq(0), g.zerosLikeScalar(), g.mul(y).mul(a.log())) : null};
            case MAXIMUM -> tieSplit(g, a.gt(b), a.eq(b));
            case MINIMUM -> tieSplit(g, a.lt(b), a.eq(b));
            case EQ, NE, LT, LE, GT, GE -> new Tensor[] {null, null};
        };
    }

    /** The winner takes g; on a tie each side takes g / 2. */
    private static Tensor[] tieSplit(Tensor g, Tensor aWins, Tensor tie) {
        Tensor aShare = aWins.add(tie.mul(0.5));
        return new Tensor[] {g.mul(aShare), g.mul(aShare.neg().add(1))};
    }

    private static Tensor reduce(Primitive.Reduce r, Tensor g, Tensor x, Tensor y) {
        int[] shape = x.shape();
        Tensor gk = r.keepdim() ? g : g.unsqueezeAxes(r.axes());
        Tensor yk = r.keepdim() ? y : y.unsqueezeAxes(r.axes());
        return switch (r.op()) {
            case SUM -> gk.expand(shape);
            case MAX, MIN -> {
                Tensor hit = x.eq(yk);
                yield gk.mul(hit).div(hit.sum(r.axes(), true));
            }
            case PROD -> {
                // y / x everywhere except at zeros. At a zero, the product of the others: with
                // one zero in the group, the product of the non-zero elements; with two, that
                // times the other zero, written (sum of the zeros - x) so the value is 0 but its
                // derivative in the other zero (the Hessian's cross term) is right; with more, 0.
                Tensor zero = x.eq(0);
                Tensor safeX = Tensor.where(zero, x.onesLikeScalar(), x);
                Tensor nonZeroProd = safeX.reduce(ReduceOp.PROD, r.axes(), true);
                Tensor count = zero.sum(r.axes(), true);
                Tensor otherZero = Tensor.where(zero, x, x.zerosLikeScalar()).sum(r.axes(), true).sub(x);
                Tensor atZero = nonZeroProd.mul(Tensor.where(count.eq(1), x.onesLikeScalar(),
                        Tensor.where(count.eq(2), otherZero, x.zerosLikeScalar())));
                yield gk.mul(Tensor.where(zero, atZero, yk.div(safeX)));
            }
        };
    }

    /**
     * Batch normalization (formulas in the tensor module's Normalization). A backward pass
     * that is not recorded (no createGraph), the usual training step, takes the backend's
     * fused two-pass kernel: its results are constants either way. A recorded one takes the
     * same formula written in Tensor ops, so gradients of every order exist; GradTable checks
     * the first through the kernel and the second through this composition.
     */
    private static Tensor[] batchNorm(double eps, Tensor g, Tensor x, Tensor w) {
        if (!Autograd.isGradEnabled()) {
            NDArray[] d = x.data().batchNormBackward(w.data(), g.data(), eps);
            return new Tensor[] {Tensor.of(d[0]), Tensor.of(d[1]), Tensor.of(d[2])};
        }
        int[] axes = Tensor.batchNormAxes(x.ndim()), view = new int[x.ndim()];
        java.util.Arrays.fill(view, 1);
        view[1] = x.shape(1);
        double m = (double) x.size() / x.shape(1);
        Tensor centered = x.sub(x.mean(axes, true));
        Tensor rstd = centered.square().mean(axes, true).add(eps).rsqrt();
        Tensor xhat = centered.mul(rstd);
        Tensor dbias = g.sum(axes, true), dweight = g.mul(xhat).sum(axes, true);
        Tensor dx = g.sub(dbias.div(m)).sub(xhat.mul(dweight.div(m))).mul(rstd.mul(w.reshape(view)));
        return new Tensor[] {dx, dweight.reshape(x.shape(1)), dbias.reshape(x.shape(1))};
    }

    private static Tensor[] concat(Primitive.Concat c, Tensor g, Tensor[] in) {
        Tensor[] r = new Tensor[in.length];
        int at = 0;
        for (int i = 0; i < in.length; i++) {
            int n = in[i].shape(c.axis());
            r[i] = g.slice(c.axis(), at, at + n, 1);
            at += n;
        }
        return r;
    }

    private static int[] negate(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = -a[i];
        return r;
    }

    private static int[] inverse(int[] perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inv[perm[i]] = i;
        return inv;
    }
}
