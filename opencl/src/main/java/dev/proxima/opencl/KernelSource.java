package dev.proxima.opencl;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the OpenCL C source of a program from the {@code .cl} templates beside this class.
 * The elementwise and reduction kernels are generated from {@link UnaryOp#openclExpression()},
 * {@link BinaryOp#openclExpression()} and {@link ReduceOp#openclCombine()}, one kernel per op
 * and element type, so a new op constant needs no edit here.
 *
 * <p>There are two programs per context: {@link #base()} holds every kernel that touches only
 * float and int, {@link #fp64()} every kernel that touches double. The second is built only
 * when a float64 array first meets the device, and only where the device has cl_khr_fp64.
 * One program per element family (rather than one per kernel) keeps the compiler's fixed
 * cost, which dominates on PoCL, to one build.
 */
final class KernelSource {
    private KernelSource() {}

    /** OpenCL C type of a dtype. */
    static String ctype(DType t) {
        return switch (t) {
            case FLOAT32 -> "float";
            case FLOAT64 -> "double";
            case INT32 -> "int";
            case BFLOAT16 -> throw OpenClBackend.noBFloat16("kernel");
        };
    }

    static String unaryName(UnaryOp op, DType t) { return "unary_" + op.opName() + "_" + ctype(t); }
    static String binaryName(BinaryOp op, DType t) { return "binary_" + op.opName() + "_" + ctype(t); }
    static String reduceName(ReduceOp op, DType t) { return "reduce_" + op.opName() + "_" + ctype(t); }
    static String argReduceName(ReduceOp op, DType t) { return "argreduce_" + op.opName() + "_" + ctype(t); }
    static String whereName(DType t, DType cond) { return "where_" + ctype(t) + "_" + ctype(cond); }
    static String copyName(DType dst, DType src) { return "copy_" + ctype(dst) + "_" + ctype(src); }
    static String softmaxName(DType t) { return "softmax_" + ctype(t); }
    static String matmulName(DType t) { return "matmul_" + ctype(t); }
    static String gatherName(DType t) { return "gather_" + ctype(t); }
    static String scatterAddName(DType t) { return "scatter_add_" + ctype(t); }

    /** Float and int kernels. */
    static String base() {
        StringBuilder sb = new StringBuilder(resource("common.cl"));
        sb.append(resource("atomics_float.cl"));
        sb.append("DEFINE_ACC_INT(float)\n");
        floating(sb, DType.FLOAT32);
        for (DType c : new DType[] {DType.FLOAT32, DType.INT32}) where(sb, DType.FLOAT32, c);
        for (DType d : new DType[] {DType.FLOAT32, DType.INT32})
            for (DType s : new DType[] {DType.FLOAT32, DType.INT32}) copy(sb, d, s);
        indexing(sb, DType.INT32);
        return sb.toString();
    }

    /** Every kernel that reads or writes double. */
    static String fp64() {
        StringBuilder sb = new StringBuilder("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n");
        sb.append(resource("common.cl"));
        sb.append(resource("atomics_double.cl"));
        sb.append("DEFINE_ACC_INT(double)\n");
        floating(sb, DType.FLOAT64);
        DType[] kinds = {DType.FLOAT32, DType.FLOAT64, DType.INT32}; // no bfloat16 kernels on OpenCL yet
        for (DType c : kinds) where(sb, DType.FLOAT64, c);
        where(sb, DType.FLOAT32, DType.FLOAT64);
        for (DType d : kinds)
            for (DType s : kinds)
                if (d == DType.FLOAT64 || s == DType.FLOAT64) copy(sb, d, s);
        return sb.toString();
    }

    private static void floating(StringBuilder sb, DType t) {
        for (UnaryOp op : UnaryOp.values())
            emit(sb, "unary.cl", t, Map.of("$NAME", op.opName(), "$EXPR", "(" + op.openclExpression() + ")"));
        for (BinaryOp op : BinaryOp.values())
            emit(sb, "binary.cl", t, Map.of("$NAME", op.opName(), "$EXPR", "(" + op.openclExpression() + ")"));
        for (ReduceOp op : ReduceOp.values())
            emit(sb, "reduce.cl", t, Map.of("$NAME", op.opName(), "$COMBINE", "(" + op.openclCombine() + ")",
                    "$IDENTITY", literal(op.identity())));
        emit(sb, "argreduce.cl", t, Map.of("$NAME", "max", "$BETTER", "(v > bv)"));
        emit(sb, "argreduce.cl", t, Map.of("$NAME", "min", "$BETTER", "(v < bv)"));
        emit(sb, "softmax.cl", t, Map.of());
        emit(sb, "matmul.cl", t, Map.of());
        indexing(sb, t);
    }

    private static void indexing(StringBuilder sb, DType t) {
        emit(sb, "gather.cl", t, Map.of());
        emit(sb, "scatter_add.cl", t, Map.of("$ATOMIC_ADD", "atomic_add_" + ctype(t)));
    }

    private static void where(StringBuilder sb, DType t, DType cond) {
        sb.append("#define C ").append(ctype(cond)).append('\n');
        emit(sb, "where.cl", t, Map.of("$C", ctype(cond)));
        sb.append("#undef C\n");
    }

    private static void copy(StringBuilder sb, DType d, DType s) {
        String dc = ctype(d), sc = ctype(s);
        // Java's (int) cast of a float: toward zero, saturating, NaN -> 0. The spec gives NaN -> 0
        // for _sat conversions too, but NVIDIA's returns INT_MIN, so NaN is tested first.
        String convert = d == s ? "v" : d == DType.INT32 ? "(isnan(v) ? 0 : convert_int_sat_rtz(v))" : "(" + dc + ") v";
        String sum;
        if (d == DType.INT32 && s == DType.INT32) sum = "dst[o[0]] + v";
        else if (d == DType.INT32) sum = "acc_int_" + sc + "(dst[o[0]], v)";
        else if (d == DType.FLOAT32 && s == DType.FLOAT64) sum = "(float) ((double) dst[o[0]] + v)"; // sum in double, as the CPU
        else sum = "dst[o[0]] + (" + dc + ") v";
        sb.append("#define D ").append(dc).append("\n#define S ").append(sc).append('\n');
        sb.append(substitute(resource("copy.cl"), Map.of("$D", dc, "$S", sc, "$CONVERT", "(" + convert + ")",
                "$ACCUMULATE", "(" + sum + ")")));
        sb.append("#undef D\n#undef S\n");
    }

    private static String literal(double v) {
        if (v == Double.POSITIVE_INFINITY) return "INFINITY";
        if (v == Double.NEGATIVE_INFINITY) return "(-INFINITY)";
        return "(T) " + v;
    }

    private static void emit(StringBuilder sb, String template, DType t, Map<String, String> vars) {
        Map<String, String> all = new LinkedHashMap<>(vars);
        all.put("$T", ctype(t));
        sb.append("#define T ").append(ctype(t)).append('\n');
        sb.append(substitute(resource(template), all));
        sb.append("#undef T\n");
    }

    /** Replaces placeholders, longest first, so that {@code $C} does not eat {@code $COMBINE}. */
    static String substitute(String text, Map<String, String> vars) {
        String r = text;
        for (String k : vars.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed()).toList())
            r = r.replace(k, vars.get(k));
        return r;
    }

    private static final Map<String, String> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    static String resource(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            try (InputStream in = KernelSource.class.getResourceAsStream(n)) {
                if (in == null) throw new IllegalStateException("opencl: kernel resource " + n + " missing from the jar");
                return new String(in.readAllBytes(), StandardCharsets.UTF_8) + "\n";
            } catch (IOException e) {
                throw new UncheckedIOException("opencl: reading kernel resource " + n, e);
            }
        });
    }
}
