package dev.sandkasten.exec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The daemon's end of a command's standard input: a FIFO the command reads instead of
 * {@code /dev/null}. Clients' writes queue here (at most {@link #MAX_PENDING} bytes) and a writer
 * thread moves them into the pipe, so a command that does not read makes writers wait a bounded
 * time, never hang. Writes may come before the command starts; they wait in the queue.
 */
public final class StdinPipe {
    /** Bytes that may wait for the command to read them, beyond what the pipe itself holds. */
    public static final int MAX_PENDING = 1 << 20;

    /** Why a write was refused. */
    public enum Refusal { CLOSED, FULL, TOO_LARGE }

    /** A refused write; nothing of it was queued. */
    public static final class RefusedException extends Exception {
        private final Refusal reason;

        RefusedException(Refusal reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }

        public Refusal reason() {
            return reason;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private long pendingBytes;
    private boolean closeRequested;
    private boolean ended;
    /** The command closed its input: writes can never be read. */
    private boolean readerGone;
    private Path fifo;
    private FileChannel channel;

    /**
     * Queues {@code data} (and then, with {@code close}, the end of input), waiting at most
     * {@code wait} for room while the command does not read.
     */
    public void write(byte[] data, boolean close, Duration wait) throws RefusedException, InterruptedException {
        if (data.length > MAX_PENDING) {
            throw new RefusedException(Refusal.TOO_LARGE, "write at most " + MAX_PENDING + " bytes at a time");
        }
        long nanos = wait.toNanos();
        lock.lockInterruptibly();
        try {
            while (true) {
                if (ended || closeRequested || readerGone) {
                    throw new RefusedException(Refusal.CLOSED, ended ? "the command has ended"
                            : readerGone ? "the command closed its input" : "its input was closed");
                }
                if (pendingBytes + data.length <= MAX_PENDING) break;
                if (nanos <= 0) {
                    throw new RefusedException(Refusal.FULL, "the command is not reading its input: " + pendingBytes
                            + " bytes are still waiting for it");
                }
                nanos = changed.awaitNanos(nanos);
            }
            if (data.length > 0) {
                pending.addLast(data);
                pendingBytes += data.length;
            }
            if (close) closeRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Connects the FIFO the command will read, before the shell opens it. A feeder thread opens
     * it for writing, which waits until the command opens it for reading (so nothing written can
     * be lost in a pipe nobody has opened yet), then moves queued writes into it.
     */
    void open(Path fifo) {
        lock.lock();
        try {
            if (ended) return;
            this.fifo = fifo;
        } finally {
            lock.unlock();
        }
        // A platform thread: it may block in open(2) and write(2) on the FIFO for a long time.
        Thread.ofPlatform().daemon().name("stdin-" + fifo.getFileName()).start(() -> feed(fifo));
    }

    private void feed(Path fifo) {
        FileChannel ch;
        try {
            ch = FileChannel.open(fifo, StandardOpenOption.WRITE);
        } catch (IOException e) {
            return; // the session is gone
        }
        lock.lock();
        try {
            if (ended) {
                closeQuietly(ch);
                return;
            }
            channel = ch;
        } finally {
            lock.unlock();
        }
        try {
            while (true) {
                byte[] next;
                lock.lockInterruptibly();
                try {
                    while (pending.isEmpty() && !closeRequested && !ended) changed.await();
                    if (ended) return;
                    if (pending.isEmpty()) break; // closeRequested, everything written
                    next = pending.peekFirst();
                } finally {
                    lock.unlock();
                }
                ByteBuffer buf = ByteBuffer.wrap(next);
                while (buf.hasRemaining()) ch.write(buf);
                lock.lock();
                try {
                    pending.pollFirst();
                    pendingBytes -= next.length;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            // EPIPE: the command closed its input (or end() closed ours)
            lock.lock();
            try {
                readerGone = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // The feeder is the only writer: closing its end is the command's end of input.
        closeQuietly(ch);
    }

    /**
     * The command ended (or its session is going): what is still queued is dropped and later
     * writes are refused. Must come before the FIFO is removed: a feeder still waiting to open
     * it is released by opening it once more (read-write, which never blocks).
     */
    void end() {
        FileChannel ch;
        Path path;
        lock.lock();
        try {
            if (ended) return;
            ended = true;
            pending.clear();
            pendingBytes = 0;
            ch = channel;
            path = fifo;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (ch != null) {
            closeQuietly(ch); // also wakes a feeder blocked on a full pipe
        } else if (path != null) {
            try {
                closeQuietly(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE));
            } catch (IOException e) {
                // gone already
            }
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing buffered on our side
        }
    }
}
