package dev.sandkasten.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-framed events must be what a JSON writer would have made of them. */
class SseWriterTest {
    private static final Pattern CHUNK = Pattern.compile(
            "id: (\\d+)\nevent: chunk\ndata: \\{\"chunk\":\"(.*)\",\"timestamp\":(\\d+),\"stream\":\"(\\w+)\"}\n\n");

    private static Matcher written(long id, String text, boolean asciiPath) {
        var out = new ByteArrayOutputStream();
        var sse = new SseWriter(out);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (asciiPath) {
            assertThat(sse.asciiChunk(id, utf8, 0, utf8.length, "stdout", false)).isTrue();
        } else {
            sse.chunk(id, utf8, 0, utf8.length, "stderr");
        }
        Matcher m = CHUNK.matcher(out.toString(StandardCharsets.UTF_8));
        assertThat(m.matches()).as(out.toString(StandardCharsets.UTF_8)).isTrue();
        return m;
    }

    @Test
    void idsAndTimestampsAreWrittenInDecimal() {
        long before = System.currentTimeMillis();
        for (long id : new long[] {0, 7, 10, 99, 100, 1_234_567_890_123L, Long.MAX_VALUE}) {
            Matcher m = written(id, "x", true);
            assertThat(m.group(1)).isEqualTo(Long.toString(id));
            assertThat(Long.parseLong(m.group(3))).isBetween(before, System.currentTimeMillis());
        }
    }

    @Test
    void textIsEscapedAsJson() {
        assertThat(written(5, "a\"b\\c\td\n", true).group(2)).isEqualTo("a\\\"b\\\\c\\td\\n");
        assertThat(written(5, "\u0001é", false).group(2)).isEqualTo("\\u0001é");
    }

    @Test
    void aChunkThatIsNotPlainAsciiIsLeftToTheDecodingPath() {
        var out = new ByteArrayOutputStream();
        byte[] b = "caf\u00e9".getBytes(StandardCharsets.UTF_8);
        assertThat(new SseWriter(out).asciiChunk(1, b, 0, b.length, "stdout", true)).isFalse();
        assertThat(out.size()).isZero();
    }

    @Test
    void aLargeEventGrowsTheFrame() {
        String big = "y".repeat(100_000);
        assertThat(written(100_000, big, true).group(2)).isEqualTo(big);
    }
}
