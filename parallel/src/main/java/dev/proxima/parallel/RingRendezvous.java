package dev.proxima.parallel;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * How the ranks of a {@link RingCollective} find each other over TCP: each connects to the
 * next rank's listening socket and says hello (magic, version, rank, size, the job token),
 * accepts the previous rank's hello, and reads the verdict on its own. A listener rejects a
 * connection whose token, rank or job size does not match and keeps waiting for the right
 * peer until the deadline, so a stray or stale worker cannot join a job. The ring algorithm
 * itself never sees any of this: it gets the two connected sockets.
 */
final class RingRendezvous {
    private static final int MAGIC = 0x50525852; // "PRXR"
    private static final int VERSION = 1;
    private static final int HELLO_BYTES = 16 + RingCollective.TOKEN_BYTES;
    private static final byte ACCEPTED = 0, BAD_TOKEN = 1, BAD_RANK = 2;
    static final int SOCKET_BUFFER_BYTES = 4 << 20; // asked for; the kernel caps it (net.core.[rw]mem_max)

    private RingRendezvous() {}

    /** The two connections of one rank: to the next rank and from the previous (both null in a ring of one). */
    record Links(SocketChannel toNext, SocketChannel fromPrev) {}

    /**
     * Joins rank {@code rank} of the ring whose listening addresses, by rank, are
     * {@code addresses}, listening on {@code server}; waits at most {@code timeoutNanos}.
     * On failure closes what it opened (not {@code server}).
     */
    static Links join(ServerSocketChannel server, int rank, List<InetSocketAddress> addresses, byte[] token, long timeoutNanos)
            throws IOException {
        int size = addresses.size();
        long deadline = System.nanoTime() + timeoutNanos;
        SocketChannel toNext = null, fromPrev = null;
        try {
            if (size > 1) {
                int next = (rank + 1) % size, prev = (rank + size - 1) % size;
                // Everyone connects and says hello first (small writes, held by the peer's
                // listen backlog), then accepts, then reads the verdict: no rank waits on a
                // rank that is itself waiting.
                toNext = connect(addresses.get(next), next, deadline);
                ByteBuffer hello = ByteBuffer.allocate(HELLO_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                hello.putInt(MAGIC).putInt(VERSION).putInt(rank).putInt(size).put(token).flip();
                io(toNext, hello, true, deadline, "rank " + next + " (" + addresses.get(next) + ")", "sending hello");
                fromPrev = accept(server, rank, prev, size, token, addresses, deadline);
                ByteBuffer verdict = ByteBuffer.allocate(1);
                io(toNext, verdict, false, deadline, "rank " + next + " (" + addresses.get(next) + ")", "awaiting the verdict on our hello");
                byte v = verdict.get(0);
                if (v != ACCEPTED)
                    throw new CollectiveException("rank " + next + " (" + addresses.get(next) + ") rejected this rank: "
                            + (v == BAD_TOKEN ? "job token mismatch" : "rank or job size mismatch"));
                for (SocketChannel ch : List.of(toNext, fromPrev)) ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            return new Links(toNext, fromPrev);
        } catch (CollectiveException | IOException e) {
            RingCollective.closeQuietly(toNext);
            RingCollective.closeQuietly(fromPrev);
            throw e;
        }
    }

    private static SocketChannel connect(InetSocketAddress to, int peer, long deadline) throws IOException {
        IOException last = null;
        while (System.nanoTime() < deadline) {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
                int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000));
                ch.socket().connect(to, ms);
                ch.configureBlocking(false);
                return ch;
            } catch (ConnectException | SocketTimeoutException e) { // not listening yet: retry until the deadline
                RingCollective.closeQuietly(ch);
                last = e;
                sleep(20);
            }
        }
        throw new CollectiveException("cannot connect to rank " + peer + " (" + to + ")" + (last != null ? ": " + last.getMessage() : "") + " before the timeout");
    }

    /** Accepts connections until one carries a valid hello from rank {@code prev}; rejects the others. */
    private static SocketChannel accept(ServerSocketChannel server, int rank, int prev, int size, byte[] token, List<InetSocketAddress> addresses, long deadline) throws IOException {
        List<String> rejected = new ArrayList<>();
        try (Selector sel = Selector.open()) {
            server.register(sel, SelectionKey.OP_ACCEPT);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    throw new CollectiveException("rank " + prev + " (" + addresses.get(prev) + ") did not connect before the timeout"
                            + (rejected.isEmpty() ? "" : "; rejected: " + String.join(", ", rejected)));
                sel.select(Math.max(1, left / 1_000_000));
                sel.selectedKeys().clear();
                SocketChannel ch = server.accept();
                if (ch == null) continue;
                ch.configureBlocking(false);
                ByteBuffer hello = ByteBuffer.allocate(HELLO_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                String from = String.valueOf(ch.getRemoteAddress());
                try {
                    io(ch, hello, false, deadline, "a connection from " + from, "reading its hello");
                } catch (CollectiveException e) {
                    rejected.add(from + " (" + e.getMessage() + ")");
                    RingCollective.closeQuietly(ch);
                    continue;
                }
                hello.flip();
                int magic = hello.getInt(), version = hello.getInt(), peerRank = hello.getInt(), peerSize = hello.getInt();
                byte[] peerToken = new byte[RingCollective.TOKEN_BYTES];
                hello.get(peerToken);
                byte verdict = magic != MAGIC || version != VERSION || !MessageDigest.isEqual(token, peerToken) ? BAD_TOKEN
                        : peerRank != prev || peerSize != size ? BAD_RANK : ACCEPTED;
                try {
                    io(ch, ByteBuffer.wrap(new byte[] {verdict}), true, deadline, "a connection from " + from, "sending the verdict");
                } catch (CollectiveException e) {
                    if (verdict == ACCEPTED) throw e;
                }
                if (verdict == ACCEPTED) return ch;
                rejected.add(from + (verdict == BAD_TOKEN ? " (bad token)" : " (claimed rank " + peerRank + " of " + peerSize + ")"));
                RingCollective.closeQuietly(ch);
            }
        }
    }

    /** Reads or writes all of {@code b} before {@code deadline}. */
    private static void io(SocketChannel ch, ByteBuffer b, boolean write, long deadline, String peer, String doing) throws IOException {
        try (Selector sel = Selector.open()) {
            SelectionKey key = ch.register(sel, write ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            while (b.hasRemaining()) {
                int n = write ? ch.write(b) : ch.read(b);
                if (n < 0) throw new CollectiveException(peer + " closed the connection while " + doing);
                if (n > 0) continue;
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new CollectiveException(peer + " timed out while " + doing);
                sel.select(Math.max(1, left / 1_000_000));
                sel.selectedKeys().clear();
            }
            key.cancel();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectiveException("interrupted while connecting");
        }
    }
}
