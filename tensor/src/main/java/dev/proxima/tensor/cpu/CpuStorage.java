package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BFloat16;
import dev.proxima.tensor.Backend;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Storage;

/**
 * A Java array: {@code float[]}, {@code double[]}, {@code int[]}, or {@code short[]} holding
 * bfloat16 bits ({@link BFloat16}), by dtype.
 */
public final class CpuStorage extends Storage {
    final Object data;
    private final DType dtype;
    private final int size;

    CpuStorage(Object data) {
        this.data = data;
        if (data instanceof float[] f) { dtype = DType.FLOAT32; size = f.length; }
        else if (data instanceof double[] d) { dtype = DType.FLOAT64; size = d.length; }
        else if (data instanceof int[] i) { dtype = DType.INT32; size = i.length; }
        else if (data instanceof short[] h) { dtype = DType.BFLOAT16; size = h.length; }
        else throw new IllegalArgumentException("upload: expected float[], double[], int[] or short[] (bfloat16 bits), got "
                + (data == null ? "null" : data.getClass().getSimpleName()));
    }

    static CpuStorage allocate(DType dtype, int size) {
        return new CpuStorage(switch (dtype) {
            case FLOAT32 -> new float[size];
            case FLOAT64 -> new double[size];
            case INT32 -> new int[size];
            case BFLOAT16 -> new short[size];
        });
    }

    /**
     * The backing array itself (not a copy): for kernels and zero-copy interop. Writes through
     * it are not counted: after writing into an array a recorded graph may have saved, call
     * {@link #bumpVersion()} so that its backward refuses the changed values.
     */
    public Object array() {
        return data;
    }

    @Override public DType dtype() { return dtype; }
    @Override public int size() { return size; }
    @Override public Backend backend() { return CpuBackend.INSTANCE; }

    double read(int i) {
        return switch (dtype) {
            case FLOAT32 -> ((float[]) data)[i];
            case FLOAT64 -> ((double[]) data)[i];
            case INT32 -> ((int[]) data)[i];
            case BFLOAT16 -> BFloat16.toFloat(((short[]) data)[i]);
        };
    }

    /** Rounds {@code v} once to this storage's type (to nearest, ties to even, for the floating ones). */
    void write(int i, double v) {
        switch (dtype) {
            case FLOAT32 -> ((float[]) data)[i] = (float) v;
            case FLOAT64 -> ((double[]) data)[i] = v;
            case INT32 -> ((int[]) data)[i] = (int) v;
            case BFLOAT16 -> ((short[]) data)[i] = BFloat16.fromDouble(v);
        }
    }
}
