package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;

/**
 * Weight initialization, with PyTorch's formulas (torch.nn.init), drawn from a seeded
 * {@link Rng} so a model is reproducible from its seed. Fans follow PyTorch: for a weight
 * {@code [out, in, k1, k2, ...]}, {@code fanIn = in·k1·k2…} and {@code fanOut = out·k1·k2…}.
 *
 * <p>Layer defaults (what PyTorch's {@code reset_parameters} does): Linear and Conv2d weights
 * use Kaiming-uniform with {@code a = √5}, which works out to {@code U(-1/√fanIn, 1/√fanIn)},
 * and their biases the same bound; Embedding draws {@code N(0, 1)}; norms start at weight 1,
 * bias 0; attention projections use Xavier-uniform with zero biases.
 */
public final class Init {
    private Init() {}

    /** {@code [fanIn, fanOut]} of a weight shape. */
    public static int[] fans(int... shape) {
        if (shape.length < 2) throw new IllegalArgumentException("Init.fans: weight shape " + Shapes.str(shape) + " needs at least 2 dimensions");
        int receptive = 1;
        for (int i = 2; i < shape.length; i++) receptive *= shape[i];
        return new int[] {shape[1] * receptive, shape[0] * receptive};
    }

    /** The gain PyTorch recommends for a nonlinearity ("linear", "relu", "tanh", "leaky_relu" with slope a). */
    public static double gain(String nonlinearity, double a) {
        return switch (nonlinearity) {
            case "linear", "sigmoid", "conv2d" -> 1.0;
            case "relu" -> Math.sqrt(2.0);
            case "tanh" -> 5.0 / 3.0;
            case "leaky_relu" -> Math.sqrt(2.0 / (1 + a * a));
            default -> throw new IllegalArgumentException("Init.gain: unknown nonlinearity '" + nonlinearity + "'");
        };
    }

    public static Tensor uniform(Rng rng, double low, double high, int... shape) {
        return Tensor.uniform(rng, low, high, DType.FLOAT32, shape);
    }

    public static Tensor normal(Rng rng, double mean, double std, int... shape) {
        return Tensor.of(rng.normal(mean, std, DType.FLOAT32, dev.proxima.tensor.Device.cpu(), shape));
    }

    /** Kaiming (He) uniform over fan-in, for a leaky-ReLU slope {@code a} (0: ReLU). */
    public static Tensor kaimingUniform(Rng rng, double a, int... shape) {
        double bound = gain("leaky_relu", a) * Math.sqrt(3.0 / fans(shape)[0]);
        return uniform(rng, -bound, bound, shape);
    }

    public static Tensor kaimingNormal(Rng rng, double a, int... shape) {
        return normal(rng, 0, gain("leaky_relu", a) / Math.sqrt(fans(shape)[0]), shape);
    }

    public static Tensor xavierUniform(Rng rng, double gain, int... shape) {
        int[] f = fans(shape);
        double bound = gain * Math.sqrt(6.0 / (f[0] + f[1]));
        return uniform(rng, -bound, bound, shape);
    }

    public static Tensor xavierNormal(Rng rng, double gain, int... shape) {
        int[] f = fans(shape);
        return normal(rng, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])), shape);
    }

    /** PyTorch's default Linear/Conv2d weight: Kaiming-uniform with a = √5, i.e. U(±1/√fanIn). */
    public static Tensor defaultWeight(Rng rng, int... shape) {
        return kaimingUniform(rng, Math.sqrt(5), shape);
    }

    /** PyTorch's default Linear/Conv2d bias: U(±1/√fanIn) of the weight's fan-in. */
    public static Tensor defaultBias(Rng rng, int fanIn, int size) {
        double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        return uniform(rng, -bound, bound, size);
    }
}
