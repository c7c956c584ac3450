package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Shapes;

/** Elementwise closeness with a message naming what differs. */
final class Check {
    private Check() {}

    static void close(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape " + Shapes.str(actual.shape()) + " vs expected " + Shapes.str(expected.shape()));
        double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
        for (int i = 0; i < e.length; i++)
            if (!(Math.abs(e[i] - a[i]) <= atol + rtol * Math.abs(e[i])))
                throw new AssertionError(what + " at flat index " + i + ": expected " + e[i] + ", got " + a[i]);
    }
}
