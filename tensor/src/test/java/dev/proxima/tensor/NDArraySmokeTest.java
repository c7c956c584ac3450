package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** A few worked examples with known answers; the property suites cover the general case. */
class NDArraySmokeTest {
    @Test
    void matmulOfKnownMatrices() {
        NDArray a = NDArray.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        NDArray b = NDArray.of(new float[] {7, 8, 9, 10, 11, 12}, 3, 2);
        assertArrayEquals(new float[] {58, 64, 139, 154}, a.matmul(b).toFloatArray());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, a.mT().contiguous().toFloatArray());
    }

    @Test
    void broadcastingAddAndReduce() {
        NDArray a = NDArray.arange(6).reshape(2, 3);
        NDArray row = NDArray.of(10f, 20f, 30f);
        assertArrayEquals(new float[] {10, 21, 32, 13, 24, 35}, a.add(row).toFloatArray());
        assertArrayEquals(new float[] {3, 5, 7}, a.sum(0).toFloatArray());
        assertArrayEquals(new float[] {3, 12}, a.sum(1).toFloatArray());
        assertArrayEquals(new int[] {2, 2}, a.argmax(1, false).toIntArray());
    }

    @Test
    void errorsNameTheOpAndShapes() {
        NDArray a = NDArray.zeros(3, 4), b = NDArray.zeros(5, 6);
        var e = assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
        assertEquals("matmul: [3, 4] x [5, 6]: inner dimensions 4 != 5", e.getMessage());
    }
}
