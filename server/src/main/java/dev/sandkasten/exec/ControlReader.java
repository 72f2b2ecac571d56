package dev.sandkasten.exec;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the control FIFO of one sandbox on a thread of its own and hands every well-formed record
 * to a listener. Ends at end of file, which happens when every process in the sandbox is gone.
 */
final class ControlReader implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ControlReader.class);
    /** Longest record accepted; a cwd longer than PATH_MAX plus headroom is garbage. */
    private static final int MAX_RECORD = 8192;
    private static final long CREATE_TIMEOUT_NANOS = 10_000_000_000L;

    private final Path fifo;
    private final Consumer<ControlRecord> listener;
    private final Runnable onEnd;

    ControlReader(Path fifo, Consumer<ControlRecord> listener, Runnable onEnd) {
        this.fifo = fifo;
        this.listener = listener;
        this.onEnd = onEnd;
    }

    /** The launcher creates the FIFO a moment after the process starts; wait for it briefly. */
    private InputStream open() throws IOException {
        long deadline = System.nanoTime() + CREATE_TIMEOUT_NANOS;
        while (!Files.exists(fifo) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + fifo, e);
            }
        }
        return new FileInputStream(fifo.toFile());
    }

    @Override
    public void run() {
        byte[] buf = new byte[MAX_RECORD];
        int len = 0;
        try (InputStream in = open()) {
            while (true) {
                int n = in.read(buf, len, buf.length - len);
                if (n < 0) break;
                len += n;
                int start = 0;
                for (int i = 0; i < len; i++) {
                    if (buf[i] == 0) {
                        ControlRecord.parse(buf, start, i - start).ifPresent(listener);
                        start = i + 1;
                    }
                }
                System.arraycopy(buf, start, buf, 0, len - start);
                len -= start;
                if (len == buf.length) len = 0; // an oversized record is dropped, not allowed to wedge the reader
            }
        } catch (IOException e) {
            log.debug("control FIFO {} closed: {}", fifo, e.toString());
        } finally {
            onEnd.run();
        }
    }
}
