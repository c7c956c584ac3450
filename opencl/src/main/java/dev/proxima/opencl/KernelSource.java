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
 * float, bfloat16 and int, {@link #fp64()} every kernel that touches double. The second is
 * built only when a float64 array first meets the device, and only where the device has
 * cl_khr_fp64. One program per element family (rather than one per kernel) keeps the
 * compiler's fixed cost, which dominates on PoCL, to one build.
 *
 * <p>Each template is written once for every element type, through four #defines that
 * {@link #emit} sets: {@code T} is the type kernels compute in, {@code TMEM} the type an
 * element is stored as, {@code TLOAD(v)} and {@code TSTORE(v)} convert between them (and
 * {@code TLOAD4}, {@code TSTORE4} four at a time). For float, double and int they are the
 * identity; bfloat16 is stored as {@code ushort}, widened by a shift into float, and rounded
 * once to nearest even when stored ({@code bf16_*} in common.cl, the CPU's rule), so its
 * kernels are the float ones reading and writing half the bytes.
 */
final class KernelSource {
    private KernelSource() {}

    /** OpenCL C type an element of a dtype is stored as (bfloat16: its bits, a ushort). */
    static String ctype(DType t) {
        return switch (t) {
            case FLOAT32 -> "float";
            case FLOAT64 -> "double";
            case INT32 -> "int";
            case BFLOAT16 -> "ushort";
        };
    }

    /** OpenCL C type the kernels of a dtype compute in: bfloat16 computes in float. */
    static String computeType(DType t) {
        return t == DType.BFLOAT16 ? "float" : ctype(t);
    }

    /** The dtype's part of a kernel name. */
    static String tag(DType t) {
        return t == DType.BFLOAT16 ? "bfloat16" : ctype(t);
    }

    static String unaryName(UnaryOp op, DType t) { return "unary_" + op.opName() + "_" + tag(t); }
    static String binaryName(BinaryOp op, DType t) { return "binary_" + op.opName() + "_" + tag(t); }
    /** Reads {@code t}, writes its compute type (a bfloat16 sum stays float until the host rounds it). */
    static String reduceName(ReduceOp op, DType t) { return "reduce_" + op.opName() + "_" + tag(t); }
    static String argReduceName(ReduceOp op, DType t) { return "argreduce_" + op.opName() + "_" + tag(t); }
    static String whereName(DType t, DType cond) { return "where_" + tag(t) + "_" + tag(cond); }
    static String copyName(DType dst, DType src) { return "copy_" + tag(dst) + "_" + tag(src); }
    static String softmaxName(DType t) { return "softmax_" + tag(t); }
    static String matmulName(DType t) { return "matmul_" + tag(t); }
    static String gatherName(DType t) { return "gather_" + tag(t); }
    static String scatterAddName(DType t) { return "scatter_add_" + tag(t); }

    /** Float, bfloat16 and int kernels. */
    static String base() {
        StringBuilder sb = new StringBuilder(resource("common.cl"));
        sb.append(resource("atomics_float.cl"));
        sb.append("DEFINE_ACC_INT(float)\n");
        floating(sb, DType.FLOAT32);
        floating(sb, DType.BFLOAT16);
        DType[] kinds = {DType.FLOAT32, DType.BFLOAT16, DType.INT32};
        for (DType t : new DType[] {DType.FLOAT32, DType.BFLOAT16})
            for (DType c : kinds) where(sb, t, c);
        for (DType d : kinds)
            for (DType s : kinds) copy(sb, d, s);
        indexing(sb, DType.INT32);
        return sb.toString();
    }

    /** Every kernel that reads or writes double. */
    static String fp64() {
        StringBuilder sb = new StringBuilder("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n");
        sb.append(resource("common.cl"));
        sb.append(resource("atomics_double.cl"));
        sb.append(resource("bfloat16_double.cl"));
        sb.append("DEFINE_ACC_INT(double)\n");
        floating(sb, DType.FLOAT64);
        DType[] kinds = {DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.BFLOAT16};
        for (DType c : kinds) where(sb, DType.FLOAT64, c);
        where(sb, DType.FLOAT32, DType.FLOAT64);
        where(sb, DType.BFLOAT16, DType.FLOAT64);
        for (DType d : kinds)
            for (DType s : kinds)
                if (d == DType.FLOAT64 || s == DType.FLOAT64) copy(sb, d, s);
        return sb.toString();
    }

    /**
     * The float kernels of {@code t}. bfloat16 has no scatter-add kernel (OpenCL 1.2 has no
     * 16-bit atomics): the host adds into a float copy and rounds once (OpenClBackend).
     */
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
        if (t == DType.BFLOAT16) emit(sb, "gather.cl", t, Map.of());
        else indexing(sb, t);
    }

    private static void indexing(StringBuilder sb, DType t) {
        emit(sb, "gather.cl", t, Map.of());
        emit(sb, "scatter_add.cl", t, Map.of("$ATOMIC_ADD", "atomic_add_" + ctype(t)));
    }

    private static void where(StringBuilder sb, DType t, DType cond) {
        sb.append("#define C ").append(ctype(cond)).append('\n');
        sb.append("#define CLOAD(v) ").append(cond == DType.BFLOAT16 ? "bf16_to_float(v)" : "(v)").append('\n');
        emit(sb, "where.cl", t, Map.of("$C", tag(cond)));
        sb.append("#undef C\n#undef CLOAD\n");
    }

    private static void copy(StringBuilder sb, DType d, DType s) {
        String dc = ctype(d), sc = ctype(s);
        String w = s == DType.BFLOAT16 ? "bf16_to_float(v)" : "v"; // the source value, widened
        String convert;
        if (d == s) convert = "v"; // bits move unchanged (a bfloat16 NaN's payload too)
        else if (d == DType.BFLOAT16) convert = "bf16_from_" + sc + "(v)"; // rounded once
        // Java's (int) cast of a float: toward zero, saturating, NaN -> 0. The spec gives NaN -> 0
        // for _sat conversions too, but NVIDIA's returns INT_MIN, so NaN is tested first.
        else if (d == DType.INT32) convert = "(isnan(" + w + ") ? 0 : convert_int_sat_rtz(" + w + "))";
        else convert = "(" + dc + ") " + w;
        String sum;
        if (d == DType.INT32 && s == DType.INT32) sum = "dst[o[0]] + v";
        else if (d == DType.INT32) sum = "acc_int_" + computeType(s) + "(dst[o[0]], " + w + ")";
        else if (d == DType.FLOAT32 && s == DType.FLOAT64) sum = "(float) ((double) dst[o[0]] + v)"; // sum in double, as the CPU
        // Into bfloat16 the CPU sums in double and rounds once: so does double; float and bfloat16
        // sources give the same bits through bf16_sum; int is exact to 2^24 (then rounded twice).
        else if (d == DType.BFLOAT16 && s == DType.FLOAT64) sum = "bf16_from_double((double) bf16_to_float(dst[o[0]]) + v)";
        else if (d == DType.BFLOAT16) sum = "bf16_sum(bf16_to_float(dst[o[0]]), (float) " + w + ")";
        else sum = "dst[o[0]] + (" + dc + ") " + w;
        sb.append("#define D ").append(dc).append("\n#define S ").append(sc).append('\n');
        sb.append(substitute(resource("copy.cl"), Map.of("$D", tag(d), "$S", tag(s), "$CONVERT", "(" + convert + ")",
                "$ACCUMULATE", "(" + sum + ")")));
        sb.append("#undef D\n#undef S\n");
    }

    private static String literal(double v) {
        if (v == Double.POSITIVE_INFINITY) return "INFINITY";
        if (v == Double.NEGATIVE_INFINITY) return "(-INFINITY)";
        return "(T) " + v;
    }

    /** One template for dtype {@code t}: {@code $T} in names is its tag; the #defines are in the class comment. */
    private static void emit(StringBuilder sb, String template, DType t, Map<String, String> vars) {
        Map<String, String> all = new LinkedHashMap<>(vars);
        all.put("$T", tag(t));
        boolean bf16 = t == DType.BFLOAT16;
        sb.append("#define T ").append(computeType(t)).append("\n#define TMEM ").append(ctype(t)).append('\n')
                .append(bf16 ? "#define TLOAD(v) bf16_to_float(v)\n#define TSTORE(v) bf16_from_float(v)\n"
                        + "#define TLOAD4(p) bf16_to_float4(vload4(0, p))\n#define TSTORE4(v, p) vstore4(bf16_from_float4(v), 0, p)\n"
                        : "#define TLOAD(v) (v)\n#define TSTORE(v) (v)\n#define TLOAD4(p) vload4(0, p)\n#define TSTORE4(v, p) vstore4(v, 0, p)\n");
        sb.append(substitute(resource(template), all));
        sb.append("#undef T\n#undef TMEM\n#undef TLOAD\n#undef TSTORE\n#undef TLOAD4\n#undef TSTORE4\n");
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
