package dev.sandkasten.exec;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Copies one command's stdout or stderr FIFO into its {@link ExecOutput} as bytes arrive: a
 * blocking read returns as soon as the program writes, so there is no polling interval and no
 * line buffering. Two read ends are opened: the pump reads the first; at the command's end,
 * closing it wakes the pump, and the second end takes what is still in the pipe. If background
 * jobs still hold the write end, that second end is handed to {@link BackgroundDrain}, so they
 * neither block nor die of SIGPIPE, and their later output never reaches another command.
 */
final class OutputPump implements Runnable {
    private static final int READ_SIZE = 64 * 1024;
    private static final long END_WAIT_MILLIS = 2;
    /**
     * One read buffer per pump thread, kept across commands. A buffer per command was 64 KB
     * outside the heap that only a collection gave back, so a daemon running many short commands
     * between two collections piled them up.
     */
    private static final ThreadLocal<ByteBuffer> READ_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(READ_SIZE));

    private final Path fifo;
    private final StdStream stream;
    private final ExecOutput output;
    private final CountDownLatch opened = new CountDownLatch(1);
    private volatile FileChannel main;
    private volatile InputStream spare;
    private volatile boolean endOfFile;
    private volatile IOException failure;
    private Future<?> task;

    OutputPump(Path fifo, StdStream stream, ExecOutput output) {
        this.fifo = fifo;
        this.stream = stream;
        this.output = output;
    }

    void start(ExecutorService threads) {
        task = threads.submit(this);
    }

    @Override
    public void run() {
        try {
            // Both opens block until the shell opens the FIFO for writing (or finish() pokes it).
            main = FileChannel.open(fifo, StandardOpenOption.READ);
            spare = new FileInputStream(fifo.toFile());
            opened.countDown();
            // Reading into a direct buffer saves the JDK's own temporary copy, and the log writes
            // its file straight from it; the log copies each read once into memory of its own, so
            // nothing refers to the buffer once append returns.
            ByteBuffer buf = READ_BUFFER.get();
            while (true) {
                buf.clear();
                int n = main.read(buf);
                if (n < 0) {
                    endOfFile = true;
                    return;
                }
                output.append(stream, buf.flip());
            }
        } catch (ClosedChannelException e) {
            // finish() closed the main end: the command is over
        } catch (IOException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            opened.countDown();
        }
    }

    /**
     * True once the pump read end-of-file: every writer had closed the FIFO, both read ends are
     * closed by {@link #finish()}, and the FIFO is empty and free for another command.
     */
    boolean sawEnd() {
        return endOfFile;
    }

    /**
     * Called after the shell reported the command done: everything the command wrote is in the
     * pipe by then. Stops the pump, moves the rest of the pipe's content into the output, and
     * returns the spare read end if something (a background job) still holds the FIFO open.
     */
    InputStream finish() throws IOException, InterruptedException {
        if (opened.getCount() > 0) {
            // The pump may still wait in open(): opening the write end completes the rendezvous.
            try (var poke = FileChannel.open(fifo, StandardOpenOption.WRITE)) {
                opened.await();
            }
        }
        if (!endOfFile) {
            // The shell closed its write end before it reported, so unless a background job holds
            // the FIFO too, the pump is about to read end-of-file; a pump that got there leaves
            // the FIFO free for the next command. Only a FIFO still held costs the whole wait.
            try {
                task.get(END_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // a writer remains: the FIFO goes to the background drain below
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("output pump failed", e.getCause());
            }
        }
        FileChannel ch = main;
        if (ch != null) ch.close();
        try {
            task.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("output pump failed", e.getCause());
        }
        if (failure != null) throw failure;
        InputStream rest = spare;
        if (rest == null) return null;
        if (endOfFile) {
            rest.close();
            return null;
        }
        int pending = rest.available();
        byte[] buf = new byte[READ_SIZE];
        while (pending > 0) {
            int n = rest.read(buf, 0, Math.min(buf.length, pending));
            if (n < 0) {
                rest.close();
                return null;
            }
            output.append(stream, ByteBuffer.wrap(buf, 0, n));
            pending -= n;
        }
        return rest;
    }
}
