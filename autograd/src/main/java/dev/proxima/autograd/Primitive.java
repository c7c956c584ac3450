package dev.proxima.autograd;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.Shapes;
import dev.proxima.tensor.UnaryOp;
import java.util.Arrays;

/**
 * The differentiable primitives: what a graph node records. Each record holds the op's
 * static arguments (axes, shapes), computes its forward value from the input values, and
 * prints itself. Its VJP rule is the case of the same name in {@link Rules}, whose switch
 * is exhaustive over this sealed interface, so a new primitive without a rule does not
 * compile. Every other {@link Tensor} op is a composition of these.
 */
sealed interface Primitive {

    /** The forward value from the input values. */
    NDArray forward(NDArray[] in);

    /** Elementwise unary op: one of {@link UnaryOp}. */
    record Unary(UnaryOp op) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].map(op); }
        public String toString() { return op.opName(); }
    }

    /** Elementwise binary op with broadcasting: one of {@link BinaryOp}. */
    record Binary(BinaryOp op) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].zip(op, in[1]); }
        public String toString() { return op.opName(); }
    }

    /** {@code cond != 0 ? a : b} with inputs (cond, a, b); cond gets no gradient. */
    record Where() implements Primitive {
        public NDArray forward(NDArray[] in) { return NDArray.where(in[0], in[1], in[2]); }
        public String toString() { return "where"; }
    }

    /** Reduction over sorted axes. */
    record Reduce(ReduceOp op, int[] axes, boolean keepdim) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].reduce(op, axes, keepdim); }
        public String toString() { return op.opName() + Arrays.toString(axes) + (keepdim ? " keepdim" : ""); }
    }

    /** Fused softmax or log-softmax along one axis (its own rule; tested against the composition). */
    record Softmax(int axis, boolean log) implements Primitive {
        public NDArray forward(NDArray[] in) { return log ? in[0].logSoftmax(axis) : in[0].softmax(axis); }
        public String toString() { return (log ? "logSoftmax" : "softmax") + "(" + axis + ")"; }
    }

    /** Batched matrix product of operands of rank >= 2 (1-d operands are promoted by {@link Tensor#matmul}). */
    record Matmul() implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].matmul(in[1]); }
        public String toString() { return "matmul"; }
    }

    record Reshape(int[] shape) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].reshape(shape); }
        public String toString() { return "reshape" + Shapes.str(shape); }
    }

    record Permute(int[] perm) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].permute(perm); }
        public String toString() { return "permute" + Arrays.toString(perm); }
    }

    /** Broadcast to a larger shape (a stride-0 view). */
    record Expand(int[] shape) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].expand(shape); }
        public String toString() { return "expand" + Shapes.str(shape); }
    }

    /** Elements start, start+step, ... below end along axis (bounds already resolved). */
    record Slice(int axis, int start, int end, int step) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].slice(axis, start, end, step); }
        public String toString() { return "slice(" + axis + ", " + start + ":" + end + ":" + step + ")"; }
    }

    /**
     * The adjoint of {@link Slice}: places the input at start, start+step, ... along axis of
     * a zero array of {@code shape}. Used by slice's rule.
     */
    record Embed(int[] shape, int axis, int start, int step) implements Primitive {
        public NDArray forward(NDArray[] in) {
            NDArray x = in[0];
            NDArray out = NDArray.zeros(x.dtype(), x.device(), shape);
            int end = start + (x.shape(axis) - 1) * step + 1;
            x.backend().copyInto(out.slice(axis, start, end, step), x, false);
            return out;
        }
        public String toString() { return "embed" + Shapes.str(shape) + "(" + axis + ", " + start + "::" + step + ")"; }
    }

    /** Joins inputs (of one dtype, shapes checked by {@link Tensor#concat}) along an axis. */
    record Concat(int axis) implements Primitive {
        public NDArray forward(NDArray[] in) { return NDArray.concat(axis, in); }
        public String toString() { return "concat(" + axis + ")"; }
    }

    /**
     * Pads every axis with (before, after) amounts of {@code value}; negative amounts crop.
     * Its own adjoint with the amounts negated (and value 0), which is its rule.
     */
    record Pad(int[] padding, double value) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].pad(padding, value); }
        public String toString() { return "pad" + Arrays.toString(padding) + (value == 0 ? "" : " with " + value); }
    }

    /** Dtype conversion between floating types. */
    record Cast(DType dtype) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].to(dtype); }
        public String toString() { return "to(" + dtype + ")"; }
    }

    /** A copy on another device; its gradient is copied back to the source device. */
    record ToDevice(Device device) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].to(device); }
        public String toString() { return "to(" + device + ")"; }
    }

    /** A contiguous copy: the identity for values and gradients, a layout change for kernels. */
    record Contiguous() implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].contiguous(); }
        public String toString() { return "contiguous"; }
    }

    /** torch.gather with inputs (x, index); the index gets no gradient. */
    record Gather(int axis) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].gather(axis, in[1]); }
        public String toString() { return "gather(" + axis + ")"; }
    }

    /** Functional torch.scatter_add with inputs (base, index, src): base plus src added at index. */
    record ScatterAdd(int axis) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].scatterAdd(axis, in[1], in[2]); }
        public String toString() { return "scatterAdd(" + axis + ")"; }
    }

    /**
     * Fused batch normalization in training mode with inputs (x, weight, bias): x [N, C, ...]
     * normalized per channel by its batch statistics, scaled and shifted (its own rule; tested
     * against the composition).
     */
    record BatchNorm(double eps) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].batchNorm(in[1], in[2], eps); }
        public String toString() { return "batchNorm(eps=" + eps + ")"; }
    }

    /**
     * 2-d convolution with inputs (x, w). It and its two adjoints below are bilinear, so the
     * three rules close over each other and every order of gradient exists.
     */
    record Conv2d(Conv2dSpec spec) implements Primitive {
        public NDArray forward(NDArray[] in) { return NDArray.conv2d(in[0], in[1], spec); }
        public String toString() { return "conv2d(" + spec + ")"; }
    }

    /** conv2d's input gradient with inputs (g, w): the transposed convolution of g, of {@code inputShape}. */
    record Conv2dBackwardInput(int[] inputShape, Conv2dSpec spec) implements Primitive {
        public NDArray forward(NDArray[] in) { return NDArray.conv2dBackwardInput(in[0], in[1], inputShape, spec); }
        public String toString() { return "conv2dBackwardInput" + Shapes.str(inputShape) + "(" + spec + ")"; }
    }

    /** conv2d's weight gradient with inputs (x, g), of {@code weightShape}. */
    record Conv2dBackwardWeight(int[] weightShape, Conv2dSpec spec) implements Primitive {
        public NDArray forward(NDArray[] in) { return NDArray.conv2dBackwardWeight(in[0], in[1], weightShape, spec); }
        public String toString() { return "conv2dBackwardWeight" + Shapes.str(weightShape) + "(" + spec + ")"; }
    }

    /** im2col: [N, C, H, W] to [N, C*kh*kw, L] sliding windows (zero padding). Adjoint of {@link Fold2d}. */
    record Unfold2d(int kh, int kw, Conv2dSpec spec) implements Primitive {
        public NDArray forward(NDArray[] in) { return in[0].unfold2d(kh, kw, spec); }
        public String toString() { return "unfold2d(" + kh + "x" + kw + ", " + spec + ")"; }
    }

    /** col2im: sums windows back into [N, C, H, W]. Adjoint of {@link Unfold2d}. */
    record Fold2d(int[] inputShape, int kh, int kw, Conv2dSpec spec) implements Primitive {
        public NDArray forward(NDArray[] in) { return NDArray.fold2d(in[0], inputShape, kh, kw, spec); }
        public String toString() { return "fold2d" + Shapes.str(inputShape) + "(" + kh + "x" + kw + ", " + spec + ")"; }
    }
}
