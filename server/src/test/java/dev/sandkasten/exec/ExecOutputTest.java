package dev.sandkasten.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The output log's slicing and coalescing, without a sandbox: pure bookkeeping. */
class ExecOutputTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String text(ExecOutput.Batch b) {
        return new String(Arrays.copyOfRange(b.bytes(), b.offset(), b.offset() + b.length()), StandardCharsets.US_ASCII);
    }

    @Test
    void largeReadsAreSlicedToTheChunkSizeAndSmallOnesOfOneStreamJoined() throws Exception {
        ExecOutput log = new ExecOutput(1 << 20);
        log.append(StdStream.STDOUT, ascii("abcdefghij"));
        log.append(StdStream.STDOUT, ascii("kl"));
        log.append(StdStream.STDOUT, ascii("mn"));
        log.append(StdStream.STDERR, ascii("E1"));
        log.append(StdStream.STDOUT, ascii("op"));
        log.finish();

        ExecOutput.Batch b = log.next(4, 1, TimeUnit.SECONDS);
        assertThat(text(b)).isEqualTo("abcd");
        assertThat(b.endOffset()).isEqualTo(4);
        assertThat(text(log.next(4, 1, TimeUnit.SECONDS))).isEqualTo("efgh");
        // "ij" is followed by more stdout: joined up to the chunk size, across reads.
        b = log.next(5, 1, TimeUnit.SECONDS);
        assertThat(text(b)).isEqualTo("ijklm");
        assertThat(b.endOffset()).isEqualTo(13);
        b = log.next(5, 1, TimeUnit.SECONDS);
        assertThat(text(b)).isEqualTo("n"); // never joined with the stderr that follows
        b = log.next(5, 1, TimeUnit.SECONDS);
        assertThat(b.stream()).isEqualTo(StdStream.STDERR);
        assertThat(text(b)).isEqualTo("E1");
        b = log.next(5, 1, TimeUnit.SECONDS);
        assertThat(text(b)).isEqualTo("op");
        assertThat(b.endOffset()).isEqualTo(18);
        assertThat(log.next(5, 1, TimeUnit.SECONDS)).isSameAs(ExecOutput.END);
    }

    @Test
    void aReaderFindsNothingBeforeTheTimeoutAndTheEndAfterFinish() throws Exception {
        ExecOutput log = new ExecOutput(16);
        assertThat(log.next(4, 10, TimeUnit.MILLISECONDS)).isNull();
        log.finish();
        assertThat(log.next(4, 10, TimeUnit.MILLISECONDS)).isSameAs(ExecOutput.END);
    }

    @Test
    void theWriterWaitsWhileTheReaderIsAWindowBehindAndNotAfterAbandon() throws Exception {
        ExecOutput log = new ExecOutput(8);
        log.append(StdStream.STDOUT, ascii("12345678"));
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                log.append(StdStream.STDOUT, ascii("more"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        writer.join(300);
        assertThat(writer.isAlive()).as("writer blocked by the full window").isTrue();
        log.abandon();
        writer.join(5_000);
        assertThat(writer.isAlive()).isFalse();
    }
}
