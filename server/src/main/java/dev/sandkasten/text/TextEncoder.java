package dev.sandkasten.text;

import java.util.Arrays;
import java.util.Base64;

/**
 * Turns one output stream's bytes into the text a client receives, piece by piece: UTF-8 (with
 * optional ANSI/CRLF cleaning) or base64. Keep one per stream, because a held-back partial
 * character or escape sequence belongs to the stream it came from. Not thread-safe.
 */
public final class TextEncoder {
    /** The wire encodings of output. */
    public enum Encoding {
        UTF8("utf8"),
        BASE64("base64");

        private final String wireName;

        Encoding(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    private final Encoding encoding;
    private final Utf8StreamDecoder decoder = new Utf8StreamDecoder();
    private final AnsiCleaner cleaner;

    /** @param raw keep bytes as written; otherwise remove ANSI escapes and turn CRLF into LF (UTF-8 only) */
    public TextEncoder(Encoding encoding, boolean raw) {
        this.encoding = encoding;
        this.cleaner = raw || encoding == Encoding.BASE64 ? null : new AnsiCleaner();
    }

    /** Encodes the next piece; may return an empty string when everything is held back. */
    public String next(byte[] piece) {
        return next(piece, 0, piece.length);
    }

    /** Encodes {@code bytes[off, off + len)} as the next piece. */
    public String next(byte[] bytes, int off, int len) {
        if (encoding == Encoding.BASE64) {
            return Base64.getEncoder().encodeToString(Arrays.copyOfRange(bytes, off, off + len));
        }
        String text = decoder.decode(bytes, off, len, false);
        return cleaner == null ? text : cleaner.clean(text, false);
    }

    /** Encodes a last piece and releases anything held back. */
    public String finish(byte[] piece) {
        if (encoding == Encoding.BASE64) return Base64.getEncoder().encodeToString(piece);
        String text = decoder.decode(piece, true);
        return cleaner == null ? text : cleaner.clean(text, true);
    }

    /**
     * Whether {@code bytes[off, off + len)} would be encoded as exactly those bytes: ASCII in
     * UTF-8 mode, with nothing held back and nothing for the cleaner to remove. A caller may then
     * use the bytes as the text's UTF-8 form and skip {@link #next}, which under heavy output
     * saves decoding, cleaning and re-encoding every byte. The encoder's state is unchanged
     * either way.
     */
    public boolean passesThrough(byte[] bytes, int off, int len) {
        if (!mayPassThrough()) return false;
        return AsciiScan.isAscii(bytes, off, len, removesEscAndCr());
    }

    /**
     * Whether a next piece of plain ASCII would be encoded as itself: UTF-8 mode with nothing
     * held back. Which ASCII is plain is for the caller to check as it writes (see
     * {@link #removesEscAndCr()}), in the same pass as its own escaping.
     */
    public boolean mayPassThrough() {
        return encoding == Encoding.UTF8 && decoder.pending() == 0 && (cleaner == null || cleaner.idle());
    }

    /** Whether ESC and CR are cleaned away, i.e. are not plain. */
    public boolean removesEscAndCr() {
        return cleaner != null;
    }
}
