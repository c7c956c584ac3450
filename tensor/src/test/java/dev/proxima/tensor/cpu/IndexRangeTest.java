package dev.proxima.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.proxima.tensor.NDArray;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The CPU's one-pass {@code indexRange} (what gather, scatterAdd and oneHot check indices
 * against) gives the min and max of the values a view shows, on contiguous arrays, offset
 * slices, strided slices, transposes and stride-0 broadcasts.
 */
class IndexRangeTest {
    @Property(tries = 60)
    void indexRangeIsTheMinAndMaxOfTheViewsValues(@ForAll @IntRange(min = 1, max = 9) int rows, @ForAll @IntRange(min = 1, max = 9) int cols,
                                                  @ForAll @IntRange(min = 0, max = 4) int view, @ForAll long seed) {
        Random r = new Random(seed);
        int[] values = new int[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = r.nextInt(2001) - 1000;
        NDArray x = NDArray.of(values, rows, cols);
        NDArray v = switch (view) {
            case 0 -> x;
            case 1 -> x.slice(0, rows / 2, rows); // an offset into the storage
            case 2 -> x.slice(1, 0, cols, 2); // strided
            case 3 -> x.transpose(0, 1);
            default -> x.slice(0, rows - 1, rows).expand(3, cols); // stride 0
        };
        int[] shown = v.toIntArray();
        int[] want = {Arrays.stream(shown).min().getAsInt(), Arrays.stream(shown).max().getAsInt()};
        assertArrayEquals(want, v.backend().indexRange(v), "view " + view + " of " + rows + "x" + cols);
    }
}
