package dev.proxima.opencl;

import dev.proxima.tensor.DType;

/**
 * Tile sizes of the matmul kernel ({@code matmul.cl}): a work-group computes a {@code tm x tn}
 * tile of C, walking K in steps of {@code tk}; each work-item holds a {@code wm x wn} block of
 * C in registers. Chosen per device: GPUs get large tiles (many multiply-adds per byte of
 * local memory read, 256 work-items); CPU devices (PoCL) small ones, whose work-group loops
 * vectorize and whose tiles stay in L1. The system property {@code proxima.opencl.gemm}
 * ({@code proxima.opencl.gemm64} for float64) overrides, as {@code TM,TN,TK,WM,WN}.
 */
record GemmConfig(int tm, int tn, int tk, int wm, int wn) {
    GemmConfig {
        int threads = (tm / Math.max(wm, 1)) * (tn / Math.max(wn, 1));
        if (wm % 4 != 0 || wn % 4 != 0 || tk % 4 != 0 || tm % wm != 0 || tn % wn != 0
                || tm % (4 * (tm / wm)) != 0 || tn % (4 * (tn / wn)) != 0
                || (tm * tk / 4) % threads != 0 || (tn * tk / 4) % threads != 0)
            throw new IllegalArgumentException("opencl matmul: tile sizes " + this
                    + " are inconsistent (need wm, wn, tk multiples of 4, tm*tk/4 and tn*tk/4 multiples of the "
                    + threads + " work-items)");
    }

    static GemmConfig choose(DType dtype, boolean gpu, long maxWorkGroup, long localMemBytes) {
        String prop = System.getProperty(dtype == DType.FLOAT64 ? "proxima.opencl.gemm64" : "proxima.opencl.gemm");
        if (prop != null && !prop.isBlank()) return parse(prop);
        GemmConfig c;
        if (!gpu) c = new GemmConfig(32, 32, 8, 4, 4);
        else if (dtype == DType.FLOAT64) c = new GemmConfig(64, 64, 16, 4, 4);
        // Measured on an H100 at n = 4096: tk 32 gave 27.0 TFLOP/s, tk 16 25.0, tk 8 24.1;
        // 64x128 tiles 23.7, 8x4 register blocks 16.7, 64x64 tiles 14.4 (cuBLAS: 51.4).
        else c = new GemmConfig(128, 128, 32, 8, 8);
        // Small devices: the CPU tiles (64 work-items, 2 KiB per float tile pair) fit anywhere.
        if (c.threads() > maxWorkGroup || c.localBytes(dtype) > localMemBytes) c = new GemmConfig(32, 32, 8, 4, 4);
        return c;
    }

    static GemmConfig parse(String s) {
        String[] p = s.split(",");
        if (p.length != 5) throw new IllegalArgumentException("opencl matmul: expected TM,TN,TK,WM,WN, got '" + s + "'");
        int[] v = new int[5];
        for (int i = 0; i < 5; i++) v[i] = Integer.parseInt(p[i].trim());
        return new GemmConfig(v[0], v[1], v[2], v[3], v[4]);
    }

    int threads() {
        return (tm / wm) * (tn / wn);
    }

    long localBytes(DType dtype) {
        return (long) tk * (tm + tn) * dtype.byteSize();
    }

    /** Work-items along n (local size 0) and along m (local size 1). */
    int threadsN() { return tn / wn; }
    int threadsM() { return tm / wm; }

    String defines() {
        return " -DTM=" + tm + " -DTN=" + tn + " -DTK=" + tk + " -DWM=" + wm + " -DWN=" + wn;
    }
}
