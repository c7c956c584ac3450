/**
 * The one training loop: learners for plain rules, KFAC and APO (one worker or data-parallel),
 * the whole training state and its checkpoint, evaluation, and fit with listeners. Its API is
 * written in nn's, optim's and parallel's types: requiring this module reads them too.
 */
module dev.proxima.train {
    requires transitive dev.proxima.nn;
    requires transitive dev.proxima.optim;
    requires transitive dev.proxima.parallel;

    exports dev.proxima.train;
    // nn's StateCodec rebuilds the training state's records (TrainState's nested states) by reflection.
    opens dev.proxima.train to dev.proxima.nn;
}
