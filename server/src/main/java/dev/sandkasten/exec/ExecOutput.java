package dev.sandkasten.exec;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The output log of one command: bytes from stdout and stderr in arrival order, each byte with a
 * position in the log (its offset), which the HTTP layer uses as the SSE event id. Memory is
 * bounded by {@code window}: when the reader falls that far behind, the writer blocks, the pipe
 * fills and the program itself waits, so a slow or stalled client never makes the daemon buffer
 * without bound. When the reader is gone ({@link #abandon()}), output is counted and dropped.
 */
public final class ExecOutput {
    /** A run of bytes from one stream, ending at log offset {@code endOffset}. */
    public record Batch(StdStream stream, byte[] bytes, long endOffset) {}

    private record Segment(StdStream stream, byte[] bytes) {}

    private final long window;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private int headConsumed;
    private long buffered;
    private long consumed;
    private boolean finished;
    private boolean abandoned;

    public ExecOutput(long window) {
        this.window = window;
    }

    /** Adds bytes, waiting while the reader is more than a window behind. */
    public void append(StdStream stream, byte[] bytes, int off, int len) throws InterruptedException {
        if (len == 0) return;
        byte[] copy = java.util.Arrays.copyOfRange(bytes, off, off + len);
        lock.lockInterruptibly();
        try {
            while (!abandoned && buffered >= window) writable.await();
            if (abandoned) {
                consumed += len;
                return;
            }
            segments.addLast(new Segment(stream, copy));
            buffered += len;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** No more output will come; the reader sees the end after the buffered bytes. */
    public void finish() {
        lock.lock();
        try {
            finished = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The reader is gone: unblock the writer and drop whatever comes. */
    public void abandon() {
        lock.lock();
        try {
            abandoned = true;
            buffered = 0;
            segments.clear();
            writable.signalAll();
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next run of bytes from one stream, at most {@code maxBytes}, coalescing what has
     * arrived. Returns {@code null} if nothing arrived within the timeout, and {@link #END} once
     * the log is finished and fully read.
     */
    public Batch next(int maxBytes, long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (segments.isEmpty()) {
                if (finished || abandoned) return END;
                if (nanos <= 0) return null;
                nanos = readable.awaitNanos(nanos);
            }
            StdStream stream = segments.peekFirst().stream();
            int size = 0;
            for (Segment s : segments) {
                if (s.stream() != stream || size >= maxBytes) break;
                size += s.bytes().length - (s == segments.peekFirst() ? headConsumed : 0);
            }
            size = Math.min(size, maxBytes);
            byte[] out = new byte[size];
            int filled = 0;
            while (filled < size) {
                Segment s = segments.peekFirst();
                int take = Math.min(size - filled, s.bytes().length - headConsumed);
                System.arraycopy(s.bytes(), headConsumed, out, filled, take);
                filled += take;
                headConsumed += take;
                if (headConsumed == s.bytes().length) {
                    segments.removeFirst();
                    headConsumed = 0;
                }
            }
            buffered -= size;
            consumed += size;
            writable.signalAll();
            return new Batch(stream, out, consumed);
        } finally {
            lock.unlock();
        }
    }

    /** Marks the end of the log in {@link #next}. */
    public static final Batch END = new Batch(StdStream.STDOUT, new byte[0], -1);
}
