package dev.proxima.autograd;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.List;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

class ParamsTest {

    private static Params tree(Rng rng, int a, int b) {
        return Params.of("layer.weight", Tensor.randn(rng, DType.FLOAT64, a, b), "layer.bias", Tensor.randn(rng, DType.FLOAT64, a));
    }

    private static double[] flat(Params p) {
        return p.values().stream().flatMapToDouble(t -> java.util.Arrays.stream(t.toDoubleArray())).toArray();
    }

    @Property(tries = 50)
    void arithmeticMatchesFlatVectors(@ForAll @IntRange(min = 1, max = 5) int a, @ForAll @IntRange(min = 1, max = 5) int b,
                                      @ForAll @IntRange(min = 0, max = 10_000) int seed) {
        Rng rng = new Rng(seed);
        Params x = tree(rng, a, b), y = tree(rng, a, b);
        double[] fx = flat(x), fy = flat(y), sum = flat(x.add(y)), diff = flat(x.sub(y)), sc = flat(x.scale(-1.5));
        double dot = 0, nn = 0;
        for (int i = 0; i < fx.length; i++) {
            assertEquals(fx[i] + fy[i], sum[i], 1e-12);
            assertEquals(fx[i] - fy[i], diff[i], 1e-12);
            assertEquals(-1.5 * fx[i], sc[i], 1e-12);
            dot += fx[i] * fy[i];
            nn += fx[i] * fx[i];
        }
        assertEquals(dot, x.dot(y).item(), 1e-9);
        assertEquals(Math.sqrt(nn), x.norm().item(), 1e-9);
        assertEquals(fx.length, x.numel());
        assertEquals(List.of("layer.weight", "layer.bias"), List.copyOf(x.add(y).names()));
    }

    @Example
    void gradReturnsATreeOfTheSameStructure() {
        Rng rng = new Rng(3);
        Params p = tree(rng, 3, 2).requiresGrad();
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 5, 2);
        Tensor loss = x.matmul(p.get("layer.weight").mT()).add(p.get("layer.bias")).square().sum();
        Params g = Autograd.grad(loss, p);
        assertTrue(p.congruent(g));
        // d/db sum((xW^T + b)^2) = 2 * sum over rows of (xW^T + b)
        Tensor expectB = x.matmul(p.get("layer.weight").mT()).add(p.get("layer.bias")).sum(0).mul(2);
        assertArrayEquals(expectB.toDoubleArray(), g.get("layer.bias").toDoubleArray(), 1e-10);
    }

    @Example
    void differentiableScaleCarriesTheGraph() {
        Rng rng = new Rng(4);
        Params p = tree(rng, 2, 2);
        Tensor lr = Tensor.scalar(0.5).to(DType.FLOAT64).requiresGrad(true);
        Tensor f = p.scale(lr).squaredNorm(); // lr^2 * |p|^2
        assertEquals(2 * 0.5 * p.squaredNorm().item(), Autograd.grad(f, lr).item(), 1e-10);
    }

    @Example
    void mismatchesAreNamed() {
        Rng rng = new Rng(5);
        Params a = tree(rng, 2, 3), b = tree(rng, 2, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertTrue(e.getMessage().contains("layer.weight") && e.getMessage().contains("[2, 3]"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> a.get("nope"));
        assertTrue(e2.getMessage().contains("layer.bias"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Params.of("w", Tensor.scalar(1), "w", Tensor.scalar(2)));
    }

    @Example
    void subtreeAndPrefixAreInverse() {
        Rng rng = new Rng(6);
        Params p = tree(rng, 2, 2);
        Params q = p.prefixed("enc");
        assertEquals(List.of("enc.layer.weight", "enc.layer.bias"), List.copyOf(q.names()));
        assertEquals(List.copyOf(p.names()), List.copyOf(q.subtree("enc").names()));
        assertSame(p.get("layer.bias"), q.subtree("enc").get("layer.bias"));
    }
}
