package dev.sandkasten.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Notices a stream whose connection died without a FIN or RST (a half-open TCP connection): the
 * daemon writes an SSE comment at least every second, so a read that waits longer than the
 * client's request timeout means the peer is gone. The JDK's {@code ofInputStream} body has no
 * read timeout of its own, so without this a reader would block forever. The watchdog then
 * closes the body, which wakes the blocked reader; {@link #fired()} tells it why.
 */
final class SilenceWatchdog extends FilterInputStream {
    /** One daemon thread for every stream of the process: a check costs a few nanoseconds. */
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private final long limitNanos;
    private final Duration limit;
    private final ScheduledFuture<?> check;
    /** When the pending read started waiting, or 0 while no read is pending. */
    private volatile long waitingSince;
    private volatile boolean fired;

    /** Watches {@code body}; a read that waits longer than {@code limit} for a byte closes it. */
    SilenceWatchdog(InputStream body, Duration limit) {
        super(body);
        this.limit = limit;
        this.limitNanos = limit.toNanos();
        long period = Math.max(50, Math.min(1000, limit.toMillis() / 4));
        this.check = TIMER.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    /** True if the body was closed because the daemon sent nothing for too long. */
    boolean fired() {
        return fired;
    }

    /** The message for a stream that fell silent; the command's fate on the daemon is unknown. */
    String silenceMessage(String execId) {
        return "the daemon sent nothing for " + limit.toSeconds() + " s on the stream of exec " + execId
                + " (it sends a keep-alive every second), so the connection is presumed dead;"
                + " check the network or proxy between this client and the daemon";
    }

    private void check() {
        long since = waitingSince;
        if (since == 0 || fired || System.nanoTime() - since < limitNanos) return;
        fired = true;
        check.cancel(false);
        try {
            in.close();
        } catch (IOException e) {
            // the body is broken already; the blocked reader wakes up either way
        }
    }

    @Override
    public int read() throws IOException {
        waitingSince = System.nanoTime();
        try {
            return in.read();
        } finally {
            waitingSince = 0;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        waitingSince = System.nanoTime();
        try {
            return in.read(b, off, len);
        } finally {
            waitingSince = 0;
        }
    }

    @Override
    public void close() throws IOException {
        check.cancel(false);
        in.close();
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "sandkasten-stream-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }
}
