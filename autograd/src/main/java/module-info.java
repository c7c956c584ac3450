/** Tensor, reverse-mode autodiff with higher-order gradients, and Params. Its API returns NDArray, Rng and DType: requiring this module reads tensor too. */
module dev.proxima.autograd {
    requires transitive dev.proxima.tensor;

    exports dev.proxima.autograd;
}
