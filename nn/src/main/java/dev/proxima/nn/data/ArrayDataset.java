package dev.proxima.nn.data;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import java.util.Arrays;

/**
 * A dataset held in memory as two arrays whose first dimension indexes examples: inputs
 * {@code x} [N, ...] and targets {@code y} [N, ...] (any of float32, float64, int32). A batch
 * copies the selected rows into fresh contiguous arrays.
 */
public final class ArrayDataset implements Dataset {
    private final Column x;
    private final Column y;

    /** A dataset over {@code x} [N, ...] and {@code y} [N, ...]. */
    public ArrayDataset(NDArray x, NDArray y) {
        this(Column.of("x", x), Column.of("y", y));
    }

    ArrayDataset(Column x, Column y) {
        if (x.rows != y.rows)
            throw new IllegalArgumentException("ArrayDataset: x has " + x.rows + " examples " + Arrays.toString(x.shape())
                    + " but y has " + y.rows + " " + Arrays.toString(y.shape()));
        this.x = x;
        this.y = y;
    }

    @Override
    public int size() {
        return x.rows;
    }

    @Override
    public Batch get(int[] indices) {
        for (int i : indices)
            if (i < 0 || i >= x.rows)
                throw new IndexOutOfBoundsException("get: index " + i + " outside a dataset of " + x.rows + " examples");
        return new Batch(Tensor.of(x.gather(indices)), Tensor.of(y.gather(indices)));
    }

    /** Shape of one input example. */
    public int[] exampleShape() {
        return x.rowShape.clone();
    }

    /** Shape of one target. */
    public int[] targetShape() {
        return y.rowShape.clone();
    }

    /**
     * One array of examples as a Java array (float[], double[] or int[]) of {@code rows}
     * rows of {@code rowShape}; kept on the heap so gathering a batch is a few array copies.
     */
    static final class Column {
        final Object data;
        final DType dtype;
        final int rows;
        final int[] rowShape;
        final int rowLength;

        Column(Object data, DType dtype, int rows, int[] rowShape) {
            this.data = data;
            this.dtype = dtype;
            this.rows = rows;
            this.rowShape = rowShape.clone();
            int len = 1;
            for (int d : rowShape) len = Math.multiplyExact(len, d);
            this.rowLength = len;
            int have = java.lang.reflect.Array.getLength(data);
            if ((long) rows * len != have)
                throw new IllegalArgumentException("ArrayDataset: " + have + " values do not fill " + rows + " rows of "
                        + Arrays.toString(rowShape));
        }

        static Column of(String name, NDArray a) {
            if (a.ndim() == 0)
                throw new IllegalArgumentException("ArrayDataset: " + name + " is a scalar; it needs a first dimension of examples");
            int[] shape = a.shape();
            Object data = switch (a.dtype()) {
                case FLOAT32 -> a.toFloatArray();
                case FLOAT64 -> a.toDoubleArray();
                case INT32 -> a.toIntArray();
                case BFLOAT16 -> a.toBFloat16Bits();
            };
            return new Column(data, a.dtype(), shape[0], Arrays.copyOfRange(shape, 1, shape.length));
        }

        int[] shape() {
            int[] s = new int[rowShape.length + 1];
            s[0] = rows;
            System.arraycopy(rowShape, 0, s, 1, rowShape.length);
            return s;
        }

        NDArray gather(int[] indices) {
            int n = indices.length;
            Object out = switch (dtype) {
                case FLOAT32 -> new float[n * rowLength];
                case FLOAT64 -> new double[n * rowLength];
                case INT32 -> new int[n * rowLength];
                case BFLOAT16 -> new short[n * rowLength];
            };
            for (int k = 0; k < n; k++)
                System.arraycopy(data, indices[k] * rowLength, out, k * rowLength, rowLength);
            int[] shape = shape();
            shape[0] = n;
            return NDArray.wrap(Device.defaultDevice().backend().upload(out), shape);
        }
    }
}
