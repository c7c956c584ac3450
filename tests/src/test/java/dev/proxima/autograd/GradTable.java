package dev.proxima.autograd;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.UnaryOp;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.Gen.Domain;
import dev.proxima.testkit.OpDomains;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One gradient-check entry per public {@link Tensor} op, keyed by its signature
 * ({@code add(Tensor)}, {@code sum(int[],boolean)}), and the ops that have no gradient by
 * design, each with its reason. {@link GradCoverageTest} fails when a public op is in neither
 * list, and when running every entry leaves a {@link Primitive} (or a unary, binary or
 * reduce op) unreached, so a new op without a gradient check fails the build the way a new
 * primitive without a rule fails to compile.
 *
 * <p>Inputs are float64, small, and drawn from the shared table ({@link OpDomains}) where the
 * op has a domain, else as distinct values (no ties within a finite-difference step).
 */
final class GradTable {
    private GradTable() {}

    /**
     * A gradient check: inputs drawn from a seeded source, the function of them to check, and
     * what the second-order check differentiates twice ({@code outer} of f's output).
     */
    record Case(String signature, Function<SplittableRandom, List<Tensor>> inputs, Function<List<Tensor>, Tensor> f,
                GradCheck.Options options, Function<Tensor, Tensor> outer) {}

    /**
     * y * tanh(y): the second-order check then sees the op's first derivative twice (a linear
     * op alone has a zero Hessian, which would test little).
     */
    private static final Function<Tensor, Tensor> TANH_WEIGHTED = y -> y.mul(y.tanh());

    static final Map<String, String> NO_GRADIENT = new LinkedHashMap<>();
    static final Map<String, Case> CASES = new LinkedHashMap<>();

    private static final GradCheck.Options O = GradCheck.Options.defaults();
    /** Round trips through float32 quantise values; a linear function of them needs a large step. */
    private static final GradCheck.Options COARSE = new GradCheck.Options(1e-2, 1e-5, 1e-4, 3);

