/**
 * Modules, layers, losses, models, data loading and checkpoints. Its API is written in
 * Tensor and Params: requiring this module reads autograd and tensor too.
 */
module dev.proxima.nn {
    requires transitive dev.proxima.autograd;

    exports dev.proxima.nn;
    exports dev.proxima.nn.data;
    exports dev.proxima.nn.functional;
    exports dev.proxima.nn.io;
    exports dev.proxima.nn.models;
}
