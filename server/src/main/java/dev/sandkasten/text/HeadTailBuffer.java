package dev.sandkasten.text;

import java.util.Arrays;

/**
 * Keeps the first and the last {@code cap / 2} bytes of an output of any size, and counts what
 * fell out between them. Memory grows with the output up to {@code cap} and stays there, so the
 * common small output costs little and a huge one stays bounded. Not thread-safe.
 */
public final class HeadTailBuffer {
    private final int headCap;
    private final int tailCap;
    private byte[] head = new byte[256];
    private int headLen;
    private byte[] tail;
    private long tailWritten;
    private long total;

    public HeadTailBuffer(int cap) {
        this.headCap = cap - cap / 2;
        this.tailCap = cap / 2;
    }

    public void append(byte[] b) {
        append(b, 0, b.length);
    }

    public void append(byte[] b, int offset, int length) {
        total += length;
        int off = offset;
        int end = offset + length;
        if (headLen < headCap) {
            int n = Math.min(headCap - headLen, length);
            if (headLen + n > head.length) {
                head = Arrays.copyOf(head, Math.min(headCap, Math.max(head.length * 2, headLen + n)));
            }
            System.arraycopy(b, offset, head, headLen, n);
            headLen += n;
            off += n;
        }
        if (off == end || tailCap == 0) return;
        if (tail == null) tail = new byte[tailCap];
        for (int i = off; i < end; ) {
            int pos = (int) (tailWritten % tailCap);
            int n = Math.min(tailCap - pos, end - i);
            System.arraycopy(b, i, tail, pos, n);
            tailWritten += n;
            i += n;
        }
    }

    public boolean truncated() {
        return total > (long) headCap + tailCap;
    }

    /** Bytes dropped between head and tail. */
    public long omittedBytes() {
        return Math.max(0, total - headCap - tailCap);
    }

    public byte[] head() {
        return Arrays.copyOf(head, headLen);
    }

    /** The kept tail, oldest byte first. */
    public byte[] tail() {
        if (tail == null) return new byte[0];
        int len = (int) Math.min(tailWritten, tailCap);
        byte[] out = new byte[len];
        long start = tailWritten - len;
        for (int i = 0; i < len; ) {
            int pos = (int) ((start + i) % tailCap);
            int n = Math.min(tailCap - pos, len - i);
            System.arraycopy(tail, pos, out, i, n);
            i += n;
        }
        return out;
    }
}
