package dev.proxima.train;

import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.DataLoader;
import dev.proxima.nn.data.Dataset;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The training loop: epochs of batches in the seeded order, one {@link Learner} step per
 * batch, an evaluation after each epoch, and {@link Listener}s for everything else (progress,
 * metrics, checkpoints, stopping early).
 *
 * <p>Every source of randomness is a function of the seed and the position in the run: the
 * order of epoch {@code e} is {@link DataLoader}'s of (seed, e), and APO's second batch B' is
 * the batch half an epoch ahead of B in the same order. A run therefore needs only the
 * learner's {@link TrainState} and the {@link Position} to continue exactly as the
 * uninterrupted run would: {@link #run} from a restored learner and its position gives the
 * same parameters bit for bit. {@link #secondBatchOrder} takes B' from an independently
 * shuffled order instead, at the same position in it.
 */
public final class Fit {
    /**
     * Where a run is: the epoch, the batches of it already trained, the steps taken in all,
     * and whether this epoch's evaluation is done.
     */
    public record Position(int epoch, int batchInEpoch, long step, boolean evaluated) {
        public static final Position START = new Position(0, 0, 0, false);

        /** Writes the position beside a {@link TrainState} in a checkpoint's metadata: {@code epoch}, {@code batch_in_epoch}, {@code step}, {@code evaluated}. */
        public void save(java.util.Map<String, String> metadata) {
            metadata.put("epoch", Integer.toString(epoch));
            metadata.put("batch_in_epoch", Integer.toString(batchInEpoch));
            metadata.put("step", Long.toString(step));
            metadata.put("evaluated", Boolean.toString(evaluated));
        }

        /** The position {@link #save} wrote into {@code checkpoint}; a missing or malformed field is an error naming the file and the field. */
        public static Position load(dev.proxima.nn.io.Checkpoint checkpoint) throws dev.proxima.nn.io.MalformedFileException {
            return new Position(checkpoint.intMetadata("epoch"), checkpoint.intMetadata("batch_in_epoch"),
                    checkpoint.longMetadata("step"), checkpoint.booleanMetadata("evaluated"));
        }
    }

    /**
     * A step just taken: the position after it, its loss (before the step), the rate it used
     * ({@link Learner#lastLr}), and how long the learner's step took (nanoseconds; the batches'
     * preparation not included).
     */
    public record Step(Position position, double loss, double lr, long nanos) {}

    /** How a run ended: its position, the last training loss, the last evaluation (null: none in this run), whether a listener stopped it. */
    public record Outcome(Position position, double lastLoss, Evaluation.Result lastTest, boolean stopped) {}

    /** What a run reports, all on the loop's thread; a listener that throws ends the run with its exception. */
    public interface Listener {
        /** An epoch starts (or resumes) with {@code done} of its {@code batches} batches already trained. */
        default void epochStarted(int epoch, int batches, int done) {}

        /** After each step; return false to stop the run there (its state is the step's). */
        default boolean stepped(Step step) {
            return true;
        }

        /** The epoch's batches are done (also when a step failed or the run stopped). */
        default void epochEnded(int epoch) {}

        /** The epoch's evaluation; {@code position} is the end of the epoch, evaluated. */
        default void evaluated(Position position, double trainLoss, Evaluation.Result test) {}
    }

    private final Learner learner;
    private final Dataset train;
    private final DataLoader loader;
    private final int batch, epochs, perEpoch;
    private final UnaryOperator<Batch> prepare;
    private final Supplier<Evaluation.Result> evaluate;
    private DataLoader secondOrder; // null: B' is half an epoch ahead of B in B's order

    /**
     * @param learner   the learner to step
     * @param train     the training set
     * @param batch     examples per step (an epoch drops its incomplete last batch)
     * @param seed      the seed of the epochs' orders
     * @param epochs    the number of epochs
     * @param maxSteps  at most this many steps per epoch (0: all the epoch's batches)
     * @param prepare   a batch of {@code train} to (the model's input, the loss's target), on the model's device
     * @param evaluate  the evaluation after each epoch (of the learner's current state)
     */
    public Fit(Learner learner, Dataset train, int batch, long seed, int epochs, int maxSteps, UnaryOperator<Batch> prepare,
               Supplier<Evaluation.Result> evaluate) {
        this.learner = Objects.requireNonNull(learner, "Fit: learner");
        this.train = Objects.requireNonNull(train, "Fit: train");
        this.loader = DataLoader.of(train, batch).shuffle(seed).dropLast(true);
        this.batch = batch;
        this.epochs = epochs;
        this.perEpoch = maxSteps > 0 ? Math.min(maxSteps, loader.numBatches()) : loader.numBatches();
        this.prepare = Objects.requireNonNull(prepare, "Fit: prepare");
        this.evaluate = Objects.requireNonNull(evaluate, "Fit: evaluate");
    }

    /**
     * Takes APO's second batch B' from its own order of the training set, shuffled with
     * {@code seed}: step k of epoch e gets batch k of that order's epoch e (an order
     * independent of B's, as the APO paper draws B'), instead of the batch half an epoch
     * ahead of B. Call before {@link #run}; a resumed run must make the same call.
     */
    public Fit secondBatchOrder(long seed) {
        this.secondOrder = DataLoader.of(train, batch).shuffle(seed).dropLast(true);
        return this;
    }

    /** The steps an epoch takes. */
    public int stepsPerEpoch() {
        return perEpoch;
    }

    /** Trains from {@code from} (START, or a checkpoint's position with the learner restored) to the last epoch. */
    public Outcome run(Position from, Listener listener) {
        if (loader.numBatches() == 0)
            throw new IllegalArgumentException("Fit: a batch of " + batch + " is larger than the " + train.size() + " training examples");
        int epoch = from.epoch(), batchInEpoch = from.batchInEpoch();
        long step = from.step();
        boolean evaluated = from.evaluated();
        double lastLoss = Double.NaN;
        Evaluation.Result test = null;
        for (; epoch < epochs; epoch++, batchInEpoch = 0, evaluated = false) {
            int[] order = loader.order(epoch);
            if (batchInEpoch < perEpoch) {
                int[] metaOrder = !learner.usesSecondBatch() ? null : secondOrder == null ? order : secondOrder.order(epoch);
                listener.epochStarted(epoch, perEpoch, batchInEpoch);
                try {
                    for (; batchInEpoch < perEpoch; batchInEpoch++) {
                        Batch b = batch(order, batchInEpoch);
                        // B' for APO's function-space term: another batch of the same epoch.
                        Batch meta = metaOrder == null ? null
                                : batch(metaOrder, secondOrder != null ? batchInEpoch : (batchInEpoch + loader.numBatches() / 2) % loader.numBatches());
                        long started = System.nanoTime();
                        lastLoss = learner.step(b.x(), b.y(), meta == null ? null : meta.x());
                        long nanos = System.nanoTime() - started;
                        step++;
                        Position at = new Position(epoch, batchInEpoch + 1, step, false);
                        if (!listener.stepped(new Step(at, lastLoss, learner.lastLr(), nanos))) return new Outcome(at, lastLoss, test, true);
                    }
                } finally {
                    listener.epochEnded(epoch);
                }
            }
            if (!evaluated) {
                test = evaluate.get();
                listener.evaluated(new Position(epoch, perEpoch, step, true), lastLoss, test);
            }
        }
        return new Outcome(new Position(epochs, 0, step, false), lastLoss, test, false);
    }

    /** Batch {@code k} of an epoch's order, prepared. */
    private Batch batch(int[] order, int k) {
        return prepare.apply(train.get(Arrays.copyOfRange(order, k * batch, (k + 1) * batch)));
    }
}
