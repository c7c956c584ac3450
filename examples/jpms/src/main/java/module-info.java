/**
 * A modular application: these two lines are all it needs to use Proxima's layers, data,
 * checkpoints and optimizers (nn and optim require autograd and tensor transitively).
 */
module dev.proxima.examples.jpms {
    requires dev.proxima.nn;
    requires dev.proxima.optim;
}
