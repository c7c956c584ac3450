package dev.proxima.tensor;

/**
 * The primitive kernel set: everything an {@link NDArray} op needs from a device. Each
 * {@link NDArray} method checks its arguments and calls one of these kernels (or builds a
 * view); every composition (mean, var, clamp, stack, conv2d, pooling, one-hot, ...) lives once
 * in {@code dev.proxima.autograd.Tensor}, built from the primitives, so a new backend
 * implements this interface and nothing else.
 *
 * <p>Contract for every kernel:
 * <ul>
 *   <li>Inputs are arrays of this backend with any strides and offset (views, stride-0
 *       broadcasts); shape and dtype checks have already been done by {@link NDArray}, which
 *       also names the op in its errors.</li>
 *   <li>Outputs are freshly allocated, contiguous arrays; no kernel writes into an input,
 *       except {@link #copyInto} and {@link #scatterAdd}, which write into an array the caller
 *       has just allocated.</li>
 * </ul>
 */
public interface Backend {

    Device device();

    /**
     * Blocks until every kernel queued so far has finished. Asynchronous devices (OpenCL)
     * need it for timing; {@link #download} implies it. The CPU runs kernels synchronously.
     */
    default void finish() {}

    // ---- memory ------------------------------------------------------------------------

    /** A zero-filled storage of {@code size} elements. */
    Storage allocate(DType dtype, int size);

    /**
     * A storage holding a copy of a {@code float[]}, {@code double[]}, {@code int[]} or
     * {@code short[]} (bfloat16 bit patterns, see {@link BFloat16}).
     */
    Storage upload(Object javaArray);

    /**
     * The elements of {@code x} in row-major order, as a new {@code float[]}, {@code double[]},
     * {@code int[]} or {@code short[]} (bfloat16 bits) matching its dtype.
     */
    Object download(NDArray x);

    /**
     * Writes {@code src} into {@code dst} element by element ({@code dst += src} when
     * {@code accumulate}), converting dtypes (to bfloat16: rounded once, to nearest even). Same shape; {@code dst} may be any view of a
     * storage the caller owns, but its elements must not overlap each other.
     */
    void copyInto(NDArray dst, NDArray src, boolean accumulate);

    // ---- compute -----------------------------------------------------------------------

    NDArray unary(UnaryOp op, NDArray x);

    /** {@code a} and {@code b} have the same shape and dtype (broadcasting is done by strides). */
    NDArray binary(BinaryOp op, NDArray a, NDArray b);

    /** {@code cond != 0 ? a : b}; all three of one shape, {@code a} and {@code b} of one dtype. */
    NDArray where(NDArray cond, NDArray a, NDArray b);

    /**
     * Reduces the sorted, distinct {@code axes}; the result keeps them as size-1 dimensions.
     */
    NDArray reduce(ReduceOp op, NDArray x, int[] axes);

    /**
     * Index of the first maximum ({@code op == MAX}) or minimum ({@code op == MIN}) along
     * {@code axis}, as an INT32 array that keeps {@code axis} with size 1. NaN counts as the
     * extreme, as in NumPy.
     */
    NDArray argReduce(ReduceOp op, NDArray x, int axis);

    /**
     * Batched matrix product: {@code a} is [..., M, K], {@code b} is [..., K, N] with the same
     * batch dimensions (already broadcast), any strides; the result is contiguous [..., M, N].
     * Transposed operands arrive as strided views, without copies.
     */
    NDArray matmul(NDArray a, NDArray b);

    /**
     * Softmax (or log-softmax when {@code log}) along {@code axis}, computed stably by
     * subtracting the maximum.
     */
    NDArray softmax(NDArray x, int axis, boolean log);

    /**
     * {@code out[i][j][k] = x[index[i][j][k]][j][k]} for {@code axis == 0}, and so on
     * (torch.gather). {@code index} is INT32 with the shape of the result; every dimension but
     * {@code axis} is no larger than {@code x}'s. Indices are already bounds-checked.
     */
    NDArray gather(NDArray x, int axis, NDArray index);

    /**
     * The adjoint of {@link #gather}: {@code dst[index[i][j][k]][j][k] += src[i][j][k]} for
     * {@code axis == 0} (torch.scatter_add_), into a contiguous {@code dst} the caller owns.
     */
    void scatterAdd(NDArray dst, int axis, NDArray index, NDArray src);

    // ---- fused kernels (default: composed from the primitives above) ---------------------

    /**
     * 2-d convolution (cross-correlation) of {@code x [N, C, H, W]} with
     * {@code w [O, C/groups, KH, KW]}: {@code [N, O, OH, OW]}. Shapes are checked.
     */
    default NDArray conv2d(NDArray x, NDArray w, Conv2dSpec spec) {
        return Convolution.conv2d(x, w, spec);
    }

    /** The gradient of {@link #conv2d} in x for the output gradient {@code g}: {@code inputShape}. */
    default NDArray conv2dBackwardInput(NDArray g, NDArray w, int[] inputShape, Conv2dSpec spec) {
        return Convolution.conv2dBackwardInput(g, w, inputShape, spec);
    }

    /** The gradient of {@link #conv2d} in w for the output gradient {@code g}: {@code weightShape}. */
    default NDArray conv2dBackwardWeight(NDArray x, NDArray g, int[] weightShape, Conv2dSpec spec) {
        return Convolution.conv2dBackwardWeight(x, g, weightShape, spec);
    }

    /**
     * {@code {min, max}} of the values of a non-empty INT32 array: what gather, scatterAdd and
     * oneHot check their indices against. By default two reductions on the device (through
     * FLOAT64) and two scalars downloaded rather than the whole index; a backend that can
     * read the values where they are does it in one pass (max pooling checks an index as
     * large as its output, forward and backward, at every training step).
     */
    default int[] indexRange(NDArray index) {
        NDArray f = index.to(DType.FLOAT64);
        return new int[] {(int) f.min().item(), (int) f.max().item()};
    }

    /**
     * Max pooling's argmax: INT32 {@code [N, C, OH, OW]} holding, for each window of
     * {@code x [N, C, H, W]}, the flat index {@code h·W + w} within its plane of the window's
     * first maximum in row-major order (NaN counts as the maximum; padding is never chosen).
     */
    default NDArray maxPool2dIndices(NDArray x, Pool2dSpec spec) {
        return Convolution.maxPoolIndices(x, spec);
    }

    /**
     * Per-channel statistics of {@code x [N, C, ...]} over every axis but 1, as a [2, C]
     * array: the mean, then the biased variance (see {@link Normalization}).
     */
    default NDArray batchNormStats(NDArray x) {
        return Normalization.stats(x);
    }

    /** Batch normalization in training mode, {@code x̂ · weight + bias} ({@link Normalization}). */
    default NDArray batchNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        return Normalization.forward(x, weight, bias, eps);
    }

    /**
     * The gradients of {@link #batchNorm} for the output gradient {@code g} (of x's shape):
     * {@code {dx, dweight, dbias}} ({@link Normalization}).
     */
    default NDArray[] batchNormBackward(NDArray x, NDArray weight, NDArray g, double eps) {
        return Normalization.backward(x, weight, g, eps);
    }
}
