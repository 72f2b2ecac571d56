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
    /**
     * A run of bytes from one stream, {@code bytes[offset, offset + length)}, ending at log offset
     * {@code endOffset}. The array may be shared with other batches: read it, never write it.
     */
    public record Batch(StdStream stream, byte[] bytes, int offset, int length, long endOffset) {}

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
    private final long[] written = new long[StdStream.values().length];

    public ExecOutput(long window) {
        this.window = window;
    }

    /**
     * Adds bytes, waiting while the reader is more than a window behind. The log takes ownership
     * of the array (it is handed to readers without copying), so the caller must not reuse it.
     */
    public void append(StdStream stream, byte[] owned) throws InterruptedException {
        int len = owned.length;
        if (len == 0) return;
        lock.lockInterruptibly();
        try {
            while (!abandoned && buffered >= window) writable.await();
            written[stream.ordinal()] += len;
            if (abandoned) {
                consumed += len;
                return;
            }
            segments.addLast(new Segment(stream, owned));
            buffered += len;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Bytes the command wrote to {@code stream} so far, whether or not a reader took them. */
    public long bytes(StdStream stream) {
        lock.lock();
        try {
            return written[stream.ordinal()];
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
            Segment first = segments.peekFirst();
            int available = first.bytes().length - headConsumed;
            Batch batch;
            if (available >= maxBytes || !followedBySameStream()) {
                // The usual case under load: a slice of one read, handed over without a copy.
                int size = Math.min(available, maxBytes);
                batch = new Batch(first.stream(), first.bytes(), headConsumed, size, consumed + size);
                consume(size);
            } else {
                batch = coalesce(first.stream(), maxBytes);
            }
            writable.signalAll();
            return batch;
        } finally {
            lock.unlock();
        }
    }

    private boolean followedBySameStream() {
        var it = segments.iterator();
        StdStream stream = it.next().stream();
        return it.hasNext() && it.next().stream() == stream;
    }

    /** Joins small consecutive reads of one stream into one batch of at most {@code maxBytes}. */
    private Batch coalesce(StdStream stream, int maxBytes) {
        int size = 0;
        int skip = headConsumed;
        for (Segment s : segments) {
            if (s.stream() != stream || size >= maxBytes) break;
            size += s.bytes().length - skip;
            skip = 0;
        }
        size = Math.min(size, maxBytes);
        byte[] out = new byte[size];
        for (int filled = 0; filled < size; ) {
            Segment s = segments.peekFirst();
            int take = Math.min(size - filled, s.bytes().length - headConsumed);
            System.arraycopy(s.bytes(), headConsumed, out, filled, take);
            filled += take;
            consume(take);
        }
        return new Batch(stream, out, 0, size, consumed);
    }

    /** Moves the read position {@code n} bytes on within the first segment. */
    private void consume(int n) {
        headConsumed += n;
        if (headConsumed == segments.peekFirst().bytes().length) {
            segments.removeFirst();
            headConsumed = 0;
        }
        buffered -= n;
        consumed += n;
    }

    /** Marks the end of the log in {@link #next}. */
    public static final Batch END = new Batch(StdStream.STDOUT, new byte[0], 0, 0, -1);
}
