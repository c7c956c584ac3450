/** Collectives (threads, TCP ring) and data-parallel training; its API takes optimizer rules, so it reads optim (and through it autograd and tensor). */
module dev.proxima.parallel {
    requires transitive dev.proxima.optim;

    exports dev.proxima.parallel;
}
