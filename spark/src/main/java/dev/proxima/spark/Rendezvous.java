package dev.proxima.spark;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;

/**
 * Where the tasks of a barrier stage tell each other their ring addresses: a small TCP server
 * on the driver. {@link org.apache.spark.BarrierTaskContext#allGather} would do, but every
 * call waits in one-second sleeps (its RPC future is polled with {@code Thread.sleep(1000)}),
 * which added about a second to every epoch; here the last task to arrive releases all at
 * once. The barrier stage still gang-schedules the tasks.
 *
 * <p>A task sends the job token, its rank and its payload; once every rank of a round has
 * arrived, each gets all payloads in rank order and the server waits for the next round (a
 * stage that Spark itself reruns reuses the same closure, hence the same server). A second
 * connection for a rank replaces the first (its task was rerun). A wrong token is refused.
 * Every wait is bounded by the timeout.
 */
final class Rendezvous implements AutoCloseable {
    private static final int MAGIC = 0x50524456; // "PRDV"
    private final ServerSocket server;
    private final int size;
    private final byte[] token;
    private final Thread thread;
    private volatile boolean closed;

    private Rendezvous(ServerSocket server, int size, byte[] token) {
        this.server = server;
        this.size = size;
        this.token = token.clone();
        this.thread = Thread.ofPlatform().daemon().name("proxima-rendezvous-" + server.getLocalPort()).start(this::serve);
    }

    /** Listens on {@code bindHost} (port chosen by the system) for rounds of {@code size} tasks. */
    static Rendezvous open(String bindHost, int size, byte[] token) {
        try {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(bindHost, 0), size * 2);
            return new Rendezvous(s, size, token);
        } catch (IOException e) {
            throw new UncheckedIOException("SparkTrainer rendezvous: cannot listen on " + bindHost, e);
        }
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        Socket[] waiting = new Socket[size];
        String[] payloads = new String[size];
        int arrived = 0;
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                break; // closed
            }
            try {
                s.setSoTimeout(30_000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                if (in.readInt() != MAGIC) throw new IOException("not a rendezvous client");
                byte[] t = new byte[token.length];
                in.readFully(t);
                int rank = in.readInt();
                String payload = in.readUTF();
                if (!MessageDigest.isEqual(t, token) || rank < 0 || rank >= size) throw new IOException("wrong token or rank " + rank);
                if (waiting[rank] != null) {
                    closeQuietly(waiting[rank]);
                    arrived--;
                }
                waiting[rank] = s;
                payloads[rank] = payload;
                if (++arrived < size) continue;
                for (Socket w : waiting) {
                    try {
                        DataOutputStream out = new DataOutputStream(w.getOutputStream());
                        out.writeInt(size);
                        for (String p : payloads) out.writeUTF(p);
                        out.flush();
                    } catch (IOException e) {
                        // that task is gone; its stage fails and is retried
                    }
                    closeQuietly(w);
                }
                Arrays.fill(waiting, null);
                Arrays.fill(payloads, null);
                arrived = 0;
            } catch (IOException e) {
                closeQuietly(s);
            }
        }
        for (Socket w : waiting) if (w != null) closeQuietly(w);
    }

    /**
     * From a task: sends {@code payload} as {@code rank} and returns every rank's payload, in
     * rank order, once all have arrived; fails after {@code timeout}.
     */
    static String[] exchange(String host, int port, byte[] token, int rank, String payload, Duration timeout) {
        int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), ms);
            s.setSoTimeout(ms);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(MAGIC);
            out.write(token);
            out.writeInt(rank);
            out.writeUTF(payload);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            String[] all = new String[in.readInt()];
            for (int i = 0; i < all.length; i++) all[i] = in.readUTF();
            return all;
        } catch (SocketTimeoutException e) {
            throw new IllegalStateException("SparkTrainer rendezvous: rank " + rank + " waited " + timeout.toSeconds()
                    + " s at the driver (" + host + ":" + port + ") for the other tasks of the barrier stage", e);
        } catch (IOException e) {
            throw new UncheckedIOException("SparkTrainer rendezvous: rank " + rank + " cannot exchange addresses through the driver at "
                    + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing
        }
    }
}
