package dev.proxima.parallel;

/**
 * A collective operation failed: a peer vanished, closed, timed out, was rejected at
 * connect, or called a different operation. The message names the peer (rank and, for the
 * TCP ring, its address) and the operation. A collective that threw is broken: every later
 * call throws again with the first cause.
 */
public final class CollectiveException extends RuntimeException {
    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
