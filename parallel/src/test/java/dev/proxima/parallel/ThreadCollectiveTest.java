package dev.proxima.parallel;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Failures of the thread group: a late, closed or mismatched worker is named, never a hang. */
class ThreadCollectiveTest {

    @Test
    void aLateWorkerIsNamedAfterTheTimeout() {
        List<ThreadCollective> g = ThreadCollective.group(3, Duration.ofMillis(500));
        List<Object> outcomes = Workers.outcomes(g, c -> {
            if (c.rank() != 2) c.allReduceSum(new float[4]);
            return null;
        });
        for (int r : new int[] {0, 1}) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, outcomes.get(r));
            assertTrue(e.getMessage().contains("rank(s) 2 did not reach"), e.getMessage());
        }
    }

    @Test
    void aWorkerThatClosesReleasesTheOthers() {
        List<ThreadCollective> g = ThreadCollective.group(2, Duration.ofSeconds(30));
        List<Object> outcomes = Workers.outcomes(g, c -> {
            if (c.rank() == 1) {
                sleep(100);
                c.close();
            } else {
                c.barrier();
            }
            return null;
        });
        CollectiveException e = assertInstanceOf(CollectiveException.class, outcomes.get(0));
        assertTrue(e.getMessage().contains("rank 1 closed"), e.getMessage());
    }

    @Test
    void differentLengthsFailOnEveryWorker() {
        List<ThreadCollective> g = ThreadCollective.group(2, Duration.ofSeconds(30));
        List<Object> outcomes = Workers.outcomes(g, c -> {
            c.allReduceSum(new double[3 + c.rank()]);
            return null;
        });
        for (Object o : outcomes) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, o);
            assertTrue(e.getMessage().contains("double[3]") && e.getMessage().contains("double[4]"), e.getMessage());
        }
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> ThreadCollective.group(0));
        assertThrows(IllegalArgumentException.class, () -> ThreadCollective.group(2).get(0).broadcast(new float[1], 2));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        }
    }
}
