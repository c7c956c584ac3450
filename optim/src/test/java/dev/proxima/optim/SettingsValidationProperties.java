package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.optim.apo.ApoConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Every setting of every optimizer and of APO rejects bad values at construction, with an
 * error that names the optimizer, the setting and the value (issue 21), and accepts the
 * edges of its range (so the checks are not stricter than PyTorch's where PyTorch has one:
 * a learning rate or eps of 0 is allowed). Exhaustive over every (setting, value) pair.
 */
class SettingsValidationProperties {

    /** The range a setting accepts; each kind has its own bad values and accepted edges. */
    enum Kind {
        /** finite and >= 0: learning rates (0 allowed, as PyTorch), weight decay, momentum, eps. */
        NON_NEGATIVE(new double[] {-1e-3, -0.1, -1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, new double[] {0, 0.5, 3}),
        /** [0, 1): betas, alpha, statDecay, precondMomentum. */
        FRACTION(new double[] {-0.1, 1, 1.5, Double.NaN, Double.POSITIVE_INFINITY}, new double[] {0, 0.5, 0.999}),
        /** [0, 1]: SGD's dampening. */
        CLOSED_FRACTION(new double[] {-0.1, 1.0000001, 2, Double.NaN}, new double[] {0, 0.5, 1}),
        /** finite and > 0: damping, clipping norm, APO's starting rate and meta eps. */
        POSITIVE(new double[] {0, -1e-8, -1, Double.NaN, Double.POSITIVE_INFINITY}, new double[] {1e-12, 1, 100});

        final double[] bad, good;

        Kind(double[] bad, double[] good) {
            this.bad = bad;
            this.good = good;
        }
    }

    /** One setting: who owns it, its name in the error, and a construction with a value. */
    record Setting(String owner, String name, Kind kind, DoubleFunction<Object> build) {
        @Override public String toString() { return owner + "." + name; }
    }

    static List<Setting> settings() {
        List<Setting> s = new ArrayList<>();
        // Sgd (learning rate required; nesterov off so momentum and dampening are free)
        s.add(new Setting("Sgd", "learning rate", Kind.NON_NEGATIVE, v -> Sgd.builder().lr(v).build()));
        s.add(new Setting("Sgd", "momentum", Kind.NON_NEGATIVE, v -> Sgd.builder().lr(0.1).momentum(v).build()));
        s.add(new Setting("Sgd", "dampening", Kind.CLOSED_FRACTION, v -> Sgd.builder().lr(0.1).momentum(0.9).dampening(v).build()));
        s.add(new Setting("Sgd", "weight decay", Kind.NON_NEGATIVE, v -> Sgd.builder().lr(0.1).weightDecay(v).build()));
        for (boolean w : new boolean[] {false, true}) {
            String owner = w ? "AdamW" : "Adam";
            java.util.function.Supplier<Adam.Builder> b = () -> w ? AdamW.builder() : Adam.builder();
            s.add(new Setting(owner, "learning rate", Kind.NON_NEGATIVE, v -> b.get().lr(v).build()));
            s.add(new Setting(owner, "beta1", Kind.FRACTION, v -> b.get().beta1(v).build()));
            s.add(new Setting(owner, "beta2", Kind.FRACTION, v -> b.get().beta2(v).build()));
            s.add(new Setting(owner, "eps", Kind.NON_NEGATIVE, v -> b.get().eps(v).build()));
            s.add(new Setting(owner, "epsRoot", Kind.NON_NEGATIVE, v -> b.get().epsRoot(v).build()));
            s.add(new Setting(owner, "weight decay", Kind.NON_NEGATIVE, v -> b.get().weightDecay(v).build()));
        }
        s.add(new Setting("RmsProp", "learning rate", Kind.NON_NEGATIVE, v -> RmsProp.builder().lr(v).build()));
        s.add(new Setting("RmsProp", "alpha", Kind.FRACTION, v -> RmsProp.builder().alpha(v).build()));
        s.add(new Setting("RmsProp", "eps", Kind.NON_NEGATIVE, v -> RmsProp.builder().eps(v).build()));
        s.add(new Setting("RmsProp", "momentum", Kind.NON_NEGATIVE, v -> RmsProp.builder().momentum(v).build()));
        s.add(new Setting("RmsProp", "weight decay", Kind.NON_NEGATIVE, v -> RmsProp.builder().weightDecay(v).build()));
        s.add(new Setting("Adagrad", "learning rate", Kind.NON_NEGATIVE, v -> Adagrad.builder().lr(v).build()));
        s.add(new Setting("Adagrad", "lrDecay", Kind.NON_NEGATIVE, v -> Adagrad.builder().lrDecay(v).build()));
        s.add(new Setting("Adagrad", "eps", Kind.NON_NEGATIVE, v -> Adagrad.builder().eps(v).build()));
        s.add(new Setting("Adagrad", "initialAccumulatorValue", Kind.NON_NEGATIVE, v -> Adagrad.builder().initialAccumulatorValue(v).build()));
        s.add(new Setting("Adagrad", "weight decay", Kind.NON_NEGATIVE, v -> Adagrad.builder().weightDecay(v).build()));
        s.add(new Setting("Kfac", "learning rate", Kind.NON_NEGATIVE, v -> Kfac.builder().lr(v).build()));
        s.add(new Setting("Kfac", "momentum", Kind.NON_NEGATIVE, v -> Kfac.builder().momentum(v).build()));
        s.add(new Setting("Kfac", "weight decay", Kind.NON_NEGATIVE, v -> Kfac.builder().weightDecay(v).build()));
        s.add(new Setting("Kfac", "damping", Kind.POSITIVE, v -> Kfac.builder().damping(v).build()));
        s.add(new Setting("Kfac", "statDecay", Kind.FRACTION, v -> Kfac.builder().statDecay(v).build()));
        s.add(new Setting("Kfac", "klClip", Kind.NON_NEGATIVE, v -> Kfac.builder().klClip(v).build()));
        s.add(new Setting("WeightDecay", "rate", Kind.NON_NEGATIVE, WeightDecay::of));
        s.add(new Setting("ClipByGlobalNorm", "maxNorm", Kind.POSITIVE, ClipByGlobalNorm::of));
        // APO
        s.add(new Setting("ApoConfig", "lambdaFsd", Kind.NON_NEGATIVE, v -> ApoConfig.builder().lambdaFsd(v).build()));
        s.add(new Setting("ApoConfig", "lambdaWsd", Kind.NON_NEGATIVE, v -> ApoConfig.builder().lambdaWsd(v).build()));
        s.add(new Setting("ApoConfig", "initialLr", Kind.POSITIVE, v -> ApoConfig.builder().initialLr(v).build()));
        s.add(new Setting("ApoConfig", "metaLr", Kind.NON_NEGATIVE, v -> ApoConfig.builder().metaLr(v).build()));
        s.add(new Setting("ApoConfig", "precondMetaLr", Kind.NON_NEGATIVE, v -> ApoConfig.builder().precondMetaLr(v).build()));
        s.add(new Setting("ApoConfig", "metaBeta1", Kind.FRACTION, v -> ApoConfig.builder().metaBeta1(v).build()));
        s.add(new Setting("ApoConfig", "metaBeta2", Kind.FRACTION, v -> ApoConfig.builder().metaBeta2(v).build()));
        s.add(new Setting("ApoConfig", "metaEps", Kind.POSITIVE, v -> ApoConfig.builder().metaEps(v).build()));
        s.add(new Setting("ApoConfig", "precondMomentum", Kind.FRACTION, v -> ApoConfig.builder().precondMomentum(v).build()));
        return s;
    }

