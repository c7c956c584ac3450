package dev.proxima.parallel;

/**
 * A group of {@link #size()} workers that combine flat buffers: the communication primitive
 * of data-parallel training. Every worker calls the same operations in the same order with
 * buffers of the same length; each call returns once this worker's part is done, and a
 * worker that breaks that contract (vanishes, closes, sends a different length) makes the
 * others fail with a {@link CollectiveException} naming it, after a bounded wait, never a
 * hang.
 *
 * <p><b>Determinism.</b> {@link #allReduceSum} is bit-reproducible: the buffer is cut into
 * {@code size()} near-equal chunks ({@code chunk c = [c*n/p, (c+1)*n/p)}) and chunk {@code c}
 * is summed left to right in ring order starting at rank {@code c}:
 * {@code ((x_c + x_{c+1}) + x_{c+2}) + ... + x_{c-1}} (ranks mod {@code p}). That is the
 * order a ring all-reduce produces naturally, and {@link ThreadCollective} follows it too, so
 * threads and the TCP ring give the same bits, every worker holds the same result, and a
 * rerun gives the same result again, whatever the timing.
 *
 * <p>Implementations: {@link ThreadCollective} (workers are threads of one JVM),
 * {@link RingCollective} (workers anywhere, a TCP ring). A collective is used by one thread
 * at a time (its worker).
 */
public interface Collective extends AutoCloseable {

    /** This worker's index, {@code 0 <= rank < size}. */
    int rank();

    /** The number of workers. */
    int size();

    /** Replaces {@code buffer} with the elementwise sum of every worker's buffer, in place. */
    void allReduceSum(float[] buffer);

    /** Replaces {@code buffer} with the elementwise sum of every worker's buffer, in place. */
    void allReduceSum(double[] buffer);

    /** Copies worker {@code root}'s buffer into every other worker's buffer. */
    void broadcast(float[] buffer, int root);

    /** Copies worker {@code root}'s buffer into every other worker's buffer. */
    void broadcast(double[] buffer, int root);

    /** Returns once every worker has called it. */
    void barrier();

    /** Releases this worker's resources; workers still waiting on it fail with an error naming it. */
    @Override
    void close();
}
