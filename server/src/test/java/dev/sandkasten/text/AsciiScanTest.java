package dev.sandkasten.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The word-at-a-time scans must agree with the obvious byte loops on every input. */
class AsciiScanTest {

    private static int naiveJsonEscape(byte[] b, int from, int end) {
        for (int i = from; i < end; i++) {
            int c = b[i] & 0xFF;
            if (c < 0x20 || c == '"' || c == '\\') return i;
        }
        return end;
    }

    private static int naiveEscapeOrNonAscii(byte[] b, int from, int end) {
        for (int i = from; i < end; i++) {
            int c = b[i] & 0xFF;
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) return i;
        }
        return end;
    }

    private static boolean naiveAscii(byte[] b, int off, int len, boolean noEscOrCr) {
        for (int i = off; i < off + len; i++) {
            if (b[i] < 0 || (noEscOrCr && (b[i] == 0x1B || b[i] == '\r'))) return false;
        }
        return true;
    }

    @Test
    void agreesWithByteLoopsOnRandomInput() {
        Random rnd = new Random(42);
        // Mostly plain letters with a rare byte of every other kind, at every alignment.
        byte[] rare = {0, 0x1B, '\r', '\n', '\t', '"', '\\', 0x1F, 0x20, 0x7F, (byte) 0x80, (byte) 0xFF, (byte) 0xC3, '!', '#', '[', ']'};
        for (int round = 0; round < 20_000; round++) {
            byte[] b = new byte[rnd.nextInt(40)];
            for (int i = 0; i < b.length; i++) {
                b[i] = rnd.nextInt(12) == 0 ? rare[rnd.nextInt(rare.length)] : (byte) ('a' + rnd.nextInt(26));
            }
            int off = b.length == 0 ? 0 : rnd.nextInt(b.length);
            int len = rnd.nextInt(b.length - off + 1);
            assertThat(AsciiScan.indexOfJsonEscape(b, off, off + len)).isEqualTo(naiveJsonEscape(b, off, off + len));
            assertThat(AsciiScan.indexOfJsonEscapeOrNonAscii(b, off, off + len)).isEqualTo(naiveEscapeOrNonAscii(b, off, off + len));
            assertThat(AsciiScan.isAscii(b, off, len, true)).isEqualTo(naiveAscii(b, off, len, true));
            assertThat(AsciiScan.isAscii(b, off, len, false)).isEqualTo(naiveAscii(b, off, len, false));
        }
    }

    @Test
    void everySingleByteValueIsClassifiedExactly() {
        for (int v = 0; v < 256; v++) {
            for (int pos = 0; pos < 16; pos++) {
                byte[] b = "abcdefghijklmnop".getBytes(StandardCharsets.US_ASCII);
                b[pos] = (byte) v;
                assertThat(AsciiScan.indexOfJsonEscape(b, 0, 16)).as("byte %02x at %d", v, pos).isEqualTo(naiveJsonEscape(b, 0, 16));
                assertThat(AsciiScan.indexOfJsonEscapeOrNonAscii(b, 0, 16)).as("byte %02x at %d", v, pos)
                        .isEqualTo(naiveEscapeOrNonAscii(b, 0, 16));
                assertThat(AsciiScan.isAscii(b, 0, 16, true)).as("byte %02x at %d", v, pos).isEqualTo(naiveAscii(b, 0, 16, true));
                assertThat(AsciiScan.isAscii(b, 0, 16, false)).as("byte %02x at %d", v, pos).isEqualTo(naiveAscii(b, 0, 16, false));
            }
        }
    }

    @Test
    void passThroughOnlyWhenEncodingWouldReturnTheSameBytes() {
        TextEncoder clean = new TextEncoder(TextEncoder.Encoding.UTF8, false);
        byte[] plain = "hello \"world\"\n".getBytes(StandardCharsets.UTF_8);
        assertThat(clean.passesThrough(plain, 0, plain.length)).isTrue();
        byte[] colored = "\u001b[31mred".getBytes(StandardCharsets.UTF_8);
        assertThat(clean.passesThrough(colored, 0, colored.length)).isFalse();
        assertThat(clean.passesThrough("a\r\n".getBytes(StandardCharsets.UTF_8), 0, 3)).isFalse();
        // An escape sequence left open by the previous piece: the next plain-looking piece is inside it.
        assertThat(clean.next("x\u001b[3".getBytes(StandardCharsets.UTF_8))).isEqualTo("x");
        assertThat(clean.passesThrough(plain, 0, plain.length)).isFalse();

        TextEncoder raw = new TextEncoder(TextEncoder.Encoding.UTF8, true);
        assertThat(raw.passesThrough(colored, 0, colored.length)).isTrue();
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        assertThat(raw.passesThrough(euro, 0, euro.length)).isFalse();
        assertThat(raw.next(euro, 0, 2)).isEmpty(); // a held-back partial character
        assertThat(raw.passesThrough(plain, 0, plain.length)).isFalse();

        assertThat(new TextEncoder(TextEncoder.Encoding.BASE64, true).passesThrough(plain, 0, plain.length)).isFalse();
    }
}
