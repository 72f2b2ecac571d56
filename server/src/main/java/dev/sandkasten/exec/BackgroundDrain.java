package dev.sandkasten.exec;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ExecutorService;

/**
 * Keeps reading output FIFOs still held by background jobs after the command that started them
 * ended. Their output is discarded: it belongs to no command, and a job whose pipe
 * had no reader would block or die of SIGPIPE. Each drain ends when its last writer exits.
 */
final class BackgroundDrain {
    private final ExecutorService threads;

    BackgroundDrain(ExecutorService threads) {
        this.threads = threads;
    }

    void adopt(InputStream in) {
        threads.execute(() -> {
            byte[] buf = new byte[16 * 1024];
            try (in) {
                while (in.read(buf) >= 0) {
                    // discard
                }
            } catch (IOException e) {
                // the sandbox is gone
            }
        });
    }
}