    static {
        for (String s : List.of("of(NDArray)", "of(float[],int[])", "of(double[],int[])", "of(float[])", "scalar(double)",
                "zeros(int[])", "zeros(DType,int[])", "ones(int[])", "ones(DType,int[])", "full(double,DType,int[])",
                "arange(int)", "randn(Rng,int[])", "randn(Rng,DType,int[])", "rand(Rng,DType,int[])",
                "uniform(Rng,double,double,DType,int[])",
                "zerosLike()", "fullLike(double)"))
            NO_GRADIENT.put(s, "creates a constant");
        NO_GRADIENT.put("requiresGrad(boolean)", "makes a new leaf");
        NO_GRADIENT.put("detach()", "stops gradients by definition");
        NO_GRADIENT.put("grad()", "reads the accumulated gradient");
        for (String c : List.of("eq", "ne", "lt", "le", "gt", "ge")) {
            NO_GRADIENT.put(c + "(Tensor)", "a comparison: a 0/1 mask with no gradient (ConventionsTest)");
            NO_GRADIENT.put(c + "(double)", "a comparison: a 0/1 mask with no gradient (ConventionsTest)");
        }
        NO_GRADIENT.put("argmax(int,boolean)", "int32 indices");
        NO_GRADIENT.put("argmin(int,boolean)", "int32 indices");
        NO_GRADIENT.put("oneHot(Tensor,int,DType)", "a constant of int32 labels");
        NO_GRADIENT.put("to(Device)", "needs a second device: checked to order 2 in OpenClRobustnessTest (CPU -> OpenCL -> CPU)");

        // ---- elementwise: every unary op by its method name, every binary op both ways ----
        for (UnaryOp op : UnaryOp.values()) {
            String name = camel(op.name());
            add(name + "()", smooth(OpDomains.smooth(op), 2, 3), x -> call(x.get(0), name));
        }
        add("map(UnaryOp)", smooth(OpDomains.smooth(UnaryOp.TANH), 2, 3), x -> x.get(0).map(UnaryOp.SIN));
        for (BinaryOp op : BinaryOp.values()) {
            if (op.isComparison()) continue;
            String name = camel(op.name());
            OpDomains.Pair d = OpDomains.smooth(op);
            boolean ties = op == BinaryOp.MAXIMUM || op == BinaryOp.MINIMUM;
            add(name + "(Tensor)", ties ? distinct(new int[] {2, 3}, new int[] {3})
                    : r -> List.of(f64(d.a(), r, 2, 3), f64(d.b(), r, 3)), x -> call(x.get(0), name, x.get(1)));
            double s = op == BinaryOp.POW ? 1.5 : op == BinaryOp.DIV ? 0.7 : 0.05; // 0.05: never hit by distinct values
            add(name + "(double)", ties ? distinct(new int[] {2, 3}) : smooth(d.a(), 2, 3), x -> call(x.get(0), name, s));
        }
        add("zip(BinaryOp,Tensor)", matrixAndRow(Domain.range(-2, 2), 2, 3), x -> x.get(0).zip(BinaryOp.MUL, x.get(1)));
        add("clamp(double,double)", distinct(new int[] {4, 3}), x -> x.get(0).clamp(-0.33, 0.47));
        add("where(Tensor,Tensor,Tensor)", matrixAndRow(Domain.range(-2, 2), 2, 3),
                x -> Tensor.where(Tensor.of(x.get(0).data().gt(0)), x.get(0), x.get(1))); // cond: a constant mask

        // ---- reductions ----
        add("sum()", distinct(new int[] {2, 3}), x -> x.get(0).sum());
        add("sum(int[])", distinct(new int[] {2, 3, 2}), x -> x.get(0).sum(0, 2));
        add("sum(int[],boolean)", distinct(new int[] {2, 3}), x -> x.get(0).sum(new int[] {1}, true));
        add("prod()", smooth(OpDomains.smooth(dev.proxima.tensor.ReduceOp.PROD), 2, 3), x -> x.get(0).prod());
        add("prod(int[],boolean)", smooth(OpDomains.smooth(dev.proxima.tensor.ReduceOp.PROD), 2, 3), x -> x.get(0).prod(new int[] {0}, false));
        add("max()", distinct(new int[] {2, 3}), x -> x.get(0).max());
        add("max(int[],boolean)", distinct(new int[] {2, 3}), x -> x.get(0).max(new int[] {1}, true));
        add("min()", distinct(new int[] {2, 3}), x -> x.get(0).min());
        add("min(int[],boolean)", distinct(new int[] {2, 3}), x -> x.get(0).min(new int[] {0}, false));
        add("mean()", distinct(new int[] {2, 3}), x -> x.get(0).mean());
        add("mean(int[])", distinct(new int[] {2, 3}), x -> x.get(0).mean(1));
        add("mean(int[],boolean)", distinct(new int[] {2, 3}), x -> x.get(0).mean(new int[] {0}, true));
        add("var(int[],boolean,int)", distinct(new int[] {2, 3}), x -> x.get(0).var(new int[] {1}, false, 1));
        add("std(int[],boolean,int)", distinct(new int[] {2, 3}), x -> x.get(0).std(new int[] {0, 1}, true, 0));
        add("logsumexp(int[],boolean)", distinct(new int[] {2, 3}), x -> x.get(0).logsumexp(new int[] {1}, false));
        add("softmax(int)", distinct(new int[] {2, 3}), x -> x.get(0).softmax(1));
        add("logSoftmax(int)", distinct(new int[] {2, 3}), x -> x.get(0).logSoftmax(0));
        add("klDivLogits(Tensor)", distinct(new int[] {2, 3}, new int[] {2, 3}), x -> x.get(0).klDivLogits(x.get(1)));

        // ---- linear algebra, shapes and views ----
        add("matmul(Tensor)", distinct(new int[] {2, 3}, new int[] {3}), x -> x.get(0).matmul(x.get(1)));
        add("reshape(int[])", distinct(new int[] {2, 3}), x -> x.get(0).reshape(3, -1));
        add("flatten()", distinct(new int[] {2, 3}), x -> x.get(0).flatten());
        add("permute(int[])", distinct(new int[] {2, 3, 2}), x -> x.get(0).permute(2, 0, 1));
        add("transpose(int,int)", distinct(new int[] {2, 3}), x -> x.get(0).transpose(0, 1));
        add("mT()", distinct(new int[] {2, 2, 3}), x -> x.get(0).mT());
        add("expand(int[])", distinct(new int[] {3, 1}), x -> x.get(0).expand(2, 3, 4));
        add("broadcastTo(int[])", distinct(new int[] {3}), x -> x.get(0).broadcastTo(2, 3));
        add("squeeze(int[])", distinct(new int[] {2, 1, 3}), x -> x.get(0).squeeze(1));
        add("unsqueeze(int)", distinct(new int[] {2, 3}), x -> x.get(0).unsqueeze(1));
        add("sumTo(int[])", distinct(new int[] {2, 3}), x -> x.get(0).sumTo(new int[] {1, 3}));
        add("slice(int,int,int,int)", distinct(new int[] {5, 2}), x -> x.get(0).slice(0, 1, 5, 2));
        add("slice(int,int,int)", distinct(new int[] {2, 4}), x -> x.get(0).slice(1, -3, -1));
        add("select(int,int)", distinct(new int[] {2, 3}), x -> x.get(0).select(1, -1));
        add("pad(int[])", distinct(new int[] {2, 3}), x -> x.get(0).pad(1, 0, 0, 2));
        add("pad(int[],double)", distinct(new int[] {3, 3}), x -> x.get(0).pad(new int[] {-1, 2, 1, -1}, 0.5));
        add("concat(int,Tensor[])", distinct(new int[] {2, 3}, new int[] {1, 3}), x -> Tensor.concat(0, x.get(0), x.get(1)));
        add("concat(int,List)", distinct(new int[] {2, 1}, new int[] {2, 2}), x -> Tensor.concat(1, x));
        add("stack(int,Tensor[])", distinct(new int[] {2, 3}, new int[] {2, 3}), x -> Tensor.stack(1, x.get(0), x.get(1)));
        add("split(int,int[])", distinct(new int[] {2, 5}), x -> weighted(1, x.get(0).split(1, 2, 0, 3)));
        add("chunk(int,int)", distinct(new int[] {5, 2}), x -> weighted(0, x.get(0).chunk(2, 0)));
        add("contiguous()", distinct(new int[] {2, 3}), x -> x.get(0).mT().contiguous());
        // The square's gradient is linear, so the coarse step's difference quotient stays exact.
        CASES.put("to(DType)", new Case("to(DType)", distinct(new int[] {2, 3}),
                x -> x.get(0).to(DType.FLOAT32).to(DType.FLOAT64), COARSE, Tensor::square));

        // ---- indexing ----
        Tensor index = Tensor.of(NDArray.of(new int[] {1, 0, 2, 2, 0, 1}, 2, 3));
        // Constant indices go to the device of the inputs (BFloat16GradTableTest runs the entries on OpenCL too).
        add("gather(int,Tensor)", distinct(new int[] {3, 3}), x -> x.get(0).gather(0, index.to(x.get(0).device())));
        add("scatterAdd(int,Tensor,Tensor)", distinct(new int[] {3, 3}, new int[] {2, 3}),
                x -> x.get(0).scatterAdd(0, index.to(x.get(0).device()), x.get(1)));
        add("indexSelect(int,Tensor)", distinct(new int[] {3, 2}),
                x -> x.get(0).indexSelect(0, Tensor.of(NDArray.of(new int[] {2, 0, 2}, 3)).to(x.get(0).device())));

        // ---- normalization ----
        add("batchNorm(Tensor,Tensor,Tensor,double)", distinct(new int[] {3, 2, 2}, new int[] {2}, new int[] {2}),
                x -> Tensor.batchNorm(x.get(0), x.get(1), x.get(2), 1e-5));

        // ---- convolution and pooling ----
        Conv2dSpec conv = Conv2dSpec.of(1, 1);
        add("unfold2d(int,int,Conv2dSpec)", distinct(new int[] {1, 1, 3, 3}), x -> x.get(0).unfold2d(2, 2, conv));
        add("fold2d(Tensor,int[],int,int,Conv2dSpec)", distinct(new int[] {1, 4, 16}),
                x -> Tensor.fold2d(x.get(0), new int[] {1, 1, 3, 3}, 2, 2, conv));
        add("conv2d(Tensor,Tensor,Conv2dSpec)", distinct(new int[] {1, 2, 3, 3}, new int[] {2, 1, 2, 2}),
                x -> Tensor.conv2d(x.get(0), x.get(1), Conv2dSpec.of(1, 0, 1, 2)));
        add("maxPool2d(Tensor,Pool2dSpec)", distinct(new int[] {1, 2, 3, 4}), x -> Tensor.maxPool2d(x.get(0), Pool2dSpec.of(2, 1, 1)));
        add("avgPool2d(Tensor,Pool2dSpec)", distinct(new int[] {1, 1, 4, 4}), x -> Tensor.avgPool2d(x.get(0), Pool2dSpec.of(2, 2, 1)));
    }

