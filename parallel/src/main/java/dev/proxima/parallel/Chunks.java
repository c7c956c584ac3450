package dev.proxima.parallel;

/**
 * The one partition every collective shares: a buffer of {@code n} elements is cut into
 * {@code parts} chunks, chunk {@code c} covering {@code [c*n/parts, (c+1)*n/parts)}. Sharing
 * it is what makes {@link ThreadCollective} and {@link RingCollective} sum each element in
 * the same order and so give the same bits.
 */
final class Chunks {
    private Chunks() {}

    static int start(int n, int parts, int c) {
        return (int) ((long) n * c / parts);
    }

    static int end(int n, int parts, int c) {
        return start(n, parts, c + 1);
    }

    static int maxLength(int n, int parts) {
        int max = 0;
        for (int c = 0; c < parts; c++) max = Math.max(max, end(n, parts, c) - start(n, parts, c));
        return max;
    }
}
