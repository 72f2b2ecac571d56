package dev.sandkasten.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextPipelineTest {

    @Test
    void utf8SplitAtEveryPositionDecodesLikeTheWhole() {
        byte[] all = "a€😀ß日本 — ok".getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= all.length; cut++) {
            Utf8StreamDecoder d = new Utf8StreamDecoder();
            String s = d.decode(java.util.Arrays.copyOfRange(all, 0, cut), false)
                    + d.decode(java.util.Arrays.copyOfRange(all, cut, all.length), true);
            assertThat(s).as("cut at %d", cut).isEqualTo("a€😀ß日本 — ok");
        }
    }

    @Test
    void invalidAndTruncatedBytesBecomeReplacementCharacters() {
        Utf8StreamDecoder d = new Utf8StreamDecoder();
        assertThat(d.decode(new byte[] {'a', (byte) 0xFF, 'b', (byte) 0xE2, (byte) 0x82}, false)).isEqualTo("a\uFFFDb");
        assertThat(d.pending()).isEqualTo(2);
        assertThat(d.decode(new byte[0], true)).isEqualTo("\uFFFD");
    }

    @Test
    void ansiSequencesAndCrlfAreRemovedWhereverTheStreamIsCut() {
        String raw = "\u001b[1;31mred\u001b[0m\r\nline\u001b]0;title\u0007 two\r\n\u001b(Bend\rbar";
        String expected = "red\nline two\nend\rbar";
        for (int cut = 0; cut <= raw.length(); cut++) {
            AnsiCleaner c = new AnsiCleaner();
            String out = c.clean(raw.substring(0, cut), false) + c.clean(raw.substring(cut), true);
            assertThat(out).as("cut at %d", cut).isEqualTo(expected);
        }
    }

    @Test
    void plainTextPassesThroughUntouched() {
        AnsiCleaner c = new AnsiCleaner();
        String s = "plain text\nwith lines\n";
        assertThat(c.clean(s, false)).isSameAs(s);
    }

    @Test
    void headTailBufferKeepsBothEndsAndCountsTheRest() {
        HeadTailBuffer b = new HeadTailBuffer(10);
        Random r = new Random(1);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            String piece = "x".repeat(r.nextInt(4)) + i;
            all.append(piece);
            b.append(piece.getBytes(StandardCharsets.US_ASCII));
        }
        String s = all.toString();
        assertThat(b.truncated()).isTrue();
        assertThat(new String(b.head(), StandardCharsets.US_ASCII)).isEqualTo(s.substring(0, 5));
        assertThat(new String(b.tail(), StandardCharsets.US_ASCII)).isEqualTo(s.substring(s.length() - 5));
        assertThat(b.omittedBytes()).isEqualTo(s.length() - 10);
    }

    @Test
    void headTailBufferUnderTheCapKeepsEverything() {
        HeadTailBuffer b = new HeadTailBuffer(100);
        b.append("hello ".getBytes(StandardCharsets.US_ASCII));
        b.append("world".getBytes(StandardCharsets.US_ASCII));
        assertThat(b.truncated()).isFalse();
        assertThat(new String(b.head(), StandardCharsets.US_ASCII) + new String(b.tail(), StandardCharsets.US_ASCII))
                .isEqualTo("hello world");
    }
}
