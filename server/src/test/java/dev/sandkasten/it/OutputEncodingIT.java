package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Text and bytes: split UTF-8, invalid bytes, base64, ANSI cleaning on a stream, truncation. */
class OutputEncodingIT extends SessionFixture {

    private static String chunks(List<TestClient.Event> events) {
        return events.stream().filter(e -> e.name().equals("chunk")).map(e -> e.data().get("chunk").asText())
                .reduce("", String::concat);
    }

    @Test
    void utf8SplitAcrossWritesArrivesWhole() throws Exception {
        // "€" is E2 82 AC; "😀" is F0 9F 98 80. Each is written in pieces with pauses between.
        String cmd = "printf '\\xe2'; sleep 0.3; printf '\\x82\\xac|'; printf '\\xf0\\x9f'; sleep 0.3; printf '\\x98\\x80'";
        try (var s = client.stream(session, cmd)) {
            List<TestClient.Event> events = s.readAll();
            assertThat(chunks(events)).isEqualTo("€|😀");
            assertThat(events).filteredOn(e -> e.name().equals("chunk"))
                    .allSatisfy(e -> assertThat(e.data().get("chunk").asText()).doesNotContain("\uFFFD"));
        }
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        JsonNode r = client.exec(session, "printf 'a\\xffb\\xc3'").body();
        assertThat(r.get("output").asText()).isEqualTo("a\uFFFDb\uFFFD");
    }

    @Test
    void base64IsByteExactInBothModes() throws Exception {
        client.run(session, "head -c 300000 /dev/urandom > /tmp/blob");
        String expected = client.run(session, "sha256sum /tmp/blob | cut -d' ' -f1").trim();
        JsonNode r = client.exec(session, Map.of("cmd", "cat /tmp/blob", "encoding", "base64")).body();
        assertThat(sha(Base64.getDecoder().decode(r.get("stdout").asText()))).isEqualTo(expected);
        try (var s = client.stream(session, Map.of("cmd", "cat /tmp/blob", "encoding", "base64", "chunk_size", 10000))) {
            var out = new java.io.ByteArrayOutputStream();
            for (TestClient.Event e : s.readAll()) {
                if (e.name().equals("chunk")) out.write(Base64.getDecoder().decode(e.data().get("chunk").asText()));
            }
            assertThat(sha(out.toByteArray())).isEqualTo(expected);
        }
    }

    @Test
    void ansiAndCrlfAreCleanedEvenWhenSplitAcrossChunks() throws Exception {
        String cmd = "printf '\\033[1;'; sleep 0.3; printf '31mred\\033[0m\\r'; sleep 0.3; printf '\\nnext\\033]0;title\\007\\r\\n'";
        try (var s = client.stream(session, cmd)) {
            assertThat(chunks(s.readAll())).isEqualTo("red\nnext\n");
        }
        JsonNode raw = client.exec(session, Map.of("cmd", "printf '\\033[31mred\\033[0m\\r\\n'", "raw_output", true)).body();
        assertThat(raw.get("output").asText()).isEqualTo("\u001b[31mred\u001b[0m\r\n");
    }

    @Test
    void blockingOutputOverTheCapKeepsHeadAndTail() {
        JsonNode r = client.exec(session, "echo HEAD; head -c 3000000 /dev/zero | tr '\\0' x; echo; echo TAIL").body();
        assertThat(r.get("truncated").asBoolean()).isTrue();
        String out = r.get("output").asText();
        assertThat(out).startsWith("HEAD\n").endsWith("TAIL\n").contains("bytes omitted");
        assertThat(out.length()).isLessThan((1 << 20) + 200);
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
