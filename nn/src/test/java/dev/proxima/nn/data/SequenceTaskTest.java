package dev.proxima.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.Rng;
import java.util.Arrays;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class SequenceTaskTest {
    @Property(tries = 100)
    void targetsAreTheTaskOfTheSource(@ForAll SequenceTask.Kind kind, @ForAll long seed) {
        Rng r = new Rng(seed);
        int min = 1 + r.nextInt(5), max = min + r.nextInt(5), symbols = 1 + r.nextInt(9), size = 1 + r.nextInt(30);
        SequenceTask task = new SequenceTask(kind, size, min, max, symbols, seed);
        assertEquals(size, task.size());
        assertEquals(SequenceTask.FIRST_SYMBOL + symbols, task.vocabSize());
        int[] all = new int[size];
        for (int i = 0; i < size; i++) all[i] = i;
        Batch b = task.get(all);
        assertArrayEquals(new int[] {size, max}, b.x().shape());
        assertArrayEquals(new int[] {size, max + 2}, b.y().shape());
        int[] x = b.x().data().toIntArray(), y = b.y().data().toIntArray();
        for (int i = 0; i < size; i++) {
            int[] xs = Arrays.copyOfRange(x, i * max, (i + 1) * max), ys = Arrays.copyOfRange(y, i * (max + 2), (i + 1) * (max + 2));
            int len = 0;
            while (len < max && xs[len] != SequenceTask.PAD) len++;
            assertTrue(len >= min && len <= max, "length " + len);
            for (int k = 0; k < max; k++) {
                if (k < len) assertTrue(xs[k] >= SequenceTask.FIRST_SYMBOL && xs[k] < task.vocabSize());
                else assertEquals(SequenceTask.PAD, xs[k]);
            }
            assertEquals(SequenceTask.BOS, ys[0]);
            assertEquals(SequenceTask.EOS, ys[len + 1]);
            for (int k = len + 2; k < max + 2; k++) assertEquals(SequenceTask.PAD, ys[k]);
            int[] out = Arrays.copyOfRange(ys, 1, len + 1);
            switch (kind) { // checked element by element, not through SequenceTask.apply
                case COPY -> { for (int k = 0; k < len; k++) assertEquals(xs[k], out[k]); }
                case REVERSE -> { for (int k = 0; k < len; k++) assertEquals(xs[len - 1 - k], out[k]); }
                case SORT -> {
                    int[] counts = new int[task.vocabSize()];
                    for (int k = 0; k < len; k++) { counts[xs[k]]++; counts[out[k]]--; }
                    for (int c : counts) assertEquals(0, c);
                    for (int k = 1; k < len; k++) assertTrue(out[k - 1] <= out[k]);
                }
            }
        }
        assertArrayEquals(new int[] {size, max + 1}, SequenceTask.decoderInput(b.y()).shape());
        assertArrayEquals(Arrays.copyOfRange(y, 1, max + 2), SequenceTask.decoderTarget(b.y()).select(0, 0).data().toIntArray());
        // Same seed, same data; example i does not depend on the dataset size.
        SequenceTask again = new SequenceTask(kind, size + 5, min, max, symbols, seed);
        assertArrayEquals(y, again.get(all).y().data().toIntArray());
    }

    @Example
    void seedsDifferAndBadArgumentsAreRejected() {
        SequenceTask a = new SequenceTask(SequenceTask.Kind.SORT, 50, 4, 8, 10, 1);
        SequenceTask b = new SequenceTask(SequenceTask.Kind.SORT, 50, 4, 8, 10, 2);
        assertFalse(Arrays.equals(a.get(FashionMnistTest.range(50)).x().data().toIntArray(),
                b.get(FashionMnistTest.range(50)).x().data().toIntArray()));
        assertThrows(IllegalArgumentException.class, () -> new SequenceTask(SequenceTask.Kind.COPY, 10, 0, 3, 5, 1));
        assertThrows(IllegalArgumentException.class, () -> new SequenceTask(SequenceTask.Kind.COPY, 10, 4, 3, 5, 1));
        assertThrows(IllegalArgumentException.class, () -> new SequenceTask(SequenceTask.Kind.COPY, 10, 1, 3, 0, 1));
        // Batches through a loader are the same examples.
        int batches = 0;
        for (Batch batch : DataLoader.of(a, 16).shuffle(3).prefetch(1)) { assertArrayEquals(new int[] {batch.size(), 8}, batch.x().shape()); batches++; }
        assertEquals(4, batches);
    }
}
