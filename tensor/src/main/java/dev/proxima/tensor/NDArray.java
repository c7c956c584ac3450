package dev.proxima.tensor;

import java.util.Arrays;

/**
 * An n-dimensional array: a strided view (shape, strides, offset) of a {@link Storage} on
 * one {@link Device}. Arrays are immutable values: every op returns a new array, and views
 * (reshape, permute, slice, expand, ...) share storage without copying. No gradients here;
 * {@code dev.proxima.autograd.Tensor} wraps this type and records a graph.
 *
 * <p>This class holds storage, views, checks and {@link Backend} dispatch: what the forward
 * pass of a primitive needs. Ops check shapes and dtypes, name themselves in errors, then ask
 * the array's backend for a kernel. Compositions of primitives (mean, var, logsumexp, clamp,
 * stack, split, conv2d, pooling, ...) live once, in {@code dev.proxima.autograd.Tensor}; a
 * tensor that needs no gradient records nothing, so they cost nothing more there.
 * Broadcasting follows NumPy. Binary ops between float32 and float64 compute in float64.
 * Elementwise math and reductions need a floating dtype; INT32 arrays hold indices.
 */
public final class NDArray {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    private NDArray(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /**
     * Wraps a storage as a view. For backends and view ops; users create arrays with the
     * factories below. The arrays passed in are owned by the new array.
     */
    public static NDArray wrap(Storage storage, int[] shape, int[] strides, int offset) {
        if (shape.length != strides.length)
            throw new IllegalArgumentException("wrap: shape " + Shapes.str(shape) + " and strides " + Shapes.str(strides) + " differ in rank");
        return new NDArray(storage, shape, strides, offset);
    }

    /** Wraps a storage as a contiguous array of the given shape. */
    public static NDArray wrap(Storage storage, int... shape) {
        return new NDArray(storage, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    // ---- creation ----------------------------------------------------------------------

    public static NDArray zeros(int... shape) {
        return zeros(DType.FLOAT32, Device.defaultDevice(), shape);
    }

    public static NDArray zeros(DType dtype, int... shape) {
        return zeros(dtype, Device.defaultDevice(), shape);
    }

    public static NDArray zeros(DType dtype, Device device, int... shape) {
        Backend be = device.backend();
        if (device.kind().equals("cpu")) Shapes.checkHeap("zeros", dtype, shape);
        int n = Shapes.numel("zeros", shape);
        try {
            return wrap(be.allocate(dtype, n), shape);
        } catch (OutOfMemoryError e) {
            throw Shapes.outOfMemory("zeros", dtype, shape, e);
        }
    }

    public static NDArray ones(int... shape) {
        return full(1, DType.FLOAT32, shape);
    }

    public static NDArray ones(DType dtype, int... shape) {
        return full(1, dtype, shape);
    }

    public static NDArray full(double value, DType dtype, int... shape) {
        return full(value, dtype, Device.defaultDevice(), shape);
    }

    public static NDArray full(double value, DType dtype, Device device, int... shape) {
        if (device.kind().equals("cpu")) Shapes.checkHeap("full", dtype, shape);
        else Shapes.numel("full", shape);
        return scalar(value, dtype, device).expand(shape).contiguous();
    }

    /** A 0-d array. */
    public static NDArray scalar(double value) {
        return scalar(value, DType.FLOAT32, Device.defaultDevice());
    }

    public static NDArray scalar(double value, DType dtype, Device device) {
        Object data = switch (dtype) {
            case FLOAT32 -> new float[] {(float) value};
            case FLOAT64 -> new double[] {value};
            case INT32 -> new int[] {(int) value};
            case BFLOAT16 -> new short[] {BFloat16.fromDouble(value)};
        };
        return wrap(device.backend().upload(data));
    }

    /** {@code start, start + step, ...} below {@code end}, as NumPy's arange. */
    public static NDArray arange(double start, double end, double step, DType dtype) {
        if (!Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step))
            throw new IllegalArgumentException("arange: start " + start + ", end " + end + " and step " + step + " must be finite");
        if (step == 0) throw new IllegalArgumentException("arange: step must not be 0 (start " + start + ", end " + end + ")");
        double count = Math.max(0, Math.ceil((end - start) / step));
        if (count > Integer.MAX_VALUE)
            throw new IllegalArgumentException("arange: start " + start + ", end " + end + ", step " + step + " give "
                    + (long) count + " values, more than 2^31-1");
        int n = (int) count;
        Shapes.checkHeap("arange", DType.FLOAT64, new int[] {n}); // the values are made in float64 first
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i * step;
        return of(v, n).to(dtype);
    }

    public static NDArray arange(int end) {
        return arange(0, end, 1, DType.FLOAT32);
    }

    /** {@code n} evenly spaced values from {@code start} to {@code end} inclusive. */
    public static NDArray linspace(double start, double end, int n, DType dtype) {
        if (n < 0) throw new IllegalArgumentException("linspace: negative count " + n);
        if (!Double.isFinite(start) || !Double.isFinite(end))
            throw new IllegalArgumentException("linspace: start " + start + " and end " + end + " must be finite");
        Shapes.checkHeap("linspace", DType.FLOAT64, new int[] {n});
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = n == 1 ? start : start + (end - start) * i / (n - 1);
        if (n > 1) v[n - 1] = end;
        return of(v, n).to(dtype);
    }

    public static NDArray eye(int n, DType dtype) {
        if (n < 0) throw new IllegalArgumentException("eye: negative size " + n);
        Shapes.checkHeap("eye", DType.FLOAT64, new int[] {n, n});
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        return of(v, n, n).to(dtype);
    }

    /** A float32 array holding a copy of {@code data} in row-major order. */
    public static NDArray of(float[] data, int... shape) {
        checkLength("of", data.length, shape);
        return wrap(Device.defaultDevice().backend().upload(data.clone()), shape);
    }

    /** A float64 array holding a copy of {@code data} in row-major order. */
    public static NDArray of(double[] data, int... shape) {
        checkLength("of", data.length, shape);
        return wrap(Device.defaultDevice().backend().upload(data.clone()), shape);
    }

    /** An INT32 array holding a copy of {@code data} in row-major order. */
    public static NDArray of(int[] data, int... shape) {
        checkLength("of", data.length, shape);
        return wrap(Device.defaultDevice().backend().upload(data.clone()), shape);
    }

    /**
     * A bfloat16 array holding a copy of {@code bits} (bfloat16 bit patterns, see
     * {@link BFloat16}) in row-major order.
     */
    public static NDArray ofBFloat16Bits(short[] bits, int... shape) {
        checkLength("ofBFloat16Bits", bits.length, shape);
        return wrap(Device.defaultDevice().backend().upload(bits.clone()), shape);
    }

    /** A 1-d float32 array. */
    public static NDArray of(float... data) {
        return of(data, data.length);
    }

    /** A 1-d float64 array. */
    public static NDArray of(double... data) {
        return of(data, data.length);
    }

    private static void checkLength(String op, int length, int[] shape) {
        int n = Shapes.numel(op, shape);
        if (n != length)
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape " + Shapes.str(shape) + " (" + n + " elements)");
    }

    /** Uniform values in [0, 1). */
    public static NDArray rand(Rng rng, DType dtype, int... shape) {
        return uniform(rng, 0, 1, dtype, shape);
    }

    /** Uniform values in [low, high). */
    public static NDArray uniform(Rng rng, double low, double high, DType dtype, int... shape) {
        return rng.uniform(low, high, dtype, Device.defaultDevice(), shape);
    }

    /** Standard normal values. */
    public static NDArray randn(Rng rng, DType dtype, int... shape) {
        return rng.normal(0, 1, dtype, Device.defaultDevice(), shape);
    }

    // ---- accessors ---------------------------------------------------------------------

    public int[] shape() {
        return shape.clone();
    }

    public int shape(int axis) {
        return shape[Shapes.axis("shape", axis, shape)];
    }

    public int[] strides() {
        return strides.clone();
    }

    public int offset() {
        return offset;
    }

    public int ndim() {
        return shape.length;
    }

    /** Number of elements; an error for a view of more than 2^31-1 (see {@link #numel()}). */
    public int size() {
        return Shapes.numel("size", shape);
    }

    /** Number of elements, as a long: a broadcast view may describe more than 2^31-1. */
    public long numel() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public DType dtype() {
        return storage.dtype();
    }

    public Storage storage() {
        return storage;
    }

    public Backend backend() {
        return storage.backend();
    }

    public Device device() {
        return storage.backend().device();
    }

    /** True when the elements are laid out row-major with no gaps (offset may be non-zero). */
    public boolean isContiguous() {
        for (int d : shape) if (d == 0) return true; // no elements: any strides will do
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != s) return false;
            s *= shape[i];
        }
        return true;
    }

