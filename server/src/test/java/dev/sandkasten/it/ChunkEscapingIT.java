package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Chunk events are framed by hand on the streaming hot path, so every kind of byte must still
 * come out as valid JSON with the exact text: quotes, backslashes, every control character, DEL
 * and non-ASCII, on both the pass-through path (plain ASCII) and the decoding path. Raw HTTP, as
 * the point is the JSON on the wire, parsed by a standard parser.
 */
class ChunkEscapingIT extends SessionFixture {

    private String streamed(Map<String, Object> body) throws Exception {
        try (var s = TestDaemon.client().stream(session.id(), body)) {
            List<TestClient.Event> events = s.readAll();
            assertThat(events.getLast().name()).isEqualTo("done");
            return events.stream().filter(e -> e.name().equals("chunk")).map(e -> e.data().get("chunk").asText())
                    .reduce("", String::concat);
        }
    }

    @Test
    void everyAsciiByteSurvivesRawStreaming() throws Exception {
        StringBuilder expected = new StringBuilder();
        StringBuilder printf = new StringBuilder();
        for (int c = 1; c < 128; c++) {
            expected.append((char) c);
            printf.append(String.format("\\%03o", c));
        }
        // Twice: once alone, once inside a long plain run (the pass-through scan works 8 bytes at a time).
        String cmd = "printf '" + printf + "'; printf 'abcdefghijklmnopqrstuvwxyz%.0s' 1 2 3; printf '" + printf + "'";
        String want = expected + "abcdefghijklmnopqrstuvwxyz".repeat(3) + expected;
        assertThat(streamed(Map.of("cmd", cmd, "raw_output", true))).isEqualTo(want);
    }

    @Test
    void quotesBackslashesAndNonAsciiSurviveCleanedStreaming() throws Exception {
        String cmd = "printf '%s\\n' 'say \"hi\" \\path\\to' 'tab\there' 'grüße €' 'plain plain plain plain'";
        assertThat(streamed(Map.of("cmd", cmd)))
                .isEqualTo("say \"hi\" \\path\\to\ntab\there\ngrüße €\nplain plain plain plain\n");
    }
}