    private static void add(String signature, Function<SplittableRandom, List<Tensor>> inputs, Function<List<Tensor>, Tensor> f) {
        if (CASES.put(signature, new Case(signature, inputs, f, O, TANH_WEIGHTED)) != null) throw new AssertionError("two entries for " + signature);
    }

    /** GELU_TANH -> geluTanh, LOG1P -> log1p: the Tensor method of an op constant. */
    static String camel(String constant) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : constant.toLowerCase(Locale.ROOT).toCharArray()) {
            if (c == '_') up = true;
            else { b.append(up ? Character.toUpperCase(c) : c); up = false; }
        }
        return b.toString();
    }

    /** Calls a Tensor method by name, so an entry exercises exactly the method it is named after. */
    private static Tensor call(Tensor x, String name, Object... args) {
        try {
            Class<?>[] types = new Class<?>[args.length];
            for (int i = 0; i < args.length; i++) types[i] = args[i] instanceof Double ? double.class : Tensor.class;
            Method m = Tensor.class.getMethod(name, types);
            return (Tensor) m.invoke(x, args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new RuntimeException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("Tensor has no method " + name, e);
        }
    }

    /** Pieces joined back with different weights, so each piece's gradient is told apart. */
    private static Tensor weighted(int axis, Tensor[] pieces) {
        List<Tensor> w = new ArrayList<>();
        for (int i = 0; i < pieces.length; i++) w.add(pieces[i].mul(i + 1.0));
        return Tensor.concat(axis, w);
    }

    private static Tensor f64(Domain d, SplittableRandom r, int... shape) {
        return Tensor.of(NDArray.of(d.sample(r, DType.FLOAT64, size(shape)), shape));
    }

    /** One input of {@code shape} from domain {@code d}. */
    private static Function<SplittableRandom, List<Tensor>> smooth(Domain d, int... shape) {
        return r -> List.of(f64(d, r, shape));
    }

    /** A [rows, cols] input and a [cols] one (broadcast against it), both from {@code d}. */
    private static Function<SplittableRandom, List<Tensor>> matrixAndRow(Domain d, int rows, int cols) {
        return r -> List.of(f64(d, r, rows, cols), f64(d, r, cols));
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** Inputs of the given shapes holding distinct values 0.1 apart (no ties anywhere). */
    private static Function<SplittableRandom, List<Tensor>> distinct(int[]... shapes) {
        return r -> {
            int total = 0;
            for (int[] s : shapes) total += size(s);
            double[] all = Gen.distinct(r, total, 0.1);
            List<Tensor> xs = new ArrayList<>();
            int at = 0;
            for (int[] s : shapes) {
                double[] v = java.util.Arrays.copyOfRange(all, at, at + size(s));
                at += v.length;
                xs.add(Tensor.of(NDArray.of(v, s)));
            }
            return xs;
        };
    }
}
