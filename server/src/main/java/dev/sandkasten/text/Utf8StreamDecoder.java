package dev.sandkasten.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes UTF-8 that arrives in pieces. An incomplete sequence at the end of a piece is held back
 * until the next piece completes it; invalid bytes become U+FFFD. Not thread-safe.
 */
public final class Utf8StreamDecoder {
    private byte[] carry = new byte[0];

    /** Decodes a piece; with {@code last}, whatever is held back is decoded too. */
    public String decode(byte[] piece, boolean last) {
        byte[] bytes = piece;
        if (carry.length > 0) {
            bytes = Arrays.copyOf(carry, carry.length + piece.length);
            System.arraycopy(piece, 0, bytes, carry.length, piece.length);
        }
        int keep = last ? 0 : incompleteTail(bytes, bytes.length);
        carry = keep == 0 ? new byte[0] : Arrays.copyOfRange(bytes, bytes.length - keep, bytes.length);
        return new String(bytes, 0, bytes.length - keep, StandardCharsets.UTF_8);
    }

    /** Number of bytes held back, waiting for the rest of their character. */
    public int pending() {
        return carry.length;
    }

    /**
     * Length of an incomplete (but so far valid-looking) UTF-8 sequence at the end of
     * {@code bytes[0, len)}, or 0.
     */
    public static int incompleteTail(byte[] bytes, int len) {
        int i = len - 1;
        int continuation = 0;
        while (i >= 0 && continuation < 3 && (bytes[i] & 0xC0) == 0x80) {
            i--;
            continuation++;
        }
        if (i < 0) return 0;
        int lead = bytes[i] & 0xFF;
        int need = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xC2 && lead <= 0xDF ? 2 : 0;
        int have = continuation + 1;
        return need > have ? have : 0;
    }

    /** Number of continuation bytes at the start of {@code bytes}, which belong to a character cut off before them. */
    public static int leadingContinuations(byte[] bytes) {
        int i = 0;
        while (i < bytes.length && i < 3 && (bytes[i] & 0xC0) == 0x80) i++;
        return i;
    }
}
