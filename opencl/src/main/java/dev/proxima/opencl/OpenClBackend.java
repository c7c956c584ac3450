package dev.proxima.opencl;

import static org.jocl.CL.*;

import dev.proxima.tensor.Backend;
import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.Shapes;
import dev.proxima.tensor.Storage;
import dev.proxima.tensor.UnaryOp;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/**
 * The OpenCL backend: one context and one in-order command queue per device, kernels from
 * the {@code .cl} templates beside this class. Every array stays on the device; data crosses
 * to the host only in {@link #download} (and {@code NDArray.to(Device)}).
 *
 * <p>Devices are numbered across all platforms in the order the ICD loader reports them:
 * {@code opencl:0} is the first device of the first platform. {@link #describeAll()} lists
 * them. Kernels run asynchronously; {@link #finish()} waits for them.
 *
 * <p>bfloat16 arrays are stored as {@code ushort} (the bits, as the CPU's {@code short[]}) and
 * cross to and from the host bit for bit. Their kernels are the float ones reading and writing
 * 16-bit words (see {@link KernelSource}): they compute in float and round each result once, to
 * nearest even, as the CPU backend does; reductions accumulate in float and round at the end.
 */
public final class OpenClBackend implements Backend {
    /**
     * Loads JOCL's native library (which dlopens {@code libOpenCL.so}, the ICD loader) and
     * makes every JOCL call throw CLException on an error code; each op catches it and names
     * itself, its shapes and the device. Kept out of a static initializer so that a missing
     * loader is a clear error here and not a NoClassDefFoundError of this class.
     */
    private static void loadOpenCl() {
        try {
            CL.setExceptionsEnabled(true);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IllegalStateException("cannot load OpenCL through JOCL (" + e.getMessage() + "). JOCL opens "
                    + "'libOpenCL.so': install an ICD loader that provides it (Debian/Ubuntu: ocl-icd-opencl-dev, "
                    + "or a libOpenCL.so link to libOpenCL.so.1 in a folder on LD_LIBRARY_PATH) and a driver "
                    + "(a GPU's OpenCL ICD, or pocl-opencl-icd)", e);
        }
    }

    private final Device device;
    private final String name;
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_device_id deviceId;
    private final boolean fp64, int64Atomics, gpu;
    private final long maxWorkGroup, localMem;
    private final int computeUnits;
    private final BufferPool pool;
    private final GemmConfig gemm32, gemm64;
    /** Local size of elementwise kernels; fixed, so PoCL compiles each kernel once. */
    private final int elementLocal;
    private final int reduceLocal;
    private volatile cl_program base, doubles;
    private final Map<String, cl_kernel> kernels = new ConcurrentHashMap<>();

