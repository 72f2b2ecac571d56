package dev.sandkasten.text;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds bytes of interest in output eight at a time. Streaming passes every output byte through
 * a few such scans (is it plain ASCII? where is the next byte JSON must escape?), and a
 * byte-by-byte loop was a large share of the daemon's CPU per gigabyte. The word tests are the
 * classic "has a zero byte" / "has a byte less than n" bit tricks, exact as yes/no answers; the
 * word that says yes is then scanned byte by byte.
 */
public final class AsciiScan {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private AsciiScan() {}

    /** Index of the first byte in {@code b[from, end)} that a JSON string must escape (control, quote, backslash), or {@code end}. */
    public static int indexOfJsonEscape(byte[] b, int from, int end) {
        int i = from;
        while (i + 8 <= end) {
            long x = (long) LONGS.get(b, i);
            long quote = x ^ (ONES * '"');
            long backslash = x ^ (ONES * '\\');
            // Branch-free: bytes below 0x20, equal to '"' or equal to '\\' each set a high bit.
            long hits = ((x - ONES * 0x20) & ~x) | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash);
            if ((hits & HIGHS) != 0) break;
            i += 8;
        }
        for (; i < end; i++) {
            int c = b[i] & 0xFF;
            if (c < 0x20 || c == '"' || c == '\\') return i;
        }
        return end;
    }

    /**
     * Index of the first byte in {@code b[from, end)} that a JSON string must escape or that is
     * not ASCII (0x80 and up), or {@code end}: one pass that serves both questions when the
     * answer for most output is "none".
     */
    public static int indexOfJsonEscapeOrNonAscii(byte[] b, int from, int end) {
        int i = from;
        while (i + 8 <= end) {
            long x = (long) LONGS.get(b, i);
            long quote = x ^ (ONES * '"');
            long backslash = x ^ (ONES * '\\');
            long hits = ((x - ONES * 0x20) & ~x) | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash) | x;
            if ((hits & HIGHS) != 0) break;
            i += 8;
        }
        for (; i < end; i++) {
            int c = b[i] & 0xFF;
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) return i;
        }
        return end;
    }

    /** Whether {@code b[off, off + len)} is all ASCII and, if {@code noEscOrCr}, holds no ESC or CR either. */
    public static boolean isAscii(byte[] b, int off, int len, boolean noEscOrCr) {
        int end = off + len;
        int i = off;
        for (; i + 8 <= end; i += 8) {
            long x = (long) LONGS.get(b, i);
            if ((x & HIGHS) != 0) return false;
            // ESC and CR are control bytes: the exact tests only run on words that hold one.
            if (noEscOrCr && hasLessThan(x, 0x20) && (hasByte(x, 0x1B) || hasByte(x, '\r'))) return false;
        }
        for (; i < end; i++) {
            byte c = b[i];
            if (c < 0 || (noEscOrCr && (c == 0x1B || c == '\r'))) return false;
        }
        return true;
    }

    private static boolean hasByte(long x, int value) {
        long y = x ^ (ONES * value);
        return ((y - ONES) & ~y & HIGHS) != 0;
    }

    private static boolean hasLessThan(long x, int n) {
        return ((x - ONES * n) & ~x & HIGHS) != 0;
    }
}
