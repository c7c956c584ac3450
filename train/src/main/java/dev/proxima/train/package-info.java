/**
 * The one training loop: what {@code proxima train}, the benchmarks and a library user call
 * instead of writing a step of their own.
 *
 * <ul>
 *   <li>{@link dev.proxima.train.Learner}: one step of a plain update rule, KFAC or APO, on
 *       one worker or data-parallel over a {@link dev.proxima.train.WorkerGroup}'s
 *       collectives; every step computes its loss and gradient with
 *       {@link dev.proxima.autograd.Autograd#valueAndGrad} and moves the module's buffers
 *       (BatchNorm's running statistics) through the functional call's buffer output, APO's
 *       included.</li>
 *   <li>{@link dev.proxima.train.TrainState}: the whole state (parameters, buffers, the
 *       optimizer's state, the step count) and its checkpoint, one tree flattened to named
 *       tensors and scalars.</li>
 *   <li>{@link dev.proxima.train.Fit}: epochs of batches in the seeded order, APO's second
 *       batch, evaluation ({@link dev.proxima.train.Evaluation}) after each epoch, listeners
 *       for progress, metrics and checkpoints, resuming from a position.</li>
 * </ul>
 *
 * <p>Why a module of its own: the loop needs {@code nn} (modules, buffers, data, checkpoint
 * files), {@code optim} (the rules, KFAC, APO) and {@code parallel} (collectives), and none of
 * those may import another of them ({@code optim} reaches a model only as a function, so that
 * the rules stay usable without {@code nn}). Placing the loop in {@code nn} would make
 * {@code nn} depend on {@code optim}; placing it in {@code parallel} would make a one-worker
 * user depend on sockets. A module above all three keeps every arrow pointing down.
 */
package dev.proxima.train;