    /** The integer settings: each must be >= 1. */
    static List<Setting> counts() {
        return List.of(
                new Setting("Kfac", "inverseEvery", Kind.POSITIVE, v -> Kfac.builder().inverseEvery((int) v).build()),
                new Setting("ApoConfig", "metaInterval", Kind.POSITIVE, v -> ApoConfig.builder().metaInterval((int) v).build()),
                new Setting("ApoConfig", "lookaheadSteps", Kind.POSITIVE, v -> ApoConfig.builder().lookaheadSteps((int) v).build()),
                new Setting("ApoConfig", "precondMaxDim", Kind.POSITIVE, v -> ApoConfig.builder().precondMaxDim((int) v).build()));
    }

    /** Every (setting, value) pair: the properties run exhaustively over them. */
    private static <T> Arbitrary<Tuple.Tuple2<Setting, T>> all(List<Setting> settings, java.util.function.Function<Setting, List<T>> values) {
        List<Tuple.Tuple2<Setting, T>> pairs = new ArrayList<>();
        for (Setting s : settings) for (T v : values.apply(s)) pairs.add(Tuple.of(s, v));
        return Arbitraries.of(pairs);
    }

    @Provide
    Arbitrary<Tuple.Tuple2<Setting, Double>> badValues() {
        return all(settings(), s -> List.of(box(s.kind().bad)));
    }

    @Provide
    Arbitrary<Tuple.Tuple2<Setting, Double>> goodValues() {
        return all(settings(), s -> List.of(box(s.kind().good)));
    }

    @Provide
    Arbitrary<Tuple.Tuple2<Setting, Integer>> badCounts() {
        return all(counts(), s -> List.of(0, -1, Integer.MIN_VALUE));
    }

    private static Double[] box(double[] v) {
        Double[] out = new Double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    @Property(generation = GenerationMode.EXHAUSTIVE)
    void everySettingRejectsABadValueNamingIt(@ForAll("badValues") Tuple.Tuple2<Setting, Double> c) {
        Setting s = c.get1();
        double v = c.get2();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.build().apply(v), s + " = " + v);
        String m = e.getMessage();
        assertTrue(m.startsWith(s.owner() + ": ") && m.contains(s.name()) && m.contains(String.valueOf(v)),
                s + " = " + v + " gave: " + m);
    }

    @Property(generation = GenerationMode.EXHAUSTIVE)
    void everySettingAcceptsTheEdgesOfItsRange(@ForAll("goodValues") Tuple.Tuple2<Setting, Double> c) {
        assertDoesNotThrow(() -> c.get1().build().apply(c.get2()), c.get1() + " = " + c.get2());
    }

    @Property(generation = GenerationMode.EXHAUSTIVE)
    void everyCountRejectsZeroAndNegatives(@ForAll("badCounts") Tuple.Tuple2<Setting, Integer> c) {
        Setting s = c.get1();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.build().apply(c.get2()), s + " = " + c.get2());
        String m = e.getMessage();
        assertTrue(m.startsWith(s.owner() + ": ") && m.contains(s.name()) && m.contains(String.valueOf(c.get2())), m);
    }

    @net.jqwik.api.Example
    void theIssuesExampleReadsAsDocumented() {
        var e = assertThrows(IllegalArgumentException.class, () -> Sgd.builder().lr(-0.1).build());
        assertTrue(e.getMessage().equals("Sgd: learning rate must be >= 0, got -0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Adam.builder().lr(Double.NaN).build());
        assertTrue(e.getMessage().equals("Adam: learning rate must be >= 0, got NaN"), e.getMessage());
    }
}
