/**
 * Pure update rules, the mutable Optimizer wrapper, schedules, KFAC and APO. Its API is
 * written in Tensor and Params: requiring this module reads autograd and tensor too. It
 * never reads nn (a model reaches it as a function).
 */
module dev.proxima.optim {
    requires transitive dev.proxima.autograd;

    exports dev.proxima.optim;
    exports dev.proxima.optim.apo;
}
