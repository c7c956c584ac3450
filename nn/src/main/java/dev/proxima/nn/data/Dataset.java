package dev.proxima.nn.data;

/**
 * A finite, indexed collection of examples. {@link #get(int[])} gathers examples into one
 * {@link Batch}; it must be safe to call from a background thread ({@link DataLoader}'s
 * prefetcher) and must return the same batch for the same indices every time.
 */
public interface Dataset {
    /** Number of examples. */
    int size();

    /** The examples at {@code indices}, in that order, as one batch. */
    Batch get(int[] indices);

    /** One example as a batch of one. */
    default Batch get(int index) {
        return get(new int[] {index});
    }

    /** The first {@code n} examples. */
    default Dataset subset(int n) {
        if (n < 0 || n > size())
            throw new IllegalArgumentException("subset: n = " + n + " outside [0, " + size() + "]");
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        return subset(idx);
    }

    /** The examples at {@code indices} (a view; nothing is copied). */
    default Dataset subset(int[] indices) {
        int size = size();
        for (int i : indices)
            if (i < 0 || i >= size)
                throw new IndexOutOfBoundsException("subset: index " + i + " outside a dataset of " + size + " examples");
        int[] own = indices.clone();
        Dataset parent = this;
        return new Dataset() {
            @Override public int size() { return own.length; }

            @Override public Batch get(int[] idx) {
                int[] mapped = new int[idx.length];
                for (int k = 0; k < idx.length; k++) {
                    if (idx[k] < 0 || idx[k] >= own.length)
                        throw new IndexOutOfBoundsException("get: index " + idx[k] + " outside a dataset of " + own.length + " examples");
                    mapped[k] = own[idx[k]];
                }
                return parent.get(mapped);
            }
        };
    }
}
