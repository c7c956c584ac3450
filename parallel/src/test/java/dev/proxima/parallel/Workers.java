package dev.proxima.parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Runs one task per worker of a group on its own thread; a hang guard, not a speed limit. */
final class Workers {
    static final long GUARD_SECONDS = 60;

    private Workers() {}

    /** Each worker's result, in rank order; rethrows the first worker failure. */
    static <C extends Collective, T> List<T> run(List<C> group, Function<C, T> work) {
        List<Object> outcomes = outcomes(group, work);
        List<T> results = new ArrayList<>();
        for (Object o : outcomes) {
            if (o instanceof Throwable t) throw t instanceof RuntimeException re ? re : new RuntimeException(t);
            @SuppressWarnings("unchecked") T r = (T) o;
            results.add(r);
        }
        return results;
    }

    /** Each worker's result or the Throwable it threw, in rank order. */
    static <C extends Collective, T> List<Object> outcomes(List<C> group, Function<C, T> work) {
        ExecutorService pool = Executors.newFixedThreadPool(group.size());
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (C c : group) futures.add(pool.submit(() -> work.apply(c)));
            List<Object> out = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    out.add(f.get(GUARD_SECONDS, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    out.add(e.getCause());
                } catch (Exception e) {
                    throw new AssertionError("a worker hung past the " + GUARD_SECONDS + " s guard", e);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
