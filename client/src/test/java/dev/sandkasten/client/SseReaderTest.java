package dev.sandkasten.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseReaderTest {
    record Ev(String event, String id, String data) {}

    /** Hands out at most {@code step} bytes per read, so events straddle every buffer boundary. */
    static InputStream trickle(String s, int step) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return new InputStream() {
            int pos;

            @Override
            public int read() {
                return pos < b.length ? b[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] dst, int off, int len) {
                if (pos >= b.length) return -1;
                int n = Math.min(Math.min(len, step), b.length - pos);
                System.arraycopy(b, pos, dst, off, n);
                pos += n;
                return n;
            }
        };
    }

    static List<Ev> all(SseReader r) throws IOException {
        List<Ev> out = new ArrayList<>();
        while (r.next()) {
            out.add(new Ev(r.event(), r.lastId(), new String(r.data(), 0, r.dataLength(), StandardCharsets.UTF_8)));
        }
        return out;
    }

    static final String DAEMON = """
            id: 0
            event: start
            data: {"exec_id":"ex_1","timestamp":1}

            :
            : heartbeat

            id: 2
            event: chunk
            data: {"chunk":"h\\u00e9 \\n","timestamp":2,"stream":"stdout"}

            id: 3
            event: done
            data: {"exit_code":0}

            """;

    @Test
    void readsTheDaemonsFramingAndSkipsComments() throws IOException {
        for (int step : new int[] {1, 3, 7, 1 << 20}) {
            assertThat(all(new SseReader(trickle(DAEMON, step), 8, 1 << 20))).as("step %d", step).containsExactly(
                    new Ev("start", "0", "{\"exec_id\":\"ex_1\",\"timestamp\":1}"),
                    new Ev("chunk", "2", "{\"chunk\":\"h\\u00e9 \\n\",\"timestamp\":2,\"stream\":\"stdout\"}"),
                    new Ev("done", "3", "{\"exit_code\":0}"));
        }
    }

    @Test
    void followsTheSseRulesTheDaemonDoesNotExercise() throws IOException {
        String s = "event: a\r\ndata: one\r\ndata:two\r\n\r\n"   // CRLF; data lines joined; optional space
                + "id: 9\nevent: only-id\n\n"                        // no data: not dispatched, but the id sticks
                + "data\n\n"                                          // a field without a colon: empty data
                + "retry: 10\nunknown: x\ndata: d\n\n"               // ignored fields
                + "data: unfinished\n";                               // no blank line before the end: dropped
        assertThat(all(new SseReader(trickle(s, 2), 4, 1 << 20))).containsExactly(
                new Ev("a", null, "one\ntwo"),
                new Ev("message", "9", ""),
                new Ev("message", "9", "d"));
    }

    @Test
    void aBareCrEndsALineAsLfAndCrlfDo() throws IOException {
        String s = "event: a\rdata: one\rdata: two\r\r"     // CR only
                + "data: three\r\n\r\n"                         // CRLF
                + "data: four\r\r\n"                             // CR, then CRLF: one blank line
                + "data: five\n\r";                               // LF, then CR: a blank line
        for (int step : new int[] {1, 2, 5, 1 << 20}) {
            assertThat(all(new SseReader(trickle(s, step), 4, 1 << 20))).as("step %d", step).containsExactly(
                    new Ev("a", null, "one\ntwo"),
                    new Ev("message", null, "three"),
                    new Ev("message", null, "four"),
                    new Ev("message", null, "five"));
        }
    }

    @Test
    void eventsLargerThanTheBufferGrowIt() throws IOException {
        String big = "x".repeat(300_000);
        SseReader r = new SseReader(trickle("event: chunk\ndata: " + big + "\n\nevent: done\ndata: {}\n\n", 4096), 1024,
                1 << 20);
        assertThat(all(r)).extracting(Ev::data).containsExactly(big, "{}");
    }

    @Test
    void refusesAnEndlessLine() {
        SseReader r = new SseReader(new ByteArrayInputStream(("data: " + "y".repeat(5000)).getBytes()), 64, 1024);
        assertThatThrownBy(r::next).isInstanceOf(IOException.class).hasMessageContaining("longer than 1024 bytes");
        String manyLines = "data: yyyyyyyyyy\n".repeat(200);
        SseReader r2 = new SseReader(new ByteArrayInputStream(manyLines.getBytes()), 64, 1024);
        assertThatThrownBy(r2::next).isInstanceOf(IOException.class).hasMessageContaining("event is longer");
    }
}