    // ---- conversion --------------------------------------------------------------------

    public float[] toFloatArray() {
        Object a = backend().download(this);
        if (a instanceof float[] f) return f;
        if (a instanceof short[] h) return BFloat16.toFloats(h);
        double[] d = toDoubleArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    public double[] toDoubleArray() {
        Object a = backend().download(this);
        if (a instanceof double[] d) return d;
        if (a instanceof float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        }
        if (a instanceof short[] h) {
            double[] d = new double[h.length];
            for (int i = 0; i < h.length; i++) d[i] = BFloat16.toFloat(h[i]);
            return d;
        }
        int[] ints = (int[]) a;
        double[] d = new double[ints.length];
        for (int i = 0; i < ints.length; i++) d[i] = ints[i];
        return d;
    }

    public int[] toIntArray() {
        Object a = backend().download(this);
        if (a instanceof int[] i) return i;
        double[] d = toDoubleArray();
        int[] r = new int[d.length];
        for (int i = 0; i < d.length; i++) r[i] = (int) d[i];
        return r;
    }

    /**
     * The elements as bfloat16 bit patterns in row-major order: this array's own bits when it
     * is bfloat16, else its values rounded once to bfloat16 (to nearest, ties to even).
     */
    public short[] toBFloat16Bits() {
        return (short[]) backend().download(to(DType.BFLOAT16));
    }

    /** The value of a one-element array. */
    public double item() {
        if (size() != 1)
            throw new IllegalStateException("item: array of shape " + Shapes.str(shape) + " has " + size() + " elements, not 1");
        return toDoubleArray()[0];
    }

    /** One element, by index (negative indices count from the end). */
    public double get(int... index) {
        if (index.length != shape.length)
            throw new IllegalArgumentException("get: " + index.length + " indices for a " + shape.length + "-d array of shape " + Shapes.str(shape));
        NDArray v = this;
        for (int i = index.length - 1; i >= 0; i--) v = v.select(i, index[i]);
        return v.item();
    }

    /** A copy with another dtype (the same array when the dtype already matches). */
    public NDArray to(DType dtype) {
        if (dtype == dtype()) return this;
        NDArray out = zeros(dtype, device(), shape);
        backend().copyInto(out, this, false);
        return out;
    }

    /** A copy on another device (the same array when already there). */
    public NDArray to(Device device) {
        if (device.equals(device())) return this;
        return wrap(device.backend().upload(backend().download(this)), shape);
    }

    /** This array, or a contiguous copy of it. */
    public NDArray contiguous() {
        if (isContiguous()) return this;
        NDArray out = zeros(dtype(), device(), shape);
        backend().copyInto(out, this, false);
        return out;
    }

    // ---- views -------------------------------------------------------------------------

    /**
     * A view with explicit shape, strides (in elements) and offset into the same storage.
     * The caller vouches that every element addressed lies in the storage; used to build
     * sliding windows (unfold) for convolution and pooling.
     */
    public NDArray asStrided(int[] shape, int[] strides, int offset) {
        long max = offset, min = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) return wrap(storage, shape.clone(), strides.clone(), offset);
            long reach = (long) (shape[i] - 1) * strides[i];
            if (reach > 0) max += reach; else min += reach;
        }
        if (min < 0 || max >= storage.size())
            throw new IllegalArgumentException("asStrided: shape " + Shapes.str(shape) + " strides " + Shapes.str(strides)
                    + " offset " + offset + " reach outside a storage of " + storage.size() + " elements");
        return wrap(storage, shape.clone(), strides.clone(), offset);
    }

    /**
     * The same elements in a new shape; one dimension may be -1. A view when the strides allow
     * it, else a contiguous copy (as torch.reshape).
     */
    public NDArray reshape(int... newShape) {
        int[] target = resolveReshape(newShape);
        int[] viewStrides = reshapeStrides(target);
        if (viewStrides != null) return wrap(storage, target, viewStrides, offset);
        return contiguous().reshape(target);
    }

    private int[] resolveReshape(int[] newShape) {
        int[] t = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Shapes.str(newShape));
                infer = i;
            } else if (t[i] < 0) {
                throw new IllegalArgumentException("reshape: negative dimension in " + Shapes.str(newShape));
            } else known *= t[i];
        }
        int n = size();
        if (infer >= 0) {
            if (known == 0 || n % known != 0)
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " (" + n + " elements) into " + Shapes.str(newShape));
            t[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " (" + n + " elements) into " + Shapes.str(newShape));
        }
        return t;
    }

    /** Strides that view this array in {@code target} shape without a copy, or null. */
    private int[] reshapeStrides(int[] target) {
        if (isContiguous()) return Shapes.contiguousStrides(target);
        // Drop size-1 dims, then match groups of old dims that are contiguous among themselves
        // against groups of new dims with the same element count.
        int[] os = new int[shape.length], ost = new int[shape.length];
        int on = 0;
        for (int i = 0; i < shape.length; i++)
            if (shape[i] != 1) { os[on] = shape[i]; ost[on] = strides[i]; on++; }
        int[] st = new int[target.length];
        int oi = 0, ni = 0;
        while (ni < target.length && target[ni] == 1) st[ni++] = 1;
        while (oi < on) {
            int ostart = oi, nstart = ni;
            long op = os[oi++], np = 1;
            while (ni < target.length && np * target[ni] <= op && (np < op || target[ni] == 1)) np *= target[ni++];
            while (np != op) {
                if (np < op) {
                    if (ni >= target.length) return null;
                    np *= target[ni++];
                } else {
                    if (oi >= on) return null;
                    op *= os[oi++];
                }
            }
            for (int k = ostart; k < oi - 1; k++)
                if (ost[k] != ost[k + 1] * os[k + 1]) return null;
            int s = ost[oi - 1];
            for (int k = ni - 1; k >= nstart; k--) {
                st[k] = s;
                s *= target[k];
            }
            while (ni < target.length && target[ni] == 1) st[ni++] = 1;
        }
        return ni == target.length ? st : null;
    }

    /** Flattens to 1-d. */
    public NDArray flatten() {
        return reshape(-1);
    }

    /** Reorders the axes; {@code perm} is a permutation of 0..ndim-1 (negative axes allowed). */
    public NDArray permute(int... perm) {
        if (perm.length != shape.length)
            throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " does not permute the " + shape.length + " axes of " + Shapes.str(shape));
        int[] ns = new int[perm.length], nst = new int[perm.length];
        boolean[] seen = new boolean[perm.length];
        for (int i = 0; i < perm.length; i++) {
            int a = Shapes.axis("permute", perm[i], shape);
            if (seen[a]) throw new IllegalArgumentException("permute: axis " + a + " repeated in " + Arrays.toString(perm));
            seen[a] = true;
            ns[i] = shape[a];
            nst[i] = strides[a];
        }
        return wrap(storage, ns, nst, offset);
    }

    /** Swaps two axes. */
    public NDArray transpose(int a, int b) {
        return permute(transposition(shape, a, b));
    }

    /** The permutation that swaps axes {@code a} and {@code b} of {@code shape} (negative axes allowed). */
    public static int[] transposition(int[] shape, int a, int b) {
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        a = Shapes.axis("transpose", a, shape);
        b = Shapes.axis("transpose", b, shape);
        perm[a] = b;
        perm[b] = a;
        return perm;
    }

    /** Swaps the last two axes (matrix transpose, batched). */
    public NDArray mT() {
        if (shape.length < 2) throw new IllegalArgumentException("mT: needs at least 2 dimensions, got " + Shapes.str(shape));
        return transpose(-2, -1);
    }

    /**
     * Elements {@code start, start+step, ...} below {@code end} along {@code axis}, Python
     * style: negative bounds count from the end and out-of-range bounds are clamped.
     */
    public NDArray slice(int axis, int start, int end, int step) {
        int a = Shapes.axis("slice", axis, shape);
        if (step <= 0) throw new IllegalArgumentException("slice: step must be positive, got " + step);
        int n = shape[a];
        int s = clampIndex(start, n), e = clampIndex(end, n);
        int len = e > s ? (int) (((long) e - s + step - 1) / step) : 0; // long: step may be near 2^31
        int[] ns = shape.clone(), nst = strides.clone();
        ns[a] = len;
        nst[a] = strides[a] * step;
        return wrap(storage, ns, nst, offset + (len == 0 ? 0 : s * strides[a]));
    }

    public NDArray slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    private static int clampIndex(int i, int n) {
        long j = i < 0 ? (long) i + n : i;
        return (int) Math.max(0, Math.min(n, j));
    }

    /** The sub-array at {@code index} along {@code axis}, which is removed. */
    public NDArray select(int axis, int index) {
        int a = Shapes.axis("select", axis, shape);
        int i = index < 0 ? index + shape[a] : index;
        if (i < 0 || i >= shape[a])
            throw new IndexOutOfBoundsException("select: index " + index + " is out of range for axis " + a + " of shape " + Shapes.str(shape));
        return wrap(storage, remove(shape, a), remove(strides, a), offset + i * strides[a]);
    }

    /**
     * Broadcasts to {@code newShape} without copying (stride 0 on repeated dimensions);
     * {@code -1} keeps a dimension.
     */
    public NDArray expand(int... newShape) {
        int n = newShape.length, lead = n - shape.length;
        if (lead < 0)
            throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(shape) + " to fewer dimensions " + Shapes.str(newShape));
        int[] ns = new int[n], nst = new int[n];
        for (int i = 0; i < n; i++) {
            int old = i < lead ? 1 : shape[i - lead];
            int want = newShape[i] == -1 && i >= lead ? old : newShape[i];
            if (want < 0)
                throw new IllegalArgumentException("expand: size " + newShape[i] + " in " + Arrays.toString(newShape) + " (dimension " + i
                        + ") is negative" + (i < lead ? "; -1 keeps a dimension only where " + Shapes.str(shape) + " has one" : ""));
            if (want != old && old != 1)
                throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(shape) + " to " + Shapes.str(newShape)
                        + " (dimension " + i + ": " + old + " vs " + want + ")");
            ns[i] = want;
            nst[i] = i < lead || (old == 1 && want != 1) ? 0 : strides[i - lead];
        }
        return wrap(storage, ns, nst, offset);
    }

    /** {@link #expand}, under NumPy's name. */
    public NDArray broadcastTo(int... newShape) {
        return expand(newShape);
    }

    /** Removes the given size-1 axes, or all size-1 axes when none are given. */
    public NDArray squeeze(int... axes) {
        boolean[] drop = new boolean[shape.length];
        if (axes.length == 0) {
            for (int i = 0; i < shape.length; i++) drop[i] = shape[i] == 1;
        } else {
            for (int ax : axes) {
                int a = Shapes.axis("squeeze", ax, shape);
                if (shape[a] != 1) throw new IllegalArgumentException("squeeze: axis " + ax + " of shape " + Shapes.str(shape) + " has size " + shape[a] + ", not 1");
                drop[a] = true;
            }
        }
        int k = 0;
        for (boolean d : drop) if (!d) k++;
        int[] ns = new int[k], nst = new int[k];
        for (int i = 0, j = 0; i < shape.length; i++) if (!drop[i]) { ns[j] = shape[i]; nst[j++] = strides[i]; }
        return wrap(storage, ns, nst, offset);
    }

    /** Inserts a size-1 axis at {@code axis} (which may be {@code ndim}, or negative). */
    public NDArray unsqueeze(int axis) {
        int a = Shapes.axis("unsqueeze", axis, shape.length + 1);
        int[] ns = new int[shape.length + 1], nst = new int[shape.length + 1];
        for (int i = 0, j = 0; i < ns.length; i++) {
            if (i == a) { ns[i] = 1; nst[i] = 0; }
            else { ns[i] = shape[j]; nst[i] = strides[j++]; }
        }
        return wrap(storage, ns, nst, offset);
    }

    private static int[] remove(int[] a, int i) {
        int[] r = new int[a.length - 1];
        System.arraycopy(a, 0, r, 0, i);
        System.arraycopy(a, i + 1, r, i, a.length - i - 1);
        return r;
    }

    // ---- elementwise -------------------------------------------------------------------

    /** Applies a unary primitive. */
    public NDArray map(UnaryOp op) {
        if (!dtype().isFloating()) requireFloating(op.opName());
        if (numel() > Integer.MAX_VALUE) Shapes.numel(op.opName(), shape); // names the op
        return backend().unary(op, this);
    }

    public NDArray neg() { return map(UnaryOp.NEG); }
    public NDArray abs() { return map(UnaryOp.ABS); }
    public NDArray exp() { return map(UnaryOp.EXP); }
    public NDArray log() { return map(UnaryOp.LOG); }
    public NDArray log1p() { return map(UnaryOp.LOG1P); }
    public NDArray expm1() { return map(UnaryOp.EXPM1); }
    public NDArray sqrt() { return map(UnaryOp.SQRT); }
    public NDArray rsqrt() { return map(UnaryOp.RSQRT); }
    public NDArray square() { return map(UnaryOp.SQUARE); }
    public NDArray reciprocal() { return map(UnaryOp.RECIPROCAL); }
    public NDArray sin() { return map(UnaryOp.SIN); }
    public NDArray cos() { return map(UnaryOp.COS); }
    public NDArray tanh() { return map(UnaryOp.TANH); }
    public NDArray sigmoid() { return map(UnaryOp.SIGMOID); }
    public NDArray relu() { return map(UnaryOp.RELU); }
    /** Exact GELU (through erf). */
    public NDArray gelu() { return map(UnaryOp.GELU); }
    /** The tanh approximation of GELU. */
    public NDArray geluTanh() { return map(UnaryOp.GELU_TANH); }
    public NDArray silu() { return map(UnaryOp.SILU); }
    public NDArray sign() { return map(UnaryOp.SIGN); }
    public NDArray softplus() { return map(UnaryOp.SOFTPLUS); }
    public NDArray erf() { return map(UnaryOp.ERF); }

    /** Applies a binary primitive with NumPy broadcasting and float32/float64 promotion. */
    public NDArray zip(BinaryOp op, NDArray other) {
        if (!dtype().isFloating() || !other.dtype().isFloating() || storage.backend() != other.storage.backend()) {
            requireFloating(op.opName()); // each throws with the op's name
            other.requireFloating(op.opName());
            requireSameDevice(op.opName(), other);
        }
        DType dt = DType.promote(dtype(), other.dtype());
        NDArray a = to(dt), b = other.to(dt);
        if (Arrays.equals(a.shape, b.shape)) return backend().binary(op, a, b);
        int[] s = Shapes.broadcast(op.opName(), a.shape, b.shape);
        return backend().binary(op, a.expand(s), b.expand(s));
    }

    public NDArray add(NDArray o) { return zip(BinaryOp.ADD, o); }
    public NDArray sub(NDArray o) { return zip(BinaryOp.SUB, o); }
    public NDArray mul(NDArray o) { return zip(BinaryOp.MUL, o); }
    public NDArray div(NDArray o) { return zip(BinaryOp.DIV, o); }
    public NDArray pow(NDArray o) { return zip(BinaryOp.POW, o); }
    public NDArray maximum(NDArray o) { return zip(BinaryOp.MAXIMUM, o); }
    public NDArray minimum(NDArray o) { return zip(BinaryOp.MINIMUM, o); }
    public NDArray eq(NDArray o) { return zip(BinaryOp.EQ, o); }
    public NDArray ne(NDArray o) { return zip(BinaryOp.NE, o); }
    public NDArray lt(NDArray o) { return zip(BinaryOp.LT, o); }
    public NDArray le(NDArray o) { return zip(BinaryOp.LE, o); }
    public NDArray gt(NDArray o) { return zip(BinaryOp.GT, o); }
    public NDArray ge(NDArray o) { return zip(BinaryOp.GE, o); }

    public NDArray add(double s) { return zip(BinaryOp.ADD, scalarLike(s)); }
    public NDArray sub(double s) { return zip(BinaryOp.SUB, scalarLike(s)); }
    public NDArray mul(double s) { return zip(BinaryOp.MUL, scalarLike(s)); }
    public NDArray div(double s) { return zip(BinaryOp.DIV, scalarLike(s)); }
    public NDArray pow(double s) { return zip(BinaryOp.POW, scalarLike(s)); }
    public NDArray maximum(double s) { return zip(BinaryOp.MAXIMUM, scalarLike(s)); }
    public NDArray minimum(double s) { return zip(BinaryOp.MINIMUM, scalarLike(s)); }
    public NDArray eq(double s) { return zip(BinaryOp.EQ, scalarLike(s)); }
    public NDArray ne(double s) { return zip(BinaryOp.NE, scalarLike(s)); }
    public NDArray lt(double s) { return zip(BinaryOp.LT, scalarLike(s)); }
    public NDArray le(double s) { return zip(BinaryOp.LE, scalarLike(s)); }
    public NDArray gt(double s) { return zip(BinaryOp.GT, scalarLike(s)); }
    public NDArray ge(double s) { return zip(BinaryOp.GE, scalarLike(s)); }

    /** A 0-d array of this array's dtype and device. */
    public NDArray scalarLike(double value) {
        return scalar(value, dtype(), device());
    }

    /** {@code cond != 0 ? a : b}, all three broadcast together. */
    public static NDArray where(NDArray cond, NDArray a, NDArray b) {
        a.requireSameDevice("where", b);
        cond.requireSameDevice("where", a);
        DType dt = DType.promote(a.dtype(), b.dtype());
        int[] s = Shapes.broadcast("where", Shapes.broadcast("where", cond.shape, a.shape), b.shape);
        return a.backend().where(cond.expand(s), a.to(dt).expand(s), b.to(dt).expand(s));
    }

    // ---- reductions --------------------------------------------------------------------

    /** Reduces {@code axes} (all axes when empty) with a primitive reduction. */
    public NDArray reduce(ReduceOp op, int[] axes, boolean keepdim) {
        String name = op.opName();
        requireFloating(name);
        int[] ax = Shapes.axes(name, axes, shape);
        if (op == ReduceOp.MAX || op == ReduceOp.MIN) {
            // Only an empty group has no extreme; with no groups at all (a kept axis of size 0)
            // the result is simply empty, as in NumPy.
            long group = 1, groups = 1;
            for (int a : ax) group *= shape[a];
            for (int i = 0; i < shape.length; i++) if (Arrays.binarySearch(ax, i) < 0) groups *= shape[i];
            if (group == 0 && groups > 0)
                throw new IllegalArgumentException(name + ": empty array of shape " + Shapes.str(shape) + " has no " + name);
        }
        NDArray r = backend().reduce(op, this, ax);
        return keepdim ? r : r.squeezeAxes(ax);
    }

    private NDArray squeezeAxes(int[] sortedAxes) {
        return sortedAxes.length == 0 ? this : squeeze(sortedAxes);
    }

    public NDArray sum() { return reduce(ReduceOp.SUM, new int[0], false); }
    public NDArray sum(int... axes) { return reduce(ReduceOp.SUM, axes, false); }
    public NDArray sum(int[] axes, boolean keepdim) { return reduce(ReduceOp.SUM, axes, keepdim); }
    public NDArray prod(int[] axes, boolean keepdim) { return reduce(ReduceOp.PROD, axes, keepdim); }
    public NDArray max() { return reduce(ReduceOp.MAX, new int[0], false); }
    public NDArray max(int[] axes, boolean keepdim) { return reduce(ReduceOp.MAX, axes, keepdim); }
    public NDArray min() { return reduce(ReduceOp.MIN, new int[0], false); }
    public NDArray min(int[] axes, boolean keepdim) { return reduce(ReduceOp.MIN, axes, keepdim); }

    /** Index of the maximum along {@code axis} (first one on ties), INT32. */
    public NDArray argmax(int axis, boolean keepdim) {
        return argReduce(ReduceOp.MAX, "argmax", axis, keepdim);
    }

    public NDArray argmin(int axis, boolean keepdim) {
        return argReduce(ReduceOp.MIN, "argmin", axis, keepdim);
    }

    private NDArray argReduce(ReduceOp op, String name, int axis, boolean keepdim) {
        requireFloating(name);
        int a = Shapes.axis(name, axis, shape);
        if (shape[a] == 0) throw new IllegalArgumentException(name + ": axis " + a + " of shape " + Shapes.str(shape) + " is empty");
        NDArray r = backend().argReduce(op, this, a);
        return keepdim ? r : r.squeeze(a);
    }

    public NDArray softmax(int axis) {
        requireFloating("softmax");
        return backend().softmax(this, Shapes.axis("softmax", axis, shape), false);
    }

    public NDArray logSoftmax(int axis) {
        requireFloating("logSoftmax");
        return backend().softmax(this, Shapes.axis("logSoftmax", axis, shape), true);
    }

    // ---- linear algebra ----------------------------------------------------------------

    /**
     * Batched matrix product of operands of rank >= 2 whose batch dimensions broadcast
     * (float32 with float64 computes in float64). Vectors are promoted to matrices by
     * {@code Tensor.matmul}, the one place that composition lives.
     */
    public NDArray matmul(NDArray other) {
        requireFloating("matmul");
        other.requireFloating("matmul");
        requireSameDevice("matmul", other);
        if (shape.length < 2 || other.shape.length < 2)
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(shape) + " and " + Shapes.str(other.shape)
                    + ": NDArray.matmul takes matrices (rank >= 2); Tensor.matmul also takes vectors");
        DType dt = DType.promote(dtype(), other.dtype());
        NDArray a = to(dt), b = other.to(dt);
        int m = a.shape[a.ndim() - 2], k = a.shape[a.ndim() - 1];
        int k2 = b.shape[b.ndim() - 2], n = b.shape[b.ndim() - 1];
        if (k != k2)
            throw new IllegalArgumentException("matmul: " + Shapes.str(shape) + " x " + Shapes.str(other.shape)
                    + ": inner dimensions " + k + " != " + k2);
        int[] batch;
        try {
            batch = Shapes.broadcast("matmul", Arrays.copyOf(a.shape, a.ndim() - 2), Arrays.copyOf(b.shape, b.ndim() - 2));
        } catch (IllegalArgumentException e) {
            // Name the operands' full shapes, not just their batch parts.
            throw new IllegalArgumentException("matmul: " + Shapes.str(shape) + " x " + Shapes.str(other.shape)
                    + ": batch dimensions do not broadcast (" + e.getMessage().substring("matmul: ".length()) + ")", e);
        }
        int[] sa = Arrays.copyOf(batch, batch.length + 2), sb = sa.clone(), so = sa.clone();
        sa[batch.length] = m; sa[batch.length + 1] = k;
        sb[batch.length] = k; sb[batch.length + 1] = n;
        so[batch.length] = m; so[batch.length + 1] = n;
        // The result's size and heap checks name matmul and its operands, not the kernel's allocation.
        String operands = "matmul: " + Shapes.str(shape) + " x " + Shapes.str(other.shape);
        long size = 1;
        for (int d : so) if ((size *= d) > Integer.MAX_VALUE)
            throw new IllegalArgumentException(operands + ": the result's shape " + Shapes.str(so)
                    + " has more than 2^31-1 elements (the limit of a Java array)");
        if (device().kind().equals("cpu")) Shapes.checkHeap(operands + ": the result", dt, so);
        return backend().matmul(a.expand(sa), b.expand(sb));
    }

    // ---- indexing ----------------------------------------------------------------------

    /**
     * {@code out[i][j] = this[index[i][j]][j]} for {@code axis == 0}, and so on (torch.gather).
     * {@code index} is INT32 with this array's rank; its shape is the result's, and no larger
     * than this array's along the other axes.
     */
    public NDArray gather(int axis, NDArray index) {
        int a = Shapes.axis("gather", axis, shape.length);
        checkIndexArray("gather", index);
        if (index.ndim() != shape.length)
            throw new IllegalArgumentException("gather: index " + Shapes.str(index.shape) + " and input " + Shapes.str(shape) + " differ in rank");
        for (int d = 0; d < shape.length; d++)
            if (d != a && index.shape[d] > shape[d])
                throw new IllegalArgumentException("gather: index " + Shapes.str(index.shape) + " is larger than input " + Shapes.str(shape)
                        + " in axis " + d + ", which is not the gather axis " + a);
        checkIndexRange("gather", index, a, shape);
        return backend().gather(this, a, index);
    }

    /**
     * A new array: this one with {@code src} added at the positions {@code index} names along
     * {@code axis} ({@code out[index[i][j]][j] += src[i][j]} for {@code axis == 0}), the
     * functional form of torch's {@code scatter_add}. The adjoint of {@link #gather}. Only the
     * leading {@code index.shape} part of {@code src} is used; dtypes promote.
     */
    public NDArray scatterAdd(int axis, NDArray index, NDArray src) {
        int a = Shapes.axis("scatterAdd", axis, shape.length);
        checkIndexArray("scatterAdd", index);
        requireSameDevice("scatterAdd", src);
        if (index.ndim() != shape.length || src.ndim() != shape.length)
            throw new IllegalArgumentException("scatterAdd: input " + Shapes.str(shape) + ", index " + Shapes.str(index.shape)
                    + " and source " + Shapes.str(src.shape) + " differ in rank");
        for (int d = 0; d < shape.length; d++)
            if (index.shape[d] > src.shape[d] || (d != a && index.shape[d] > shape[d]))
                throw new IllegalArgumentException("scatterAdd: index " + Shapes.str(index.shape) + " is larger than source "
                        + Shapes.str(src.shape) + " or input " + Shapes.str(shape) + " in axis " + d + " (scatter axis " + a + ")");
        checkIndexRange("scatterAdd", index, a, shape);
        DType dt = DType.promote(dtype(), src.dtype());
        NDArray out = zeros(dt, device(), shape);
        backend().copyInto(out, this, false);
        NDArray used = src;
        for (int d = 0; d < shape.length; d++) used = used.slice(d, 0, index.shape[d]);
        backend().scatterAdd(out, a, index, used.to(dt));
        return out;
    }

    /**
     * One-hot rows: {@code result[..., c] = labels[...] == c ? 1 : 0}, of shape
     * {@code labels.shape + [numClasses]}. Labels are INT32 in {@code [0, numClasses)}.
     */
    public static NDArray oneHot(NDArray labels, int numClasses, DType dtype) {
        checkIndexArray("oneHot", labels);
        if (numClasses < 0) throw new IllegalArgumentException("oneHot: negative class count " + numClasses);
        int[] range = indexRange(labels);
        if (range != null && (range[0] < 0 || range[1] >= numClasses))
            throw new IllegalArgumentException("oneHot: label " + (range[0] < 0 ? range[0] : range[1]) + " is out of range for "
                    + numClasses + " classes (labels of shape " + Shapes.str(labels.shape) + ")");
        int[] s = Arrays.copyOf(labels.shape, labels.shape.length + 1);
        s[labels.shape.length] = numClasses;
        NDArray out = zeros(dtype, labels.device(), s);
        NDArray at = labels.unsqueeze(-1);
        out.backend().scatterAdd(out, labels.shape.length, at, scalar(1, dtype, labels.device()).expand(at.shape));
        return out;
    }

    private static void checkIndexArray(String op, NDArray index) {
        if (index.dtype() != DType.INT32)
            throw new IllegalArgumentException(op + ": index must be int32, got " + index.dtype() + " array of shape " + Shapes.str(index.shape));
    }

    private void checkIndexRange(String op, NDArray index, int axis, int[] shape) {
        requireSameDevice(op, index);
        int[] range = indexRange(index);
        if (range == null) return;
        int bad = range[0] < 0 ? range[0] : range[1];
        if (range[0] < 0 || range[1] >= shape[axis])
            throw new IllegalArgumentException(op + ": index " + bad + " is out of range for axis " + axis + " of size " + shape[axis]
                    + " (input shape " + Shapes.str(shape) + ")");
    }

    /** {min, max} of an INT32 array, or null when it is empty: see {@link Backend#indexRange}. */
    private static int[] indexRange(NDArray index) {
        if (index.size() == 0) return null;
        return index.backend().indexRange(index);
    }

    // ---- joining and padding -----------------------------------------------------------

    /** Joins arrays along an existing axis; other axes must match. Dtypes promote. */
    public static NDArray concat(int axis, NDArray... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("concat: no arrays given");
        NDArray first = xs[0];
        int a = Shapes.axis("concat", axis, first.ndim());
        int[] outShape = first.shape();
        DType dt = first.dtype();
        outShape[a] = 0;
        for (NDArray x : xs) {
            first.requireSameDevice("concat", x);
            boolean fits = x.ndim() == first.ndim();
            for (int d = 0; fits && d < outShape.length; d++) fits = d == a || x.shape[d] == first.shape[d];
            if (!fits)
                throw new IllegalArgumentException("concat: shapes " + Shapes.str(first.shape) + " and " + Shapes.str(x.shape)
                        + " differ outside axis " + a);
            outShape[a] += x.shape[a];
            dt = DType.promote(dt, x.dtype());
        }
        NDArray out = zeros(dt, first.device(), outShape);
        int at = 0;
        for (NDArray x : xs) {
            int n = x.shape[a];
            if (n > 0 && x.size() > 0) out.backend().copyInto(out.slice(a, at, at + n), x, false);
            at += n;
        }
        return out;
    }

    /**
     * Pads with a constant. {@code padding} holds a (before, after) pair for every axis, FIRST
     * axis first: {@code {b0, a0, b1, a1, ...}}, so an image [N, C, H, W] is padded by
     * {@code {0, 0, 0, 0, top, bottom, left, right}}. (torch.nn.functional.pad orders its pairs
     * from the LAST axis and may omit leading axes; this one is explicit about every axis.)
     * Negative amounts crop, so {@code pad(p, 0)} and {@code pad(-p, 0)} are adjoint linear
     * maps; a pure crop is returned as a view.
     */
    public NDArray pad(int[] padding, double value) {
        if (padding.length != 2 * shape.length)
            throw new IllegalArgumentException("pad: padding " + Arrays.toString(padding) + " has " + padding.length
                    + " values, but shape " + Shapes.str(shape) + " needs a (before, after) pair per axis: " + 2 * shape.length);
        int[] outShape = new int[shape.length];
        NDArray kept = this;
        boolean grows = false;
        for (int d = 0; d < shape.length; d++) {
            int before = padding[2 * d], after = padding[2 * d + 1];
            if ((long) shape[d] + before + after > Integer.MAX_VALUE)
                throw new IllegalArgumentException("pad: padding " + Arrays.toString(padding) + " makes axis " + d + " of shape "
                        + Shapes.str(shape) + " longer than 2^31-1");
            outShape[d] = shape[d] + before + after;
            if (outShape[d] < 0)
                throw new IllegalArgumentException("pad: padding " + Arrays.toString(padding) + " crops axis " + d + " of shape "
                        + Shapes.str(shape) + " below size 0");
            int start = Math.min(shape[d], Math.max(0, -before));
            kept = kept.slice(d, start, Math.max(start, shape[d] - Math.max(0, -after)));
            grows |= before > 0 || after > 0;
        }
        if (!grows) return kept;
        NDArray out = value == 0 ? zeros(dtype(), device(), outShape) : full(value, dtype(), device(), outShape);
        if (kept.size() == 0) return out;
        NDArray inside = out;
        for (int d = 0; d < shape.length; d++) {
            int start = Math.max(0, padding[2 * d]);
            inside = inside.slice(d, start, start + kept.shape[d]);
        }
        backend().copyInto(inside, kept, false);
        return out;
    }

    // ---- im2col and col2im (the primitives convolution and pooling are built from) ------

    /**
     * 2-d convolution (cross-correlation, as PyTorch) of {@code x [N, C, H, W]} with
     * {@code w [O, C/groups, KH, KW]}: {@code [N, O, OH, OW]}, with stride, zero padding,
     * dilation and groups.
     */
    public static NDArray conv2d(NDArray x, NDArray w, Conv2dSpec spec) {
        requireConvOperands("conv2d", x, w);
        Convolution.checkConv("conv2d", x.shape, w.shape, spec);
        return x.backend().conv2d(x, w, spec);
    }

    /**
     * The gradient of {@link #conv2d} in its input, for the output gradient {@code g}: the
     * adjoint of the convolution in x (a transposed convolution), of shape {@code inputShape}.
     */
    public static NDArray conv2dBackwardInput(NDArray g, NDArray w, int[] inputShape, Conv2dSpec spec) {
        requireConvOperands("conv2dBackwardInput", g, w);
        int[] o = Convolution.checkConv("conv2dBackwardInput", inputShape, w.shape, spec);
        requireShape("conv2dBackwardInput", "output gradient", g.shape, new int[] {inputShape[0], w.shape[0], o[0], o[1]});
        return g.backend().conv2dBackwardInput(g, w, inputShape.clone(), spec);
    }

    /** The gradient of {@link #conv2d} in its weight, for the output gradient {@code g}, of shape {@code weightShape}. */
    public static NDArray conv2dBackwardWeight(NDArray x, NDArray g, int[] weightShape, Conv2dSpec spec) {
        requireConvOperands("conv2dBackwardWeight", x, g);
        int[] o = Convolution.checkConv("conv2dBackwardWeight", x.shape, weightShape, spec);
        requireShape("conv2dBackwardWeight", "output gradient", g.shape, new int[] {x.shape[0], weightShape[0], o[0], o[1]});
        return x.backend().conv2dBackwardWeight(x, g, weightShape.clone(), spec);
    }

    private static void requireConvOperands(String op, NDArray a, NDArray b) {
        a.requireFloating(op);
        b.requireFloating(op);
        a.requireSameDevice(op, b);
        if (a.dtype() != b.dtype())
            throw new IllegalArgumentException(op + ": operands " + a.dtype() + " " + Shapes.str(a.shape) + " and " + b.dtype() + " "
                    + Shapes.str(b.shape) + " differ in dtype");
    }

    private static void requireShape(String op, String what, int[] shape, int[] want) {
        if (!Arrays.equals(shape, want))
            throw new IllegalArgumentException(op + ": " + what + " " + Shapes.str(shape) + " must be " + Shapes.str(want));
    }

    /**
     * Max pooling's argmax (for {@code Tensor.maxPool2d}, which gathers at it): INT32
     * {@code [N, C, OH, OW]}, for each window the flat index {@code h·W + w} in its input
     * plane of the window's first maximum in row-major order; NaN counts as the maximum and
     * padding (-inf) is never chosen.
     */
    public NDArray maxPool2dIndices(Pool2dSpec spec) {
        requireFloating("maxPool2dIndices");
        if (shape.length != 4)
            throw new IllegalArgumentException("maxPool2dIndices: input " + Shapes.str(shape) + " must be [N, C, H, W]");
        int oh = spec.windows().outH(shape[2], spec.kernelH()), ow = spec.windows().outW(shape[3], spec.kernelW());
        if (oh < 1 || ow < 1)
            throw new IllegalArgumentException("maxPool2dIndices: kernel " + spec.kernelH() + "x" + spec.kernelW() + " does not fit input "
                    + Shapes.str(shape) + " padded by " + spec.padH() + "x" + spec.padW());
        return backend().maxPool2dIndices(this, spec);
    }

    /**
     * Batch normalization in training mode (torch.nn.functional.batch_norm with training=True)
     * of this {@code [N, C, ...]} array: each channel normalized by its batch mean and biased
     * variance over every axis but 1, then scaled by {@code weight} and shifted by {@code bias}
     * (both {@code [C]}). The backend's fused kernel; {@link Normalization} holds the formulas.
     */
    public NDArray batchNorm(NDArray weight, NDArray bias, double eps) {
        Normalization.check("batchNorm", this, weight, bias, "bias");
        requireSameDevice("batchNorm", weight);
        requireSameDevice("batchNorm", bias);
        return backend().batchNorm(this, weight, bias, eps);
    }

    /** The gradients {dx, dweight, dbias} of {@link #batchNorm} at this input for the output gradient {@code g}. */
    public NDArray[] batchNormBackward(NDArray weight, NDArray g, double eps) {
        Normalization.check("batchNormBackward", this, weight, g, "gradient");
        requireSameDevice("batchNormBackward", weight);
        requireSameDevice("batchNormBackward", g);
        return backend().batchNormBackward(this, weight, g, eps);
    }

    /** [2, C]: each channel's batch mean and biased variance over every axis but 1 (what {@link #batchNorm} normalizes by). */
    public NDArray batchNormStats() {
        Normalization.check("batchNormStats", this, null, null, null);
        return backend().batchNormStats(this);
    }

    /**
     * Sliding windows as columns (im2col, torch.nn.functional.unfold): this [N, C, H, W]
     * becomes [N, C*kh*kw, OH*OW], row {@code (c*kh + i)*kw + j} holding kernel offset (i, j)
     * of channel c for every output position. Zero padding; {@code spec.groups()} is ignored.
     */
    public NDArray unfold2d(int kh, int kw, Conv2dSpec spec) {
        requireFloating("unfold2d");
        return Convolution.unfold(this, kh, kw, spec, 0, "unfold2d");
    }

    /**
     * The adjoint of {@link #unfold2d} (col2im, torch.nn.functional.fold): adds every column
     * entry back onto the input position it was read from, giving an array of
     * {@code inputShape}; padding positions are dropped.
     */
    public static NDArray fold2d(NDArray cols, int[] inputShape, int kh, int kw, Conv2dSpec spec) {
        cols.requireFloating("fold2d");
        return Convolution.fold(cols, inputShape, kh, kw, spec, "fold2d");
    }

    // ---- checks and printing -----------------------------------------------------------

    void requireFloating(String op) {
        if (!dtype().isFloating())
            throw new IllegalArgumentException(op + ": needs a floating dtype, got " + dtype() + " array of shape " + Shapes.str(shape));
    }

    void requireSameDevice(String op, NDArray other) {
        if (!device().equals(other.device()))
            throw new IllegalArgumentException(op + ": arrays on different devices (" + device() + " and " + other.device() + "); move one with to(Device)");
    }

    /** True when shapes match and |a - b| <= atol + rtol * |b| everywhere (NaN never close). */
    public boolean allClose(NDArray other, double rtol, double atol) {
        if (!Arrays.equals(shape, other.shape)) return false;
        double[] a = toDoubleArray(), b = other.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) continue; // equal infinities
            if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) return false;
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("array(");
        double[] v = size() <= 1000 ? toDoubleArray() : null;
        if (v == null) sb.append("...");
        else format(sb, v, 0, 0);
        sb.append(", shape=").append(Shapes.str(shape)).append(", dtype=").append(dtype());
        if (!device().kind().equals("cpu")) sb.append(", device=").append(device());
        return sb.append(')').toString();
    }

    private int format(StringBuilder sb, double[] v, int dim, int pos) {
        if (dim == shape.length) {
            double x = v[pos];
            sb.append(dtype() == DType.INT32 ? Long.toString((long) x) : String.format("%.4g", x));
            return pos + 1;
        }
        sb.append('[');
        for (int i = 0; i < shape[dim]; i++) {
            if (i > 0) sb.append(", ");
            pos = format(sb, v, dim + 1, pos);
        }
        sb.append(']');
        return pos;
    }
}