    private OpenClBackend(int index, cl_platform_id platform, cl_device_id id) {
        this.device = Device.opencl(index);
        this.deviceId = id;
        this.name = infoString(id, CL_DEVICE_NAME) + " (" + platformName(platform) + ")";
        String ext = infoString(id, CL_DEVICE_EXTENSIONS);
        this.fp64 = ext.contains("cl_khr_fp64");
        this.int64Atomics = ext.contains("cl_khr_int64_base_atomics");
        this.gpu = (infoLong(id, CL_DEVICE_TYPE) & CL_DEVICE_TYPE_GPU) != 0;
        this.maxWorkGroup = infoLong(id, CL_DEVICE_MAX_WORK_GROUP_SIZE);
        this.localMem = infoLong(id, CL_DEVICE_LOCAL_MEM_SIZE);
        this.computeUnits = (int) infoInt(id, CL_DEVICE_MAX_COMPUTE_UNITS);
        long globalMem = infoLong(id, CL_DEVICE_GLOBAL_MEM_SIZE);
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, platform);
        this.context = clCreateContext(props, 1, new cl_device_id[] {id}, null, null, null);
        this.queue = createQueue(context, id);
        // Pool up to a quarter of the memory (2 GiB at most); collect garbage past 3/4 in use.
        this.pool = new BufferPool(context, Math.min(globalMem / 4, 2L << 30), globalMem / 4 * 3);
        this.gemm32 = GemmConfig.choose(DType.FLOAT32, gpu, maxWorkGroup, localMem);
        this.gemm64 = GemmConfig.choose(DType.FLOAT64, gpu, maxWorkGroup, localMem);
        this.elementLocal = (int) Math.min(gpu ? 256 : 64, maxWorkGroup);
        this.reduceLocal = (int) Math.min(256, Long.highestOneBit(maxWorkGroup));
    }

    @SuppressWarnings("deprecation") // clCreateCommandQueueWithProperties needs OpenCL 2.0; this runs on 1.2 too
    private static cl_command_queue createQueue(cl_context context, cl_device_id id) {
        return clCreateCommandQueue(context, id, 0, null);
    }

    // ---- opening devices ---------------------------------------------------------------

    private record Found(cl_platform_id platform, cl_device_id device, String description) {}

    private static List<Found> enumerate() {
        loadOpenCl();
        List<Found> all = new ArrayList<>();
        int[] n = new int[1];
        try {
            clGetPlatformIDs(0, null, n);
        } catch (CLException e) {
            return all; // CL_PLATFORM_NOT_FOUND_KHR: the loader found no vendor driver
        }
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        clGetPlatformIDs(n[0], platforms, null);
        for (cl_platform_id p : platforms) {
            int[] nd = new int[1];
            try {
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, nd);
            } catch (CLException e) {
                continue; // a platform without devices
            }
            cl_device_id[] ds = new cl_device_id[nd[0]];
            clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, nd[0], ds, null);
            for (cl_device_id d : ds)
                all.add(new Found(p, d, "opencl:" + all.size() + " = " + infoString(d, CL_DEVICE_NAME)
                        + " (" + platformName(p) + ", " + typeName(infoLong(d, CL_DEVICE_TYPE)) + ")"));
        }
        return all;
    }

    /** One line per OpenCL device found, or a line saying there is none and why. */
    public static List<String> describeAll() {
        try {
            List<Found> found = enumerate();
            if (found.isEmpty()) return List.of("no OpenCL platform or device found");
            return found.stream().map(Found::description).toList();
        } catch (IllegalStateException e) {
            return List.of("OpenCL unavailable: " + e.getMessage());
        }
    }

    /** Opens device {@code index}; the error lists the platforms and devices found. */
    static OpenClBackend open(int index) {
        List<Found> found;
        try {
            found = enumerate();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("device opencl:" + index + ": " + e.getMessage() + ". No CPU fallback.", e);
        }
        if (found.isEmpty())
            throw new IllegalStateException("device opencl:" + index + ": no OpenCL platform found (the ICD loader lists "
                    + "no vendor driver; install a GPU driver's OpenCL ICD or pocl-opencl-icd). No CPU fallback.");
        if (index < 0 || index >= found.size())
            throw new IllegalStateException("device opencl:" + index + ": no such OpenCL device; found "
                    + found.size() + ": " + String.join("; ", found.stream().map(Found::description).toList()));
        Found f = found.get(index);
        return new OpenClBackend(index, f.platform, f.device);
    }

    // ---- device facts ------------------------------------------------------------------

    @Override
    public Device device() {
        return device;
    }

    /** Device and platform name, e.g. {@code NVIDIA H100 80GB HBM3 (NVIDIA CUDA)}. */
    public String name() {
        return name;
    }

    /** Whether float64 arrays can live on this device (cl_khr_fp64). */
    public boolean supportsFloat64() {
        return fp64;
    }

    public boolean isGpu() {
        return gpu;
    }

    /** Device buffers handed out and not yet released (to the pool): flat in a leak-free loop. */
    public int liveBuffers() {
        return pool.live();
    }

    BufferPool pool() {
        return pool;
    }

    /** Tile sizes of the matmul kernel for this dtype (bfloat16 computes in float32's tiles). */
    public String gemmConfig(DType dtype) {
        return (dtype == DType.FLOAT64 ? gemm64 : gemm32).toString();
    }

    @Override
    public String toString() {
        return "OpenClBackend(" + device + " = " + name + ")";
    }

    @Override
    public void finish() {
        clFinish(queue);
    }

    // ---- memory ------------------------------------------------------------------------

    @Override
    public Storage allocate(DType dtype, int size) {
        ClStorage s = fresh(dtype, size, "allocate");
        long bytes = ClStorage.bytes(dtype, size);
        if (bytes > 0) {
            try {
                // The pattern's size must divide the buffer's: 2 bytes for bfloat16, else 4.
                synchronized (this) {
                    clEnqueueFillBuffer(queue, s.mem, Pointer.to(new int[] {0}), Math.min(Sizeof.cl_int, dtype.byteSize()),
                            0, bytes, 0, null, null);
                }
            } catch (CLException e) {
                throw error("allocate", "zero-filling " + size + " " + dtype + " elements", e);
            }
        }
        return s;
    }

    @Override
    public Storage upload(Object javaArray) {
        DType dtype;
        int size;
        Pointer p;
        if (javaArray instanceof float[] f) { dtype = DType.FLOAT32; size = f.length; p = Pointer.to(f); }
        else if (javaArray instanceof double[] d) { dtype = DType.FLOAT64; size = d.length; p = Pointer.to(d); }
        else if (javaArray instanceof int[] i) { dtype = DType.INT32; size = i.length; p = Pointer.to(i); }
        else if (javaArray instanceof short[] h) { dtype = DType.BFLOAT16; size = h.length; p = Pointer.to(h); }
        else throw new IllegalArgumentException("upload: expected float[], double[], int[] or short[] (bfloat16 bits), got "
                    + (javaArray == null ? "null" : javaArray.getClass().getSimpleName()));
        ClStorage s = fresh(dtype, size, "upload");
        if (size == 1) {
            // Scalars (constants in every gradient rule) go in as a fill: OpenCL copies a fill
            // pattern when the command is enqueued, so unlike a blocking write it does not wait
            // for every kernel queued before it (on an H100 that wait cost ~20 us per op).
            try {
                synchronized (this) {
                    clEnqueueFillBuffer(queue, s.mem, p, dtype.byteSize(), 0, dtype.byteSize(), 0, null, null);
                }
            } catch (CLException e) {
                throw error("upload", "a scalar " + dtype, e);
            }
        } else if (size > 0) {
            try {
                // Blocking: the Java array may change or move once this returns.
                clEnqueueWriteBuffer(queue, s.mem, CL_TRUE, 0, ClStorage.bytes(dtype, size), p, 0, null, null);
            } catch (CLException e) {
                throw error("upload", size + " " + dtype + " elements", e);
            }
        }
        return s;
    }

    @Override
    public Object download(NDArray x) {
        NDArray c = x.isContiguous() ? x : x.contiguous();
        int n = c.size();
        DType t = c.dtype();
        Object r;
        Pointer p;
        switch (t) {
            case FLOAT32 -> { float[] a = new float[n]; r = a; p = Pointer.to(a); }
            case FLOAT64 -> { double[] a = new double[n]; r = a; p = Pointer.to(a); }
            case BFLOAT16 -> { short[] a = new short[n]; r = a; p = Pointer.to(a); }
            default -> { int[] a = new int[n]; r = a; p = Pointer.to(a); }
        }
        if (n > 0) {
            try {
                clEnqueueReadBuffer(queue, storage(c, "download").mem, CL_TRUE, (long) c.offset() * t.byteSize(),
                        (long) n * t.byteSize(), p, 0, null, null);
            } catch (CLException e) {
                throw error("download", "array of shape " + Shapes.str(x.shape()), e);
            }
        }
        if (c != x) ((ClStorage) c.storage()).close(); // a temporary nobody else sees
        return r;
    }

    @Override
    public void copyInto(NDArray dst, NDArray src, boolean accumulate) {
        dst.storage().bumpVersion();
        Layout l = new Layout("copyInto", dst.shape(), new int[][] {dst.strides(), src.strides()},
                new int[] {dst.offset(), src.offset()});
        elementwise("copyInto", KernelSource.copyName(dst.dtype(), src.dtype()), involves64(dst, src), l,
                storage(dst, "copyInto"), storage(src, "copyInto"), l, accumulate ? 1 : 0);
    }

    // ---- elementwise -------------------------------------------------------------------

    @Override
    public NDArray unary(UnaryOp op, NDArray x) {
        NDArray out = freshArray(x.dtype(), x.shape(), op.opName());
        Layout l = new Layout(op.opName(), x.shape(), new int[][] {out.strides(), x.strides()}, new int[] {0, x.offset()});
        elementwise(op.opName(), KernelSource.unaryName(op, x.dtype()), involves64(x), l,
                storage(out, op.opName()), storage(x, op.opName()), l);
        return out;
    }

    @Override
    public NDArray binary(BinaryOp op, NDArray a, NDArray b) {
        String name = op.opName();
        NDArray out = freshArray(a.dtype(), a.shape(), name);
        Layout l = new Layout(name, a.shape(), new int[][] {out.strides(), a.strides(), b.strides()},
                new int[] {0, a.offset(), b.offset()});
        elementwise(name, KernelSource.binaryName(op, a.dtype()), involves64(a, b), l,
                storage(out, name), storage(a, name), storage(b, name), l);
        return out;
    }

    @Override
    public NDArray where(NDArray cond, NDArray a, NDArray b) {
        NDArray out = freshArray(a.dtype(), a.shape(), "where");
        Layout l = new Layout("where", a.shape(), new int[][] {out.strides(), cond.strides(), a.strides(), b.strides()},
                new int[] {0, cond.offset(), a.offset(), b.offset()});
        elementwise("where", KernelSource.whereName(a.dtype(), cond.dtype()), involves64(cond, a, b), l,
                storage(out, "where"), storage(cond, "where"), storage(a, "where"), storage(b, "where"), l);
        return out;
    }

    private void elementwise(String op, String kernel, boolean f64, Layout l, Object... args) {
        if (l.n == 0) return;
        long global = roundUp(l.n, elementLocal);
        launch(op, l, kernel, f64, new long[] {global}, new long[] {elementLocal}, args);
    }

    // ---- reductions --------------------------------------------------------------------

    @Override
    public NDArray reduce(ReduceOp op, NDArray x, int[] axes) {
        if (x.dtype() != DType.BFLOAT16) return reduceInCompute(op, x, axes);
        NDArray inFloat = reduceInCompute(op, x, axes); // accumulated in float, rounded once here
        NDArray out = inFloat.to(DType.BFLOAT16);
        ((ClStorage) inFloat.storage()).close();
        return out;
    }

    /** The reduction in {@code x}'s compute type ({@link #computeType}): float32 for bfloat16. */
    private NDArray reduceInCompute(ReduceOp op, NDArray x, int[] axes) {
        String name = op.opName();
        DType acc = computeType(x.dtype());
        int[] shape = x.shape(), strides = x.strides();
        boolean[] reduced = new boolean[shape.length];
        for (int a : axes) reduced[a] = true;
        int[] outShape = shape.clone();
        for (int a : axes) outShape[a] = 1;
        NDArray out = freshArray(acc, outShape, name);
        int nk = shape.length - axes.length;
        int[] ks = new int[nk], kst = new int[nk], rs = new int[axes.length], rst = new int[axes.length];
        for (int d = 0, i = 0, j = 0; d < shape.length; d++) {
            if (reduced[d]) { rs[j] = shape[d]; rst[j++] = strides[d]; }
            else { ks[i] = shape[d]; kst[i++] = strides[d]; }
        }
        Layout kept = new Layout(name, ks, new int[][] {kst}, new int[] {x.offset()});
        Layout red = new Layout(name, rs, new int[][] {rst}, new int[] {0});
        int nOut = kept.n, len = red.n;
        if (nOut == 0) return out;
        String kernel = KernelSource.reduceName(op, x.dtype());
        int local = pow2AtMost(len, reduceLocal);
        // Few outputs over many elements (a full sum): split each row into chunks so the whole
        // device works, then reduce the partials with the same kernel.
        int chunks = (int) Math.min(ceilDiv(len, 16L * local), ceilDiv(8L * computeUnits, nOut));
        if (chunks <= 1) {
            launchReduce(name, x, kernel, out, storage(x, name), kept, red, nOut, 1, local);
            return out;
        }
        NDArray partial = freshArray(acc, new int[] {nOut, chunks}, name);
        launchReduce(name, x, kernel, partial, storage(x, name), kept, red, nOut, chunks, local);
        Layout k2 = new Layout(name, new int[] {nOut}, new int[][] {{chunks}}, new int[] {0});
        Layout r2 = new Layout(name, new int[] {chunks}, new int[][] {{1}}, new int[] {0});
        launchReduce(name, x, KernelSource.reduceName(op, acc), out, storage(partial, name), k2, r2, nOut, 1,
                pow2AtMost(chunks, reduceLocal));
        ((ClStorage) partial.storage()).close();
        return out;
    }

    private void launchReduce(String name, NDArray x, String kernel, NDArray out, ClStorage in, Layout kept,
                              Layout red, int nOut, int chunks, int local) {
        launch(name, kept, kernel, involves64(x), new long[] {(long) nOut * chunks * local}, new long[] {local},
                storage(out, name), in, kept, red, chunks, new LocalMem((long) local * computeType(x.dtype()).byteSize()));
    }

    @Override
    public NDArray argReduce(ReduceOp op, NDArray x, int axis) {
        String name = "arg" + op.opName();
        int[] outShape = x.shape();
        int len = outShape[axis], stride = x.strides()[axis];
        outShape[axis] = 1;
        NDArray out = freshArray(DType.INT32, outShape, name);
        Layout kept = new Layout(name, remove(x.shape(), axis), new int[][] {remove(x.strides(), axis)}, new int[] {x.offset()});
        if (kept.n == 0) return out;
        int local = pow2AtMost(len, reduceLocal);
        launch(name, kept, KernelSource.argReduceName(op, x.dtype()), involves64(x),
                new long[] {(long) kept.n * local}, new long[] {local},
                storage(out, name), storage(x, name), kept, len, stride,
                new LocalMem((long) local * computeType(x.dtype()).byteSize()), new LocalMem(4L * local));
        return out;
    }

    @Override
    public NDArray softmax(NDArray x, int axis, boolean log) {
        String name = log ? "logSoftmax" : "softmax";
        int[] shape = x.shape();
        int len = shape[axis];
        NDArray out = freshArray(x.dtype(), shape, name);
        Layout kept = new Layout(name, remove(shape, axis), new int[][] {remove(out.strides(), axis), remove(x.strides(), axis)},
                new int[] {0, x.offset()});
        if (kept.n == 0 || len == 0) return out;
        int local = pow2AtMost(len, reduceLocal);
        launch(name, kept, KernelSource.softmaxName(x.dtype()), involves64(x), new long[] {(long) kept.n * local},
                new long[] {local}, storage(out, name), storage(x, name), kept, len, out.strides()[axis],
                x.strides()[axis], log ? 1 : 0, new LocalMem((long) local * computeType(x.dtype()).byteSize()));
        return out;
    }

    // ---- matmul ------------------------------------------------------------------------

    @Override
    public NDArray matmul(NDArray a, NDArray b) {
        int[] as = a.shape(), bs = b.shape(), ast = a.strides(), bst = b.strides();
        int nd = as.length, m = as[nd - 2], k = as[nd - 1], n = bs[nd - 1];
        int[] outShape = as.clone();
        outShape[nd - 1] = n;
        NDArray out = freshArray(a.dtype(), outShape, "matmul");
        Layout batch = new Layout("matmul", java.util.Arrays.copyOf(as, nd - 2),
                new int[][] {java.util.Arrays.copyOf(ast, nd - 2), java.util.Arrays.copyOf(bst, nd - 2)},
                new int[] {a.offset(), b.offset()});
        if (batch.n == 0 || m == 0 || n == 0) return out;
        if (batch.n > 65535)
            throw new IllegalArgumentException("opencl matmul: " + batch.n + " batch elements in " + Shapes.str(as)
                    + " x " + Shapes.str(bs) + " exceed the 65535 work-groups a device must accept along one axis");
        GemmConfig g = a.dtype() == DType.FLOAT64 ? gemm64 : gemm32;
        long[] global = {ceilDiv(n, g.tn()) * g.threadsN(), ceilDiv(m, g.tm()) * g.threadsM(), batch.n};
        long[] local = {g.threadsN(), g.threadsM(), 1};
        launch("matmul", batch, KernelSource.matmulName(a.dtype()), involves64(a), global, local,
                storage(out, "matmul"), storage(a, "matmul"), storage(b, "matmul"), m, n, k,
                ast[nd - 2], ast[nd - 1], bst[nd - 2], bst[nd - 1], batch);
        return out;
    }

    // ---- indexing ----------------------------------------------------------------------

    @Override
    public NDArray gather(NDArray x, int axis, NDArray index) {
        int[] shape = index.shape();
        NDArray out = freshArray(x.dtype(), shape, "gather");
        int[] xst = x.strides();
        int axisStride = xst[axis];
        xst[axis] = 0;
        Layout l = new Layout("gather", shape, new int[][] {out.strides(), index.strides(), xst},
                new int[] {0, index.offset(), x.offset()});
        elementwise("gather", KernelSource.gatherName(x.dtype()), involves64(x), l,
                storage(out, "gather"), storage(index, "gather"), storage(x, "gather"), l, axisStride);
        return out;
    }

    @Override
    public void scatterAdd(NDArray dst, int axis, NDArray index, NDArray src) {
        if (dst.dtype() == DType.BFLOAT16) {
            // OpenCL 1.2 has no 16-bit atomics: add into a float32 copy, round once into dst.
            NDArray acc = dst.to(DType.FLOAT32), wide = src.to(DType.FLOAT32);
            scatterAdd(acc, axis, index, wide);
            copyInto(dst, acc, false);
            ((ClStorage) acc.storage()).close();
            if (wide != src) ((ClStorage) wide.storage()).close();
            return;
        }
        if (dst.dtype() == DType.FLOAT64 && !int64Atomics)
            throw new UnsupportedOperationException("opencl scatterAdd: float64 needs cl_khr_int64_base_atomics, which "
                    + device + " (" + name + ") lacks");
        dst.storage().bumpVersion();
        int[] dst2 = dst.strides();
        int axisStride = dst2[axis];
        dst2[axis] = 0;
        Layout l = new Layout("scatterAdd", index.shape(), new int[][] {src.strides(), index.strides(), dst2},
                new int[] {src.offset(), index.offset(), dst.offset()});
        elementwise("scatterAdd", KernelSource.scatterAddName(dst.dtype()), involves64(dst, src), l,
                storage(dst, "scatterAdd"), storage(index, "scatterAdd"), storage(src, "scatterAdd"), l, axisStride);
    }

    // ---- fused kernels: bfloat16 as the CPU backend computes it, in float32, rounded once --

    @Override
    public NDArray batchNormStats(NDArray x) {
        if (x.dtype() == DType.BFLOAT16) return Backend.super.batchNormStats(widen(x)).to(DType.BFLOAT16);
        return Backend.super.batchNormStats(x);
    }

    @Override
    public NDArray batchNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        if (x.dtype() == DType.BFLOAT16)
            return Backend.super.batchNorm(widen(x), widen(weight), widen(bias), eps).to(DType.BFLOAT16);
        return Backend.super.batchNorm(x, weight, bias, eps);
    }

    @Override
    public NDArray[] batchNormBackward(NDArray x, NDArray weight, NDArray g, double eps) {
        if (x.dtype() != DType.BFLOAT16) return Backend.super.batchNormBackward(x, weight, g, eps);
        NDArray[] r = Backend.super.batchNormBackward(widen(x), widen(weight), widen(g), eps);
        for (int i = 0; i < r.length; i++) r[i] = r[i].to(DType.BFLOAT16);
        return r;
    }

    /** A bfloat16 array as a float32 copy on this device (exact). */
    private static NDArray widen(NDArray x) {
        return x.to(DType.FLOAT32);
    }

    // ---- launching ---------------------------------------------------------------------

    /** A {@code __local} buffer argument of this many bytes. */
    private record LocalMem(long bytes) {}

    /**
     * Sets the arguments and enqueues. Kernel objects hold their arguments, so setting and
     * enqueueing is one critical section. The argument array keeps every storage reachable
     * until the kernel is enqueued: otherwise the Cleaner could hand a still-needed input
     * buffer back to the pool (and to this very call's output) in between.
     */
    private void launch(String op, Layout shapeForErrors, String kernelName, boolean f64, long[] global, long[] local,
                        Object... args) {
        cl_kernel k = kernel(kernelName, f64, op);
        try {
            synchronized (this) {
                for (int i = 0; i < args.length; i++) {
                    Object a = args[i];
                    if (a instanceof ClStorage s) clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(s.mem));
                    else if (a instanceof Integer v) clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                    else if (a instanceof Layout l) clSetKernelArg(k, i, 4L * Layout.INTS, Pointer.to(l.pack()));
                    else if (a instanceof LocalMem lm) clSetKernelArg(k, i, lm.bytes(), null);
                    else throw new IllegalStateException("opencl " + op + ": unsupported kernel argument " + a);
                }
                clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, null);
            }
        } catch (CLException e) {
            throw error(op, "kernel " + kernelName + " over shape " + Shapes.str(shapeForErrors.shape)
                    + ", global " + java.util.Arrays.toString(global) + ", local " + java.util.Arrays.toString(local), e);
        } finally {
            Reference.reachabilityFence(args);
        }
    }

    private cl_kernel kernel(String kernelName, boolean f64, String op) {
        cl_kernel k = kernels.get(kernelName);
        if (k != null) return k;
        cl_program p = f64 ? doublesProgram(op) : baseProgram();
        synchronized (kernels) {
            return kernels.computeIfAbsent(kernelName, n -> clCreateKernel(p, n, null));
        }
    }

    private cl_program baseProgram() {
        cl_program p = base;
        if (p == null) {
            synchronized (this) {
                if (base == null) base = build("float/int kernels", KernelSource.base(), gemm32);
                p = base;
            }
        }
        return p;
    }

    private cl_program doublesProgram(String op) {
        if (!fp64)
            throw new UnsupportedOperationException("opencl " + op + ": float64 arrays need cl_khr_fp64, which "
                    + device + " (" + name + ") does not support; use float32 on this device");
        cl_program p = doubles;
        if (p == null) {
            synchronized (this) {
                if (doubles == null) doubles = build("float64 kernels", KernelSource.fp64(), gemm64);
                p = doubles;
            }
        }
        return p;
    }

    /** Compiles a program once per context; a failure carries the compiler's build log. */
    cl_program build(String what, String source, GemmConfig gemm) {
        cl_program p = clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
        String options = "-cl-std=CL1.2" + gemm.defines();
        try {
            clBuildProgram(p, 1, new cl_device_id[] {deviceId}, options, null, null);
        } catch (CLException e) {
            String log = buildLog(p);
            clReleaseProgram(p);
            throw new IllegalStateException("opencl: building the " + what + " for " + device + " (" + name
                    + ") failed with options '" + options + "': " + e.getMessage() + "\n--- build log ---\n" + log, e);
        }
        return p;
    }

    private String buildLog(cl_program p) {
        long[] size = new long[1];
        clGetProgramBuildInfo(p, deviceId, CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetProgramBuildInfo(p, deviceId, CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
        return new String(b, StandardCharsets.UTF_8).trim();
    }

    /** Compiles every program now (first use would otherwise pay for it): for benchmarks and tests. */
    public void warmUp() {
        baseProgram();
        if (fp64) doublesProgram("warmUp");
    }

    // ---- helpers -----------------------------------------------------------------------

    private ClStorage fresh(DType dtype, int size, String op) {
        if (dtype == DType.FLOAT64 && !fp64)
            throw new UnsupportedOperationException("opencl " + op + ": float64 arrays need cl_khr_fp64, which "
                    + device + " (" + name + ") does not support; use float32 on this device");
        return new ClStorage(this, dtype, size, pool.acquire(ClStorage.bytes(dtype, size), op));
    }

    /** The dtype a kernel of {@code t} computes and accumulates in: float32 for bfloat16. */
    private static DType computeType(DType t) {
        return t == DType.BFLOAT16 ? DType.FLOAT32 : t;
    }

    /** A contiguous output whose every element the kernel writes, so no zero fill. */
    private NDArray freshArray(DType dtype, int[] shape, String op) {
        return NDArray.wrap(fresh(dtype, Shapes.numel(shape), op), shape);
    }

    private ClStorage storage(NDArray x, String op) {
        if (x.storage() instanceof ClStorage s && s.backend() == this) {
            if (s.isClosed())
                throw new IllegalStateException("opencl " + op + ": array of shape " + Shapes.str(x.shape()) + ", " + x.dtype() + " on "
                        + device + " was used after its storage was closed (its buffer may already hold another array)");
            return s;
        }
        throw new IllegalArgumentException("opencl " + op + ": array on " + x.device() + " passed to a kernel of "
                + device + "; move it with to(Device)");
    }

    private static boolean involves64(NDArray... xs) {
        for (NDArray x : xs) if (x.dtype() == DType.FLOAT64) return true;
        return false;
    }

    private RuntimeException error(String op, String what, CLException e) {
        return new IllegalStateException("opencl " + op + " on " + device + " (" + name + "): " + what + ": " + e.getMessage(), e);
    }

    private static int[] remove(int[] a, int i) {
        int[] r = new int[a.length - 1];
        System.arraycopy(a, 0, r, 0, i);
        System.arraycopy(a, i + 1, r, i, a.length - i - 1);
        return r;
    }

    private static long roundUp(long n, long m) {
        return ceilDiv(n, m) * m;
    }

    private static long ceilDiv(long n, long m) {
        return (n + m - 1) / m;
    }

    private static int pow2AtMost(int n, int cap) {
        return Integer.highestOneBit(Math.max(1, Math.min(n, cap)));
    }

    private static String platformName(cl_platform_id p) {
        long[] size = new long[1];
        clGetPlatformInfo(p, CL_PLATFORM_NAME, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetPlatformInfo(p, CL_PLATFORM_NAME, b.length, Pointer.to(b), null);
        return cString(b);
    }

    private static String infoString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    private static long infoLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_long, Pointer.to(v), null);
        return v[0];
    }

    private static long infoInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_int, Pointer.to(v), null);
        return v[0];
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }

    private static String typeName(long type) {
        if ((type & CL_DEVICE_TYPE_GPU) != 0) return "GPU";
        if ((type & CL_DEVICE_TYPE_CPU) != 0) return "CPU";
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) return "accelerator";
        return "other";
    }
}
