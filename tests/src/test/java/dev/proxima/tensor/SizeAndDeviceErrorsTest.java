package dev.proxima.tensor;

import static dev.proxima.tensor.ErrorMessagesTest.fails;
import static dev.proxima.tensor.ErrorMessagesTest.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Assumptions;

/**
 * Results too large for a Java array or for the heap, and operands on different devices: the
 * error names the op and every operand's shape, not the kernel's allocation.
 */
class SizeAndDeviceErrorsTest {

    /** Two small shapes whose broadcast has more than 2^31-1 elements: [r, 1] and [c] with r * c past it. */
    record Pair(int[] a, int[] b) {}

    @Provide
    Arbitrary<Pair> hugeBroadcasts() {
        return Combinators.combine(Arbitraries.integers().between(46341, 200_000), Arbitraries.integers().between(1, 3))
                .as((r, lead) -> {
                    int c = (int) (Integer.MAX_VALUE / r) + 1 + lead;
                    int[] a = lead == 1 ? new int[] {r, 1} : new int[] {1, r, 1};
                    return new Pair(a, new int[] {c});
                });
    }

    @Property(tries = 20)
    void broadcastResultsPastIntRangeNameTheOpAndBothOperands(@ForAll("hugeBroadcasts") Pair p) {
        // Stride-0 views: the operands cost nothing, only the result would.
        NDArray a = NDArray.scalar(1).expand(p.a()), b = NDArray.scalar(2).expand(p.b());
        for (BinaryOp op : BinaryOp.values())
            fails(IllegalArgumentException.class, () -> a.zip(op, b), op.opName() + ": shapes " + str(p.a()) + " and " + str(p.b()),
                    "broadcast to", "2^31-1");
        fails(IllegalArgumentException.class, () -> Tensor.of(a).add(Tensor.of(b)), "add: shapes " + str(p.a()) + " and " + str(p.b()));
        fails(IllegalArgumentException.class, () -> NDArray.where(a, a, b), "where", str(p.a()), str(p.b()));
    }

    @Property(tries = 20)
    void matmulResultsPastIntRangeNameMatmulAndItsOperands(@ForAll("hugeBroadcasts") Pair p) {
        int m = p.a()[p.a().length - 2], n = p.b()[0];
        NDArray a = NDArray.scalar(1).expand(m, 2), b = NDArray.scalar(1).expand(2, n);
        fails(IllegalArgumentException.class, () -> a.matmul(b), "matmul: " + str(m, 2) + " x " + str(2, n),
                "result's shape " + str(m, n), "2^31-1");
    }

    @Example
    void matmulResultsPastTheHeapNameMatmulAndItsOperands() {
        // 40000 x 40000 float64 is 12.8 GB: within int range, past any test heap.
        NDArray a = NDArray.scalar(1, DType.FLOAT64, Device.cpu()).expand(40000, 3), b = NDArray.scalar(1, DType.FLOAT64, Device.cpu()).expand(3, 40000);
        Assumptions.assumeTrue(Runtime.getRuntime().maxMemory() < 12_800_000_000L);
        fails(IllegalArgumentException.class, () -> a.matmul(b), "matmul: [40000, 3] x [3, 40000]: the result", "float64", "[40000, 40000]",
                "12800000000 bytes", "-Xmx");
    }

    @Example
    void conv2dOnTwoDevicesNamesConv2dTheInputAndTheWeight() {
        Device other;
        try {
            other = Device.opencl();
            other.backend();
        } catch (RuntimeException | LinkageError e) {
            Assumptions.abort("no OpenCL device: " + e.getMessage());
            return;
        }
        Tensor x = Tensor.zeros(1, 2, 5, 5), w = Tensor.zeros(3, 2, 3, 3).to(other);
        fails(IllegalArgumentException.class, () -> Tensor.conv2d(x, w, Conv2dSpec.of(1, 0)),
                "conv2d: input [1, 2, 5, 5] is on cpu and weight [3, 2, 3, 3] on " + other);
    }

    /**
     * A request below -Xmx that the heap cannot hold next to what is live: the OutOfMemoryError
     * names the op, dtype, shape, bytes and the heap figures. In a fresh JVM with a 256 MB heap,
     * holding 160 MB, asking for 120 MB.
     */
    @Example
    void anAllocationTheHeapCannotHoldSaysWhatWasAskedAndWhatTheHeapHas() throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Exhaust.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        for (String part : List.of("zeros: out of heap allocating a float32 array of shape [30000000] (120000000 bytes)",
                "bytes maximum", "in use", "-Xmx"))
            assertTrue(out.contains(part), "'" + out + "' should mention '" + part + "'");
    }

    static final class Exhaust {
        static byte[] held;

        public static void main(String[] args) throws IOException {
            held = new byte[160 << 20];
            try {
                NDArray.zeros(DType.FLOAT32, 30_000_000);
                System.out.println("allocated: no error");
            } catch (OutOfMemoryError e) {
                System.out.println(e.getMessage());
            }
        }
    }
}
