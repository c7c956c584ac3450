package dev.proxima.autograd;

/**
 * What a linear map inside a model saw during one forward pass, for optimizers that build
 * curvature from activations and output gradients (KFAC, APO's preconditioner statistics).
 * It lives here, beside {@link Params}, because {@code nn} produces taps and {@code optim}
 * consumes them, and neither may import the other.
 *
 * <p>Every tapped layer is written as a matrix product {@code output = input · Wᵀ (+ bias)}
 * over {@code rows} examples: a Linear layer's rows are the batch (and any leading axes); a
 * Conv2d layer's rows are batch × output positions and its input is the unfolded patch matrix
 * (channels × kernel height × kernel width per row). The gradient of the loss with respect
 * to {@code output} is obtained with {@code Autograd.grad(loss, ..., output)}, since
 * {@code output} is part of the recorded graph.
 *
 * @param weight     the name of the layer's weight in the model's {@link Params}
 * @param bias       the name of its bias, or null when the layer has none
 * @param input      the layer's input as a matrix {@code [rows, in]} (detached or not)
 * @param output     the layer's pre-activation output as a matrix {@code [rows, out]}, a
 *                   graph tensor of the forward pass
 */
public record LayerTap(String weight, String bias, Tensor input, Tensor output) {
    public LayerTap {
        if (input.ndim() != 2 || output.ndim() != 2 || input.shape(0) != output.shape(0))
            throw new IllegalArgumentException("LayerTap " + weight + ": input " + dev.proxima.tensor.Shapes.str(input.shape())
                    + " and output " + dev.proxima.tensor.Shapes.str(output.shape()) + " must be [rows, in] and [rows, out]");
    }
}
