package dev.sandkasten.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between a client and the daemon that can go silent or cut connections on demand:
 * {@link #stall()} makes every connection open at that moment drop what it receives instead of
 * passing it on, without closing anything, which is what a half-open connection (a dead peer, a
 * NAT that forgot the flow) looks like to both ends; {@link #cut(boolean)} closes them (with a
 * reset or an orderly close), as a crashed proxy or a dropped Wi-Fi would; {@link
 * #cutAfter(long, int)} does that to each connection once it has carried a given amount from the
 * daemon, so that how often a stream is cut does not hang on timing. Connections opened later are
 * relayed normally. It stands for the network in tests; the daemon behind it is the real one.
 */
final class StallingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile long cutAfterBytes = Long.MAX_VALUE;
    private final AtomicInteger cutsLeft = new AtomicInteger();
    private final AtomicInteger cutsMade = new AtomicInteger();

    StallingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /**
     * Silences the connections on which the daemon sent something in the last half second (a
     * running stream), leaving idle pooled ones and later ones working.
     */
    void stall() {
        long now = System.nanoTime();
        links.forEach(l -> {
            if (now - l.lastFromDaemon < 500_000_000L) l.stalled = true;
        });
    }

    /**
     * Closes the connections on which the daemon sent something in the last half second (a
     * running stream), both towards the client and towards the daemon: with a TCP reset if
     * {@code reset}, else with an orderly close (the client reads end of stream). Idle pooled
     * connections are left alone.
     *
     * @return how many connections were cut
     */
    int cut(boolean reset) {
        long now = System.nanoTime();
        int n = 0;
        for (Link l : links) {
            if (now - l.lastFromDaemon >= 500_000_000L || l.cut) continue;
            l.cut(reset);
            n++;
        }
        return n;
    }

    /**
     * From now on, cuts each connection once it has relayed {@code bytes} from the daemon since
     * this call, until {@code times} connections have been cut: the first with a reset, the next
     * with an orderly close, and so on in turn.
     */
    void cutAfter(long bytes, int times) {
        links.forEach(l -> l.relayedAtArming = l.relayed);
        cutsLeft.set(times);
        cutsMade.set(0);
        cutAfterBytes = bytes;
    }

    /** How many connections {@link #cutAfter(long, int)} has cut so far. */
    int cutsMade() {
        return cutsMade.get();
    }

    /** Called by a link's pump after it relayed from the daemon: cuts the link if it is due. */
    private void cutIfDue(Link link) {
        if (link.relayed - link.relayedAtArming < cutAfterBytes || link.cut) return;
        if (cutsLeft.getAndUpdate(n -> Math.max(0, n - 1)) == 0) return;
        link.cut(cutsMade.getAndIncrement() % 2 == 0);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket daemon = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                Link link = new Link(client, daemon);
                links.add(link);
                Thread.ofVirtual().start(() -> link.pump(client, daemon, false));
                Thread.ofVirtual().start(() -> link.pump(daemon, client, true));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Link l : links) l.close();
    }

    private final class Link {
        final Socket a;
        final Socket b;
        volatile boolean stalled;
        volatile boolean cut;
        volatile long lastFromDaemon = System.nanoTime() - 1_000_000_000_000L;
        /** Bytes relayed from the daemon, in all, and when {@link #cutAfter} was last called. */
        volatile long relayed;
        volatile long relayedAtArming;

        Link(Socket a, Socket b) {
            this.a = a;
            this.b = b;
        }

        void pump(Socket from, Socket to, boolean fromDaemon) {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (fromDaemon) lastFromDaemon = System.nanoTime();
                    if (stalled) continue;
                    out.write(buf, 0, n);
                    if (fromDaemon) {
                        relayed += n; // only this pump writes it
                        cutIfDue(this);
                    }
                }
            } catch (IOException e) {
                // one side went away
            } finally {
                if (!stalled) close();
            }
        }

        /** Marks the link cut and closes it: with a TCP reset if {@code reset}, else with a FIN. */
        void cut(boolean reset) {
            cut = true;
            if (reset) abort();
            else close();
        }

        /** Closes both sockets with a TCP reset instead of a FIN. */
        void abort() {
            try {
                a.setSoLinger(true, 0);
                b.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // closed already: close() below is then a no-op
            }
            close();
        }

        void close() {
            try {
                a.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                b.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
