package dev.proxima.tensor.cpu;

import dev.proxima.tensor.Backend;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Storage;

/** A Java array: {@code float[]}, {@code double[]} or {@code int[]}, by dtype. */
public final class CpuStorage extends Storage {
    final Object data;
    private final DType dtype;
    private final int size;

    CpuStorage(Object data) {
        this.data = data;
        if (data instanceof float[] f) { dtype = DType.FLOAT32; size = f.length; }
        else if (data instanceof double[] d) { dtype = DType.FLOAT64; size = d.length; }
        else if (data instanceof int[] i) { dtype = DType.INT32; size = i.length; }
        else throw new IllegalArgumentException("upload: expected float[], double[] or int[], got "
                + (data == null ? "null" : data.getClass().getSimpleName()));
    }

    static CpuStorage allocate(DType dtype, int size) {
        return new CpuStorage(switch (dtype) {
            case FLOAT32 -> new float[size];
            case FLOAT64 -> new double[size];
            case INT32 -> new int[size];
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
        };
    }

    void write(int i, double v) {
        switch (dtype) {
            case FLOAT32 -> ((float[]) data)[i] = (float) v;
            case FLOAT64 -> ((double[]) data)[i] = v;
            case INT32 -> ((int[]) data)[i] = (int) v;
        }
    }
}
