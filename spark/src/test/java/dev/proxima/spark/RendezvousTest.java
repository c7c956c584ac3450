package dev.proxima.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.parallel.RingCollective;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The driver's rendezvous without Spark: rounds, rank order, a wrong token, a bounded wait. */
class RendezvousTest {
    private static final Duration T = Duration.ofSeconds(20);

    @Test
    void everyRankGetsEveryPayloadInRankOrderRoundAfterRound() throws Exception {
        byte[] token = RingCollective.newToken();
        // One thread per rank (the common pool may have a single thread on two cores).
        try (Rendezvous r = Rendezvous.open("127.0.0.1", 3, token); var pool = java.util.concurrent.Executors.newFixedThreadPool(3)) {
            for (int round = 0; round < 2; round++) {
                List<CompletableFuture<String[]>> got = new ArrayList<>();
                for (int rank : new int[] {2, 0, 1}) { // arrival order is not rank order
                    String payload = "rank" + rank + "-round" + round;
                    got.add(CompletableFuture.supplyAsync(() -> Rendezvous.exchange("127.0.0.1", r.port(), token, rank, payload, T), pool));
                }
                String[] want = {"rank0-round" + round, "rank1-round" + round, "rank2-round" + round};
                for (var f : got) assertArrayEquals(want, f.get(30, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void aWrongTokenIsRefusedAndALoneTaskWaitsNoLongerThanItsTimeout() throws Exception {
        byte[] token = RingCollective.newToken();
        try (Rendezvous r = Rendezvous.open("127.0.0.1", 2, token)) {
            var refused = assertThrows(RuntimeException.class,
                    () -> Rendezvous.exchange("127.0.0.1", r.port(), RingCollective.newToken(), 0, "stranger", T));
            assertTrue(refused.getMessage().contains("rank 0") && refused.getMessage().contains(Integer.toString(r.port())), refused.getMessage());
            long t0 = System.nanoTime();
            var alone = assertThrows(IllegalStateException.class,
                    () -> Rendezvous.exchange("127.0.0.1", r.port(), token, 1, "alone", Duration.ofSeconds(1)));
            assertTrue(alone.getMessage().contains("waited 1 s"), alone.getMessage());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15), "bounded by the timeout");
        }
    }
}
