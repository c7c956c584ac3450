package dev.proxima.parallel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Workers anywhere on a network, joined in a TCP ring: rank {@code r} sends to rank
 * {@code r+1} and receives from rank {@code r-1} (mod {@code size}). The all-reduce is the
 * bandwidth-optimal ring algorithm: a reduce-scatter of {@code p-1} steps, after which rank
 * {@code r} holds the complete sum of chunk {@code r+1}, then an all-gather of {@code p-1}
 * steps that passes the finished chunks on. Each rank sends and receives
 * {@code 2(p-1)/p} times the buffer, whatever {@code p}; see docs/PARALLEL.md for the cost
 * model. Chunk {@code c} is summed in the fixed order {@link Collective} documents, and every
 * rank receives the finished chunk rather than recomputing it, so all ranks hold the same
 * bits and reruns repeat them.
 *
 * <p><b>Joining.</b> Every worker first {@link #bind binds} a listening socket (an
 * ephemeral port on 127.0.0.1 unless told otherwise), the addresses are exchanged by some
 * rendezvous (a Spark barrier's {@code allGather}, a file, threads of a test), and each
 * worker calls {@link Endpoint#join}. A connection opens with a hello carrying a per-job
 * random token ({@link #newToken()}); a listener closes any connection whose token, rank or
 * job size does not match and keeps waiting for the right peer until the timeout. That
 * handshake is {@link RingRendezvous}'s; this class is the ring algorithm over the two
 * connected sockets it hands back.
 *
 * <p><b>Failure.</b> Every wait is bounded: the join by the timeout, each transfer by the
 * timeout without progress (it includes a peer's compute time before it reaches the
 * collective, so keep it well above a step). The error names the peer (rank and address)
 * and the operation. A rank that fails sends an abort frame on to the next rank when it
 * can, so the cause travels around the ring instead of each rank reporting only its
 * neighbour's disappearance.
 *
 * <p><b>Wire format</b> (little-endian): every message is a 16-byte header
 * {@code (int op, int sequence, long count)} and a payload; a receiver checks the header
 * against the operation it is in, so two ranks calling different operations or lengths fail
 * with a message saying so instead of exchanging garbage.
 */
public final class RingCollective implements Collective {
    /** Bytes of a job token. */
    public static final int TOKEN_BYTES = 32;
    /** The default join and transfer timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private static final int HEADER_BYTES = 16;
    private static final int OP_ALLREDUCE_F32 = 1, OP_ALLREDUCE_F64 = 2, OP_BROADCAST_F32 = 3, OP_BROADCAST_F64 = 4,
            OP_BARRIER = 5, OP_ABORT = 15;
    private static final int MAX_ABORT_MESSAGE = 4096;
    // Data moves in segments small enough to stay in cache between conversion and the socket call.
    private static final int SEGMENT_BYTES = 256 << 10;

    private final int rank;
    private final int size;
    private final List<InetSocketAddress> ring;
    private final long timeoutNanos;
    private final SocketChannel toNext;   // null when size == 1
    private final SocketChannel fromPrev; // null when size == 1
    private final Selector selector;
    private final SelectionKey nextKey, prevKey;
    private int sequence;
    private final ByteBuffer sendBuffer = direct(SEGMENT_BYTES), receiveBuffer = direct(SEGMENT_BYTES);
    private final float[] floatScratch = new float[SEGMENT_BYTES / 4];
    private final double[] doubleScratch = new double[SEGMENT_BYTES / 8];
    private boolean midFrame; // part of a frame has gone to the next rank: an abort frame cannot follow it now
    private String failure;
    private boolean abortSent;
    private boolean closed;

    private RingCollective(int rank, List<InetSocketAddress> ring, long timeoutNanos, SocketChannel toNext, SocketChannel fromPrev)
            throws IOException {
        this.rank = rank;
        this.size = ring.size();
        this.ring = ring;
        this.timeoutNanos = timeoutNanos;
        this.toNext = toNext;
        this.fromPrev = fromPrev;
        if (size > 1) {
            selector = Selector.open();
            nextKey = toNext.register(selector, 0);
            prevKey = fromPrev.register(selector, 0);
        } else {
            selector = null;
            nextKey = prevKey = null;
        }
    }

    /** A fresh random job token; hand the same token to every worker of the job. */
    public static byte[] newToken() {
        byte[] t = new byte[TOKEN_BYTES];
        new SecureRandom().nextBytes(t);
        return t;
    }

    /** A listening endpoint on an ephemeral port of 127.0.0.1 (the loopback interface). */
    public static Endpoint bind() {
        return bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** A listening endpoint on {@code address} (port 0 picks a free one). */
    public static Endpoint bind(InetSocketAddress address) {
        try {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_RCVBUF, RingRendezvous.SOCKET_BUFFER_BYTES); // before bind, so the window scales
            server.bind(address, 64);
            server.configureBlocking(false);
            return new Endpoint(server);
        } catch (IOException e) {
            throw new CollectiveException("RingCollective.bind: cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    /**
     * A whole ring of {@code size} ranks in this JVM over 127.0.0.1, joined concurrently:
     * for tests, benchmarks and single-machine runs that want the real wire path.
     */
    public static List<RingCollective> local(int size, Duration timeout) {
        if (size < 1) throw new IllegalArgumentException("RingCollective.local: size must be >= 1, got " + size);
        byte[] token = newToken();
        List<Endpoint> endpoints = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(r, "ring-join");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int r = 0; r < size; r++) {
                endpoints.add(bind());
                addresses.add(endpoints.get(r).address());
            }
            List<Future<RingCollective>> joined = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                int rank = r;
                joined.add(pool.submit(() -> endpoints.get(rank).join(rank, addresses, token, timeout)));
            }
            List<RingCollective> ring = new ArrayList<>();
            try {
                for (Future<RingCollective> f : joined) ring.add(f.get());
            } catch (Exception e) {
                for (Future<RingCollective> f : joined) f.cancel(true);
                ring.forEach(RingCollective::close);
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw cause instanceof CollectiveException ce ? ce : new CollectiveException("RingCollective.local: " + cause, cause);
            }
            return List.copyOf(ring);
        } finally {
            pool.shutdownNow();
            endpoints.forEach(Endpoint::close);
        }
    }

    @Override
    public int rank() { return rank; }

    @Override
    public int size() { return size; }

    /** The ring's addresses, by rank, as given to {@link Endpoint#join}. */
    public List<InetSocketAddress> addresses() { return ring; }

    @Override
    public void allReduceSum(float[] buffer) {
        begin();
        if (size == 1) return;
        allReduce(new FloatChunks(buffer, floatScratch), OP_ALLREDUCE_F32, "allReduceSum(float[" + buffer.length + "])");
    }

    @Override
    public void allReduceSum(double[] buffer) {
        begin();
        if (size == 1) return;
        allReduce(new DoubleChunks(buffer, doubleScratch), OP_ALLREDUCE_F64, "allReduceSum(double[" + buffer.length + "])");
    }

    @Override
    public void broadcast(float[] buffer, int root) {
        checkRoot(root);
        begin();
        if (size == 1) return;
        broadcast(new FloatChunks(buffer, floatScratch), root, OP_BROADCAST_F32, "broadcast(float[" + buffer.length + "])");
    }

    @Override
    public void broadcast(double[] buffer, int root) {
        checkRoot(root);
        begin();
        if (size == 1) return;
        broadcast(new DoubleChunks(buffer, doubleScratch), root, OP_BROADCAST_F64, "broadcast(double[" + buffer.length + "])");
    }

    /** Each rank passes a token on {@code p-1} times: afterwards every rank has heard, through the ring, from all. */
    @Override
    public void barrier() {
        begin();
        if (size == 1) return;
        String op = "barrier";
        try {
            for (int step = 0; step < size - 1; step++) transfer(null, OP_BARRIER, step, true, 0, 0, true, 0, 0, false, false, op);
        } catch (RuntimeException e) {
            throw fail(op, e);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (failure == null) failure = "rank " + rank + " closed";
        closeQuietly(selector);
        closeQuietly(toNext);
        closeQuietly(fromPrev);
    }

    @Override
    public String toString() {
        return "RingCollective[rank " + rank + " of " + size + " at " + ring.get(rank) + "]";
    }

    // ---- the algorithms ------------------------------------------------------------------

    private void allReduce(Chunked data, int op, String what) {
        int n = data.length(), p = size;
        try {
            // Reduce-scatter: at step s, send the partial sum of chunk (r-s), receive chunk (r-1-s) and add our own.
            for (int s = 0; s < p - 1; s++) {
                int send = Math.floorMod(rank - s, p), recv = Math.floorMod(rank - 1 - s, p);
                transfer(data, op, n, true, Chunks.start(n, p, send), Chunks.end(n, p, send), true, Chunks.start(n, p, recv), Chunks.end(n, p, recv), true, false, what);
            }
            // All-gather: rank r now owns chunk r+1; pass the finished chunks around.
            for (int s = 0; s < p - 1; s++) {
                int send = Math.floorMod(rank + 1 - s, p), recv = Math.floorMod(rank - s, p);
                transfer(data, op, n, true, Chunks.start(n, p, send), Chunks.end(n, p, send), true, Chunks.start(n, p, recv), Chunks.end(n, p, recv), false, false, what);
            }
        } catch (RuntimeException e) {
            throw fail(what, e);
        }
    }

    /** Along the ring from the root, each rank passing segments on as they arrive; the rank before the root is the last. */
    private void broadcast(Chunked data, int root, int op, String what) {
        int n = data.length();
        boolean last = Math.floorMod(rank + 1, size) == root;
        try {
            if (rank == root) transfer(data, op, n, true, 0, n, false, 0, 0, false, false, what);
            else if (last) transfer(data, op, n, false, 0, 0, true, 0, n, false, false, what);
            else transfer(data, op, n, true, 0, n, true, 0, n, false, true, what);
        } catch (RuntimeException e) {
            throw fail(what, e);
        }
    }

    /**
     * One step of a ring algorithm: sends elements {@code [sendFrom, sendTo)} of {@code data} to
     * the next rank while receiving elements {@code [recvFrom, recvTo)} from the previous one,
     * adding them into {@code data} ({@code add}) or copying them. Each direction is one frame,
     * a header then the elements, streamed through a segment-sized buffer: converting and
     * adding a segment while it is still in cache, and interleaving both directions without
     * blocking, so that a ring of full socket buffers cannot deadlock. With {@code forward}
     * the elements sent are those received so far (a broadcast relays while it receives).
     * Fails when neither direction makes progress for the timeout, naming the silent peer.
     */
    private void transfer(Chunked data, int op, long count, boolean sending, int sendFrom, int sendTo,
                          boolean receiving, int recvFrom, int recvTo, boolean add, boolean forward, String what) {
        int eb = data == null ? 1 : data.elementBytes();
        int segment = SEGMENT_BYTES / eb;
        ByteBuffer out = sendBuffer, in = receiveBuffer;
        int sendPos = sendFrom;
        out.clear();
        if (sending) {
            // The header and the first elements leave in one write, so a small frame is never
            // left half sent (after which no abort frame could follow it).
            header(out, op, count);
            int k = Math.min(out.remaining() / eb, (forward ? recvFrom : sendTo) - sendPos);
            if (k > 0) data.put(out, sendPos, k);
            sendPos += Math.max(k, 0);
        }
        out.flip();
        boolean headerDone = !receiving;
        int recvPos = recvFrom;
        long payloadLeft = (long) (recvTo - recvFrom) * eb; // bytes not yet read from the socket
        in.clear().limit(receiving ? HEADER_BYTES : 0);
        long lastProgress = System.nanoTime();
        while (true) {
            if (sending && !out.hasRemaining()) {
                int available = forward ? recvPos : sendTo;
                if (sendPos < available) {
                    int k = Math.min(segment, available - sendPos);
                    out.clear();
                    data.put(out, sendPos, k);
                    out.flip();
                    sendPos += k;
                }
            }
            boolean wantWrite = sending && out.hasRemaining();
            boolean wantRead = receiving && (!headerDone || recvPos < recvTo);
            if (!wantWrite && !wantRead && !(sending && sendPos < sendTo)) break;
            int wrote = 0, got = 0;
            if (wantWrite) {
                try {
                    wrote = toNext.write(out);
                    if (wrote > 0) midFrame = out.hasRemaining() || sendPos < sendTo;
                } catch (IOException e) {
                    throw new CollectiveException("sending to rank " + next() + " (" + ring.get(next()) + ") failed: " + e.getMessage(), e);
                }
            }
            if (wantRead) {
                try {
                    got = fromPrev.read(in);
                } catch (IOException e) {
                    throw new CollectiveException("receiving from rank " + prev() + " (" + ring.get(prev()) + ") failed: " + e.getMessage(), e);
                }
                if (got < 0) {
                    if (!headerDone && in.position() >= HEADER_BYTES) checkHeader(in, op, count);
                    throw new CollectiveException("rank " + prev() + " (" + ring.get(prev()) + ") closed the connection");
                }
                if (!headerDone) {
                    if (!in.hasRemaining()) {
                        checkHeader(in, op, count);
                        headerDone = true;
                        in.clear().limit((int) Math.min(in.capacity(), payloadLeft));
                    }
                } else if (got > 0) {
                    payloadLeft -= got;
                    in.flip();
                    int k = in.remaining() / eb;
                    if (add) data.add(in, recvPos, k);
                    else data.copy(in, recvPos, k);
                    recvPos += k;
                    in.compact();
                    in.limit(in.position() + (int) Math.min(in.capacity() - in.position(), payloadLeft));
                }
            }
            if (wrote > 0 || got > 0) {
                lastProgress = System.nanoTime();
                continue; // keep moving while the kernel takes or gives data
            }
            if (Thread.currentThread().isInterrupted()) throw new CollectiveException("interrupted (the task was cancelled)");
            long idle = System.nanoTime() - lastProgress;
            if (idle >= timeoutNanos) {
                if (!wantRead)
                    throw new CollectiveException("rank " + next() + " (" + ring.get(next()) + ") read nothing for " + timeoutNanos / 1_000_000 + " ms");
                String silent = "no data from rank " + prev() + " (" + ring.get(prev()) + ") for " + timeoutNanos / 1_000_000 + " ms";
                // The ranks between the culprit and us time out at about the same moment. Tell the
                // next rank first, then give the previous one a moment to tell us: the error then
                // names the rank that actually went silent, not merely our neighbour.
                if (!abortSent && sendAtFrameBoundary()) sendAbort(context(what) + silent);
                String upstream = !headerDone && in.position() == 0 ? lingerForAbort(Math.min(timeoutNanos / 2, 2_000_000_000L)) : null;
                throw new CollectiveException(upstream != null ? "rank " + prev() + " gave up: " + upstream : silent);
            }
            nextKey.interestOps(wantWrite ? SelectionKey.OP_WRITE : 0);
            prevKey.interestOps(wantRead ? SelectionKey.OP_READ : 0);
            try {
                selector.select(Math.max(1, (timeoutNanos - idle) / 1_000_000));
                selector.selectedKeys().clear();
            } catch (IOException e) {
                throw new CollectiveException("selector failed: " + e.getMessage(), e);
            }
        }
        midFrame = false;
    }

    private ByteBuffer header(ByteBuffer b, int op, long count) {
        return b.putInt(op).putInt(sequence).putLong(count);
    }

    private void checkHeader(ByteBuffer in, int op, long count) {
        int gotOp = in.getInt(0), gotSeq = in.getInt(4);
        long gotCount = in.getLong(8);
        if (gotOp == OP_ABORT) throw new CollectiveException("rank " + prev() + " gave up: " + readAbortMessage(in, gotCount));
        if (gotOp != op || gotSeq != sequence || gotCount != count)
            throw new CollectiveException("rank " + prev() + " (" + ring.get(prev()) + ") is out of step: it sent " + describe(gotOp, gotSeq, gotCount)
                    + " while this rank is in " + describe(op, sequence, count));
    }

    private static String describe(int op, int seq, long count) {
        String name = switch (op) {
            case OP_ALLREDUCE_F32 -> "allReduceSum(float[" + count + "])";
            case OP_ALLREDUCE_F64 -> "allReduceSum(double[" + count + "])";
            case OP_BROADCAST_F32 -> "broadcast(float[" + count + "])";
            case OP_BROADCAST_F64 -> "broadcast(double[" + count + "])";
            case OP_BARRIER -> "barrier";
            default -> "an unknown message (op " + op + ")";
        };
        return name + " as operation #" + seq;
    }

    /** The text after an abort header: what is in {@code in} already, then up to a second more of reading. */
    private String readAbortMessage(ByteBuffer in, long length) {
        int len = (int) Math.min(Math.max(length, 0), MAX_ABORT_MESSAGE);
        ByteBuffer msg = ByteBuffer.allocate(len);
        ByteBuffer already = in.duplicate().flip().position(HEADER_BYTES);
        if (already.remaining() > len) already.limit(HEADER_BYTES + len);
        msg.put(already);
        long deadline = System.nanoTime() + 1_000_000_000L;
        try {
            while (msg.hasRemaining() && System.nanoTime() < deadline) {
                int got = fromPrev.read(msg);
                if (got < 0) break;
                if (got == 0) Thread.sleep(1);
            }
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        }
        return new String(msg.array(), 0, msg.position(), StandardCharsets.UTF_8);
    }

    // ---- state and failure ---------------------------------------------------------------

    private void begin() {
        if (closed) throw new CollectiveException("RingCollective rank " + rank + ": used after close");
        if (failure != null) throw new CollectiveException("RingCollective rank " + rank + " is broken: " + failure);
        sequence++;
    }

    /**
     * Records the first failure, tells the next rank why when the stream to it is at a frame
     * boundary, and closes the sockets so neighbours notice at once instead of at their timeout.
     */
    private CollectiveException fail(String what, RuntimeException e) {
        String msg = context(what) + e.getMessage();
        if (failure == null) {
            failure = msg;
            if (!abortSent && sendAtFrameBoundary()) sendAbort(msg);
        }
        closeQuietly(selector);
        closeQuietly(toNext);
        closeQuietly(fromPrev);
        return e instanceof CollectiveException ? new CollectiveException(msg, e.getCause()) : new CollectiveException(msg, e);
    }

    private String context(String what) {
        return "RingCollective rank " + rank + " (" + ring.get(rank) + "): " + what + " #" + sequence + ": ";
    }

    /** Whether the stream to the next rank ends between frames, so an abort frame may follow. */
    private boolean sendAtFrameBoundary() {
        return !midFrame;
    }

    /** Waits up to {@code graceNanos} for an abort frame from the previous rank; its text, or null. */
    private String lingerForAbort(long graceNanos) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long deadline = System.nanoTime() + graceNanos;
        try {
            while (header.hasRemaining() && System.nanoTime() < deadline) {
                int got = fromPrev.read(header);
                if (got < 0) return null;
                if (got == 0) Thread.sleep(2);
            }
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            return null;
        }
        if (header.hasRemaining() || header.getInt(0) != OP_ABORT) return null;
        return readAbortMessage(header, header.getLong(8));
    }

    private void sendAbort(String msg) {
        abortSent = true;
        byte[] text = msg.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(text.length, MAX_ABORT_MESSAGE);
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + len).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(OP_ABORT).putInt(sequence).putLong(len).put(text, 0, len).flip();
        long deadline = System.nanoTime() + 200_000_000L; // best effort: a few hundred bytes into a socket buffer
        try {
            while (b.hasRemaining() && System.nanoTime() < deadline) {
                if (toNext.write(b) == 0) Thread.sleep(1);
            }
        } catch (IOException | InterruptedException ignored) {
            if (ignored instanceof InterruptedException) Thread.currentThread().interrupt();
        }
    }

    private int next() { return (rank + 1) % size; }

    private int prev() { return (rank + size - 1) % size; }

    private void checkRoot(int root) {
        if (root < 0 || root >= size)
            throw new IllegalArgumentException("RingCollective.broadcast: root " + root + " is not a rank of a ring of " + size);
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(Math.max(bytes, HEADER_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort: the peer sees the connection end either way
        }
    }

    // ---- element views -------------------------------------------------------------------

    /** A float[] or double[] seen as elements to put into, add from or copy from a frame's bytes. */
    private interface Chunked {
        int length();

        int elementBytes();

        /** Writes elements {@code [from, from+k)} at the buffer's position, advancing it. */
        void put(ByteBuffer b, int from, int k);

        /** {@code x[at+i] = received[i] + x[at+i]}: the partial sum so far, then this rank's term. */
        void add(ByteBuffer b, int at, int k);

        void copy(ByteBuffer b, int at, int k);
    }

    private record FloatChunks(float[] x, float[] scratch) implements Chunked {
        public int length() { return x.length; }

        public int elementBytes() { return 4; }

        public void put(ByteBuffer b, int from, int k) {
            b.asFloatBuffer().put(x, from, k);
            b.position(b.position() + k * 4);
        }

        public void add(ByteBuffer b, int at, int k) {
            b.asFloatBuffer().get(scratch, 0, k);
            b.position(b.position() + k * 4);
            for (int i = 0; i < k; i++) x[at + i] = scratch[i] + x[at + i];
        }

        public void copy(ByteBuffer b, int at, int k) {
            b.asFloatBuffer().get(x, at, k);
            b.position(b.position() + k * 4);
        }
    }

    private record DoubleChunks(double[] x, double[] scratch) implements Chunked {
        public int length() { return x.length; }

        public int elementBytes() { return 8; }

        public void put(ByteBuffer b, int from, int k) {
            b.asDoubleBuffer().put(x, from, k);
            b.position(b.position() + k * 8);
        }

        public void add(ByteBuffer b, int at, int k) {
            b.asDoubleBuffer().get(scratch, 0, k);
            b.position(b.position() + k * 8);
            for (int i = 0; i < k; i++) x[at + i] = scratch[i] + x[at + i];
        }

        public void copy(ByteBuffer b, int at, int k) {
            b.asDoubleBuffer().get(x, at, k);
            b.position(b.position() + k * 8);
        }
    }

    // ---- joining -------------------------------------------------------------------------

    /**
     * A bound, listening socket waiting to become one rank of a ring. Exchange
     * {@link #address()} with the other workers, then {@link #join}.
     */
    public static final class Endpoint implements AutoCloseable {
        private final ServerSocketChannel server;

        private Endpoint(ServerSocketChannel server) {
            this.server = server;
        }

        /** The address peers connect to (the bound one, with the port chosen). */
        public InetSocketAddress address() {
            try {
                return (InetSocketAddress) server.getLocalAddress();
            } catch (IOException e) {
                throw new CollectiveException("RingCollective.Endpoint: " + e.getMessage(), e);
            }
        }

        /**
         * Becomes rank {@code rank} of the ring whose listening addresses, by rank, are
         * {@code ring}: connects to rank {@code rank+1}, accepts rank {@code rank-1}, both
         * authenticated with {@code token}. Waits at most {@code timeout} for the ring to form
         * and, afterwards, at most {@code timeout} without progress in any transfer. Closes
         * this endpoint.
         */
        public RingCollective join(int rank, List<InetSocketAddress> ring, byte[] token, Duration timeout) {
            int size = ring.size();
            if (rank < 0 || rank >= size) throw new IllegalArgumentException("RingCollective.join: rank " + rank + " outside a ring of " + size);
            if (token.length != TOKEN_BYTES)
                throw new IllegalArgumentException("RingCollective.join: token must be " + TOKEN_BYTES + " bytes (newToken()), got " + token.length);
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("RingCollective.join: timeout must be positive, got " + timeout);
            List<InetSocketAddress> addresses = List.copyOf(ring);
            try {
                RingRendezvous.Links links = RingRendezvous.join(server, rank, addresses, token, timeout.toNanos());
                try {
                    return new RingCollective(rank, addresses, timeout.toNanos(), links.toNext(), links.fromPrev());
                } catch (IOException e) {
                    closeQuietly(links.toNext());
                    closeQuietly(links.fromPrev());
                    throw e;
                }
            } catch (CollectiveException | IOException e) {
                throw new CollectiveException("RingCollective.join rank " + rank + " of " + size + " (" + address() + "): " + e.getMessage(), e);
            } finally {
                close();
            }
        }

        @Override
        public void close() {
            closeQuietly(server);
        }
    }
}
