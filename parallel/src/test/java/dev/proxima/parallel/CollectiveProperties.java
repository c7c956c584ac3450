package dev.proxima.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Laws every collective obeys, checked for the thread group and the TCP ring over 127.0.0.1
 * with random group sizes, lengths (including empty and shorter than the group) and values.
 */
class CollectiveProperties {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    static List<? extends Collective> group(String kind, int size) {
        return kind.equals("ring") ? RingCollective.local(size, TIMEOUT) : ThreadCollective.group(size, TIMEOUT);
    }

    /** Integers well inside float's exact range sum exactly, and every worker holds the sum. */
    @Property(tries = 25)
    void integerSumsAreExact(@ForAll @IntRange(min = 1, max = 5) int size, @ForAll @IntRange(min = 0, max = 300) int n,
                             @ForAll long seed, @ForAll("kinds") String kind) {
        float[][] inputs = new float[size][n];
        double[][] inputsD = new double[size][n];
        double[] expected = new double[n];
        Random rnd = new Random(seed);
        for (int r = 0; r < size; r++)
            for (int i = 0; i < n; i++) {
                int v = rnd.nextInt(2001) - 1000;
                inputs[r][i] = v;
                inputsD[r][i] = v * 1e6;
                expected[i] += v;
            }
        List<? extends Collective> g = group(kind, size);
        try {
            List<float[]> sums = Workers.run(g, c -> {
                float[] b = inputs[c.rank()].clone();
                c.allReduceSum(b);
                return b;
            });
            List<double[]> sumsD = Workers.run(g, c -> {
                double[] b = inputsD[c.rank()].clone();
                c.allReduceSum(b);
                return b;
            });
            for (int r = 0; r < size; r++)
                for (int i = 0; i < n; i++) {
                    assertEquals(expected[i], sums.get(r)[i], 0.0, () -> kind + ": float sum differs");
                    assertEquals(expected[i] * 1e6, sumsD.get(r)[i], 0.0, () -> kind + ": double sum differs");
                }
        } finally {
            g.forEach(Collective::close);
        }
    }

    /**
     * Values of mixed magnitude, where the order of summation shows in the last bits: every
     * worker holds the same bits, a rerun gives the same bits, threads and ring agree, and the
     * bits are those of the documented order (chunk c summed from rank c on).
     */
    @Property(tries = 12)
    void sumsAreBitIdenticalAcrossWorkersRunsAndTransports(@ForAll @IntRange(min = 2, max = 5) int size,
                                                           @ForAll @IntRange(min = 1, max = 2000) int n, @ForAll long seed) {
        float[][] inputs = new float[size][n];
        Random rnd = new Random(seed);
        for (int r = 0; r < size; r++)
            for (int i = 0; i < n; i++) inputs[r][i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
        float[] expected = new float[n];
        for (int c = 0; c < size; c++)
            for (int i = Chunks.start(n, size, c); i < Chunks.end(n, size, c); i++) {
                float acc = inputs[c][i];
                for (int k = 1; k < size; k++) acc += inputs[(c + k) % size][i];
                expected[i] = acc;
            }
        List<float[]> results = new ArrayList<>();
        for (String kind : List.of("thread", "ring", "ring", "thread")) {
            List<? extends Collective> g = group(kind, size);
            try {
                results.addAll(Workers.run(g, c -> {
                    float[] b = inputs[c.rank()].clone();
                    c.allReduceSum(b);
                    return b;
                }));
            } finally {
                g.forEach(Collective::close);
            }
        }
        for (float[] r : results) assertArrayEquals(bits(expected), bits(r));
    }

    /** Broadcast copies the root's buffer bit for bit; a barrier and later calls still line up. */
    @Property(tries = 12)
    void broadcastCopiesTheRoot(@ForAll @IntRange(min = 1, max = 5) int size, @ForAll @IntRange(min = 0, max = 500) int n,
                                @ForAll long seed, @ForAll("kinds") String kind) {
        Random rnd = new Random(seed);
        int root = rnd.nextInt(size);
        double[][] inputs = new double[size][n];
        for (int r = 0; r < size; r++) for (int i = 0; i < n; i++) inputs[r][i] = rnd.nextGaussian();
        List<? extends Collective> g = group(kind, size);
        try {
            List<double[]> got = Workers.run(g, c -> {
                double[] b = inputs[c.rank()].clone();
                c.barrier();
                c.broadcast(b, root);
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float) inputs[c.rank()][i];
                c.broadcast(f, root);
                c.barrier();
                for (int i = 0; i < n; i++) assertEquals((float) inputs[root][i], f[i], 0f);
                return b;
            });
            for (double[] b : got) assertArrayEquals(inputs[root], b, 0.0);
        } finally {
            g.forEach(Collective::close);
        }
    }

    /**
     * Buffers of many segments (the ring streams 256 KiB at a time, and a read may end inside
     * an element): integer sums stay exact, and a broadcast relayed through middle ranks arrives whole.
     */
    @Property(tries = 4)
    void largeBuffersStreamExactly(@ForAll @IntRange(min = 2, max = 3) int size, @ForAll @IntRange(min = 150_000, max = 400_000) int n,
                                   @ForAll long seed) {
        Random rnd = new Random(seed);
        int[][] ints = new int[size][n];
        for (int[] row : ints) for (int i = 0; i < n; i++) row[i] = rnd.nextInt(1 << 20) - (1 << 19);
        List<RingCollective> g = RingCollective.local(size, TIMEOUT);
        try {
            List<Object[]> got = Workers.run(g, c -> {
                float[] f = new float[n];
                double[] d = new double[n];
                for (int i = 0; i < n; i++) {
                    f[i] = ints[c.rank()][i];
                    d[i] = ints[c.rank()][i];
                }
                c.allReduceSum(f);
                c.allReduceSum(d);
                double[] b = new double[n];
                if (c.rank() == 0) for (int i = 0; i < n; i++) b[i] = ints[0][i] * 0.5;
                c.broadcast(b, 0);
                return new Object[] {f, d, b};
            });
            for (Object[] r : got) {
                float[] f = (float[]) r[0];
                double[] d = (double[]) r[1], b = (double[]) r[2];
                for (int i = 0; i < n; i++) {
                    long sum = 0;
                    for (int[] row : ints) sum += row[i];
                    assertEquals(sum, f[i], 0.0);
                    assertEquals(sum, d[i], 0.0);
                    assertEquals(ints[0][i] * 0.5, b[i], 0.0);
                }
            }
        } finally {
            g.forEach(Collective::close);
        }
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> kinds() {
        return net.jqwik.api.Arbitraries.of("thread", "ring");
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }
}
