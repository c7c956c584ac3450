package dev.proxima.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.NDArray;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class DataLoaderTest {
    /** Example i has input [i, -i] (float32) and target i (int32), so a batch shows which examples it holds. */
    static ArrayDataset numbered(int n) {
        float[] x = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) { x[2 * i] = i; x[2 * i + 1] = -i; y[i] = i; }
        return new ArrayDataset(NDArray.of(x, n, 2), NDArray.of(y, n));
    }

    static List<int[]> ids(Iterable<Batch> epoch) {
        List<int[]> out = new ArrayList<>();
        for (Batch b : epoch) {
            int[] y = b.y().data().toIntArray();
            float[] x = b.x().toFloatArray();
            assertArrayEquals(new int[] {y.length, 2}, b.x().shape());
            for (int k = 0; k < y.length; k++) { assertEquals(y[k], x[2 * k]); assertEquals(-y[k], x[2 * k + 1]); }
            out.add(y);
        }
        return out;
    }

    @Property(tries = 60)
    void everyExampleOnceAndDropLastSizes(@ForAll @IntRange(min = 0, max = 60) int n, @ForAll @IntRange(min = 1, max = 17) int batch,
                                          @ForAll boolean shuffle, @ForAll boolean dropLast, @ForAll @IntRange(max = 3) int prefetch,
                                          @ForAll long seed) {
        DataLoader base = DataLoader.of(numbered(n), batch).dropLast(dropLast).prefetch(prefetch);
        DataLoader loader = shuffle ? base.shuffle(seed) : base;
        for (int epoch = 0; epoch < 2; epoch++) {
            List<int[]> batches = ids(loader);
            assertEquals(loader.numBatches(), batches.size());
            assertEquals(dropLast ? n / batch : (n + batch - 1) / batch, batches.size());
            int[] seen = new int[n];
            int total = 0;
            for (int k = 0; k < batches.size(); k++) {
                int[] b = batches.get(k);
                boolean last = k == batches.size() - 1;
                if (!last || dropLast) assertEquals(batch, b.length);
                else assertEquals(n - batch * k, b.length);
                for (int i : b) seen[i]++;
                total += b.length;
            }
            assertEquals(dropLast ? batch * (n / batch) : n, total);
            for (int i = 0; i < n; i++) assertTrue(seen[i] <= 1, "example " + i + " seen " + seen[i] + " times");
            if (!dropLast) for (int i = 0; i < n; i++) assertEquals(1, seen[i], "example " + i);
            if (!shuffle) // in order
                for (int k = 0, next = 0; k < batches.size(); k++)
                    for (int i : batches.get(k)) assertEquals(next++, i);
        }
    }

    @Property(tries = 40)
    void sameSeedSameOrderAndPrefetchDoesNotChangeBatches(@ForAll @IntRange(min = 1, max = 80) int n,
                                                          @ForAll @IntRange(min = 1, max = 9) int batch,
                                                          @ForAll @IntRange(min = 1, max = 4) int prefetch, @ForAll long seed) {
        ArrayDataset d = numbered(n);
        DataLoader a = DataLoader.of(d, batch).shuffle(seed);
        DataLoader b = DataLoader.of(d, batch).shuffle(seed).prefetch(prefetch);
        for (int epoch = 0; epoch < 3; epoch++) {
            List<int[]> ea = ids(a), eb = ids(b);
            assertEquals(ea.size(), eb.size());
            for (int k = 0; k < ea.size(); k++) assertArrayEquals(ea.get(k), eb.get(k), "epoch " + epoch + " batch " + k);
            // Replaying an epoch gives it again; order(e) is the concatenation of its batches.
            List<int[]> replay = ids(a.epoch(epoch));
            for (int k = 0; k < ea.size(); k++) assertArrayEquals(ea.get(k), replay.get(k));
            int[] flat = ea.stream().flatMapToInt(Arrays::stream).toArray();
            assertArrayEquals(a.order(epoch), flat);
        }
    }

    @Example
    void epochsAndSeedsDiffer() {
        DataLoader a = DataLoader.of(numbered(100), 10).shuffle(1);
        assertFalse(Arrays.equals(a.order(0), a.order(1)));
        assertFalse(Arrays.equals(a.order(0), DataLoader.of(numbered(100), 10).shuffle(2).order(0)));
        int[] sorted = a.order(3).clone();
        Arrays.sort(sorted);
        assertArrayEquals(DataLoader.of(numbered(100), 10).order(0), sorted);
        assertNotEquals(a.toString(), a.dropLast(true).toString());
    }

    @Example
    void closingStopsThePrefetchThread() throws InterruptedException {
        DataLoader loader = DataLoader.of(numbered(1000), 1).prefetch(2);
        DataLoader.BatchIterator it = loader.iterator();
        it.next();
        Thread t = it.producer();
        assertTrue(t.isDaemon());
        it.close();
        t.join(); // returns only because close() stopped it: 998 batches remain unproduced
        assertFalse(t.isAlive());
        it.close(); // idempotent
    }

    @Example
    void anEpochConsumedEndsItsThread() throws InterruptedException {
        DataLoader.BatchIterator it = DataLoader.of(numbered(10), 3).prefetch(1).iterator();
        Thread t = it.producer();
        int batches = 0;
        while (it.hasNext()) { it.next(); batches++; }
        assertEquals(4, batches);
        t.join();
        assertThrows(NoSuchElementException.class, it::next);
    }

    @Example
    void anAbandonedIteratorsThreadIsStoppedOnceCollected() throws InterruptedException {
        DataLoader loader = DataLoader.of(numbered(1000), 1).prefetch(1);
        Thread t = abandon(loader);
        // The iterator is unreachable; the collector enqueues it and the cleaner stops the thread.
        for (int i = 0; i < 500 && t.isAlive(); i++) {
            System.gc();
            t.join(20);
        }
        assertFalse(t.isAlive(), "the prefetch thread of an abandoned iterator is still running");
    }

    private static Thread abandon(DataLoader loader) {
        DataLoader.BatchIterator it = loader.iterator();
        for (Batch b : (Iterable<Batch>) () -> it) { assertEquals(1, b.size()); break; }
        WeakReference<Thread> unused = new WeakReference<>(it.producer());
        return unused.get();
    }

    @Example
    void aFailureInTheDatasetSurfacesFromNext() {
        RuntimeException boom = new IllegalStateException("boom");
        Dataset failing = new Dataset() {
            @Override public int size() { return 10; }
            @Override public Batch get(int[] indices) {
                if (indices[0] >= 4) throw boom;
                return numbered(10).get(indices);
            }
        };
        for (int prefetch : new int[] {0, 2}) {
            DataLoader.BatchIterator it = DataLoader.of(failing, 2).prefetch(prefetch).iterator();
            it.next();
            it.next();
            assertSame(boom, assertThrows(IllegalStateException.class, it::next));
        }
    }

    @Example
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> DataLoader.of(numbered(3), 0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.of(numbered(3), 1).prefetch(-1));
        assertThrows(IllegalArgumentException.class, () -> new ArrayDataset(NDArray.of(new float[4], 4), NDArray.of(new int[3], 3)));
    }
}
