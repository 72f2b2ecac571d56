package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.Encoding;
import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Text and bytes: split UTF-8, invalid bytes, base64, ANSI cleaning on a stream, truncation. */
class OutputEncodingIT extends SessionFixture {

    @Test
    void utf8SplitAcrossWritesArrivesWhole() {
        // "€" is E2 82 AC; "😀" is F0 9F 98 80. Each is written in pieces with pauses between.
        String cmd = "printf '\\xe2'; sleep 0.3; printf '\\x82\\xac|'; printf '\\xf0\\x9f'; sleep 0.3; printf '\\x98\\x80'";
        List<ExecChunk> chunks = Sdk.readAll(session.execStream(cmd));
        assertThat(Sdk.text(chunks)).isEqualTo("€|😀");
        assertThat(Sdk.outputChunks(chunks)).allSatisfy(c -> assertThat(c.output()).doesNotContain("\uFFFD"));
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        assertThat(session.exec("printf 'a\\xffb\\xc3'").output()).isEqualTo("a\uFFFDb\uFFFD");
    }

    @Test
    void base64IsByteExactInBothModes() throws Exception {
        run("head -c 300000 /dev/urandom > /tmp/blob");
        String expected = run("sha256sum /tmp/blob | cut -d' ' -f1").trim();
        ExecResult r = session.exec("cat /tmp/blob", ExecOptions.builder().encoding(Encoding.BASE64).build());
        assertThat(r.encoding()).isEqualTo(Encoding.BASE64);
        assertThat(sha(Base64.getDecoder().decode(r.stdout()))).isEqualTo(expected);
        var out = new java.io.ByteArrayOutputStream();
        for (ExecChunk c : Sdk.readAll(session.execStream("cat /tmp/blob",
                ExecOptions.builder().encoding(Encoding.BASE64).chunkSize(10000).build()))) {
            out.write(Base64.getDecoder().decode(c.output()));
        }
        assertThat(sha(out.toByteArray())).isEqualTo(expected);
    }

    @Test
    void ansiAndCrlfAreCleanedEvenWhenSplitAcrossChunks() {
        String cmd = "printf '\\033[1;'; sleep 0.3; printf '31mred\\033[0m\\r'; sleep 0.3; printf '\\nnext\\033]0;title\\007\\r\\n'";
        assertThat(Sdk.text(Sdk.readAll(session.execStream(cmd)))).isEqualTo("red\nnext\n");
        ExecResult raw = session.exec("printf '\\033[31mred\\033[0m\\r\\n'", ExecOptions.builder().rawOutput(true).build());
        assertThat(raw.output()).isEqualTo("\u001b[31mred\u001b[0m\r\n");
    }

    @Test
    void blockingOutputOverTheCapKeepsHeadAndTail() {
        ExecResult r = session.exec("echo HEAD; head -c 3000000 /dev/zero | tr '\\0' x; echo; echo TAIL");
        assertThat(r.truncated()).isTrue();
        assertThat(r.omittedBytes()).isPositive();
        String out = r.output();
        assertThat(out).startsWith("HEAD\n").endsWith("TAIL\n").contains("bytes omitted");
        assertThat(out.length()).isLessThan((1 << 20) + 200);
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
