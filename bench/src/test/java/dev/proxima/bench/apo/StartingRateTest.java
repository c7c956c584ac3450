package dev.proxima.bench.apo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The starting-rate claim on a problem where the answer is known: on the noisy quadratic
 * J_B(θ) = h/2·‖θ − c_B‖² the proximal objective is minimized by η* = 1/(h + λ_WSD) on every
 * batch; APO-LR started ×100 apart (η* ÷ 10 and 10·η*) ends at the same rate.
 */
class StartingRateTest {
    static double learnedRate(double start, double h, double lambdaWsd) {
        Rng rng = new Rng(21);
        int p = 10;
        BiFunction<Params, Tensor, Tensor> model = (q, centre) -> q.get("theta").sub(centre);
        BiFunction<Tensor, Tensor, Tensor> loss = (residual, unused) -> residual.square().sum().mul(h / 2);
        ApoConfig config = ApoConfig.builder().metaInterval(1).lambdaFsd(0).lambdaWsd(lambdaWsd).initialLr(start).build();
        Apo<Sgd.State> apo = new Apo<>(ApoLr.over(Sgd.builder().lr(1).build(), config), model, loss, Params.of("theta", Tensor.randn(rng, DType.FLOAT64, p)),
                config);
        double logSum = 0;
        int n = 0;
        for (int t = 0; t < 600; t++) {
            Tensor centre = Tensor.randn(rng, DType.FLOAT64, p);
            apo.step(centre, centre, centre);
            if (t >= 500) {
                logSum += Math.log(apo.learningRates().get("global"));
                n++;
            }
        }
        return Math.exp(logSum / n);
    }

    @Test
    void startsAHundredTimesApartEndAtTheSameRate() {
        double h = 1, lambdaWsd = 9, best = 1 / (h + lambdaWsd);
        double low = learnedRate(best / 10, h, lambdaWsd), high = learnedRate(best * 10, h, lambdaWsd);
        assertEquals(best, low, 0.2 * best, "from η*/10");
        assertEquals(best, high, 0.2 * best, "from 10·η*");
        assertEquals(1, high / low, 0.2, "the two ends");
    }
}
