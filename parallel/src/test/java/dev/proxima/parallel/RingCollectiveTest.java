package dev.proxima.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Failures of the TCP ring over 127.0.0.1: each ends in an error naming the culprit, never a hang. */
class RingCollectiveTest {
    private static final Duration SHORT = Duration.ofSeconds(2);

    @Test
    void aPeerThatClosesMidwayIsNamedByTheOthers() {
        List<RingCollective> ring = RingCollective.local(3, Duration.ofSeconds(20));
        String dead = "rank 1 (" + ring.get(1).addresses().get(1) + ")";
        List<Object> outcomes = Workers.outcomes(ring, c -> {
            float[] b = {c.rank(), 1, 2, 3};
            c.allReduceSum(b); // one good round
            assertEquals(3f, b[0]);
            if (c.rank() == 1) {
                c.close(); // dies midway: its sockets close
                return null;
            }
            c.allReduceSum(b);
            return null;
        });
        assertEquals(null, outcomes.get(1));
        for (int r : new int[] {0, 2}) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, outcomes.get(r), "rank " + r);
            assertTrue(e.getMessage().contains(dead), e.getMessage());
        }
        ring.forEach(RingCollective::close);
    }

    @Test
    void aSilentPeerTimesOutNamed() {
        List<RingCollective> ring = RingCollective.local(3, SHORT);
        String silent = "rank 1 (" + ring.get(1).addresses().get(1) + ")";
        List<Object> outcomes = Workers.outcomes(ring, c -> {
            if (c.rank() == 1) return null; // never joins the all-reduce, keeps its sockets open
            c.allReduceSum(new double[10]);
            return null;
        });
        for (int r : new int[] {0, 2}) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, outcomes.get(r), "rank " + r);
            assertTrue(e.getMessage().contains(silent), e.getMessage());
        }
        // A broken collective stays broken and says why.
        CollectiveException again = assertThrows(CollectiveException.class, () -> ring.get(0).barrier());
        assertTrue(again.getMessage().contains("broken"), again.getMessage());
        ring.forEach(RingCollective::close);
    }

    @Test
    void ranksOutOfStepFailWithBothOperationsNamed() {
        List<RingCollective> ring = RingCollective.local(2, Duration.ofSeconds(20));
        List<Object> outcomes = Workers.outcomes(ring, c -> {
            c.allReduceSum(new float[c.rank() == 0 ? 10 : 12]);
            return null;
        });
        for (Object o : outcomes) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, o);
            assertTrue(e.getMessage().contains("out of step") || e.getMessage().contains("gave up"), e.getMessage());
            assertTrue(e.getMessage().contains("float[10]") && e.getMessage().contains("float[12]"), e.getMessage());
        }
        ring.forEach(RingCollective::close);
    }

    @Test
    void anIntruderWithTheWrongTokenIsRejectedAndTheRingStillForms() throws Exception {
        byte[] token = RingCollective.newToken();
        RingCollective.Endpoint e0 = RingCollective.bind(), e1 = RingCollective.bind();
        List<InetSocketAddress> addresses = List.of(e0.address(), e1.address());
        byte verdict;
        try (SocketChannel intruder = SocketChannel.open(e0.address())) { // connects first, into rank 0's backlog
            byte[] wrong = RingCollective.newToken();
            ByteBuffer hello = ByteBuffer.allocate(16 + RingCollective.TOKEN_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            hello.putInt(0x50525852).putInt(1).putInt(1).putInt(2).put(wrong).flip(); // claims to be rank 1
            while (hello.hasRemaining()) intruder.write(hello);
            List<RingCollective> ring = joinAll(List.of(e0, e1), addresses, List.of(token, token), Duration.ofSeconds(20));
            ByteBuffer v = ByteBuffer.allocate(1);
            while (v.hasRemaining() && intruder.read(v) >= 0) { }
            verdict = v.get(0);
            List<float[]> sums = Workers.run(ring, c -> {
                float[] b = {c.rank() + 1};
                c.allReduceSum(b);
                return b;
            });
            for (float[] s : sums) assertEquals(3f, s[0]);
            ring.forEach(RingCollective::close);
        }
        assertEquals(1, verdict, "the intruder is told its token is bad");
    }

    @Test
    void ranksWithDifferentTokensNeverFormARing() {
        RingCollective.Endpoint e0 = RingCollective.bind(), e1 = RingCollective.bind();
        List<InetSocketAddress> addresses = List.of(e0.address(), e1.address());
        List<Object> outcomes = joinOutcomes(List.of(e0, e1), addresses, List.of(RingCollective.newToken(), RingCollective.newToken()), SHORT);
        for (Object o : outcomes) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, o);
            assertTrue(e.getMessage().contains("bad token") || e.getMessage().contains("token mismatch"), e.getMessage());
        }
    }

    @Test
    void joinRejectsBadArguments() {
        try (RingCollective.Endpoint e = RingCollective.bind()) {
            List<InetSocketAddress> one = List.of(e.address());
            assertThrows(IllegalArgumentException.class, () -> e.join(1, one, RingCollective.newToken(), SHORT));
            assertThrows(IllegalArgumentException.class, () -> e.join(0, one, new byte[3], SHORT));
        }
    }

    private static List<RingCollective> joinAll(List<RingCollective.Endpoint> eps, List<InetSocketAddress> addresses, List<byte[]> tokens, Duration t) {
        List<RingCollective> ring = new ArrayList<>();
        for (Object o : joinOutcomes(eps, addresses, tokens, t)) {
            if (o instanceof RuntimeException e) throw e;
            ring.add((RingCollective) o);
        }
        return ring;
    }

    /** Joins every endpoint on its own thread. */
    private static List<Object> joinOutcomes(List<RingCollective.Endpoint> eps, List<InetSocketAddress> addresses, List<byte[]> tokens, Duration t) {
        List<ThreadCollective> placeholders = ThreadCollective.group(eps.size()); // only to number the threads
        return Workers.outcomes(placeholders, c -> eps.get(c.rank()).join(c.rank(), addresses, tokens.get(c.rank()), t));
    }
}
