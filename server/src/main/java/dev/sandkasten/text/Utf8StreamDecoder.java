package dev.sandkasten.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes UTF-8 that arrives in pieces. An incomplete sequence at the end of a piece is held back
 * until the next piece completes it; invalid bytes become U+FFFD. Not thread-safe.
 */
public final class Utf8StreamDecoder {
    private static final byte[] EMPTY = new byte[0];

    private byte[] carry = EMPTY;

    /** Decodes a piece; with {@code last}, whatever is held back is decoded too. */
    public String decode(byte[] piece, boolean last) {
        return decode(piece, 0, piece.length, last);
    }

    /** Decodes {@code piece[off, off + len)}; with {@code last}, whatever is held back is decoded too. */
    public String decode(byte[] piece, int off, int len, boolean last) {
        byte[] bytes = piece;
        int start = off;
        int end = off + len;
        if (carry.length > 0) {
            bytes = Arrays.copyOf(carry, carry.length + len);
            System.arraycopy(piece, off, bytes, carry.length, len);
            start = 0;
            end = bytes.length;
        }
        int keep = last ? 0 : incompleteTail(bytes, start, end);
        carry = keep == 0 ? EMPTY : Arrays.copyOfRange(bytes, end - keep, end);
        return new String(bytes, start, end - start - keep, StandardCharsets.UTF_8);
    }

    /** Number of bytes held back, waiting for the rest of their character. */
    public int pending() {
        return carry.length;
    }

    /**
     * Length of an incomplete (but so far valid-looking) UTF-8 sequence at the end of
     * {@code bytes[start, end)}, or 0.
     */
    public static int incompleteTail(byte[] bytes, int start, int end) {
        int i = end - 1;
        int continuation = 0;
        while (i >= start && continuation < 3 && (bytes[i] & 0xC0) == 0x80) {
            i--;
            continuation++;
        }
        if (i < start) return 0;
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
