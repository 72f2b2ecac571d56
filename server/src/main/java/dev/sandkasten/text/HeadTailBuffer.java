package dev.sandkasten.text;

/**
 * Keeps the first and the last {@code cap / 2} bytes of an output of any size, and counts what
 * fell out between them. Memory stays at {@code cap} whatever the output volume. Not thread-safe.
 */
public final class HeadTailBuffer {
    private final byte[] head;
    private final byte[] tail;
    private int headLen;
    private long tailWritten;
    private long total;

    public HeadTailBuffer(int cap) {
        this.head = new byte[cap - cap / 2];
        this.tail = new byte[cap / 2];
    }

    public void append(byte[] b) {
        total += b.length;
        int off = 0;
        if (headLen < head.length) {
            int n = Math.min(head.length - headLen, b.length);
            System.arraycopy(b, 0, head, headLen, n);
            headLen += n;
            off = n;
        }
        if (tail.length == 0) return;
        for (int i = off; i < b.length; ) {
            int pos = (int) (tailWritten % tail.length);
            int n = Math.min(tail.length - pos, b.length - i);
            System.arraycopy(b, i, tail, pos, n);
            tailWritten += n;
            i += n;
        }
    }

    public boolean truncated() {
        return total > head.length + tail.length;
    }

    public long totalBytes() {
        return total;
    }

    /** Bytes dropped between head and tail. */
    public long omittedBytes() {
        return Math.max(0, total - head.length - tail.length);
    }

    public byte[] head() {
        return java.util.Arrays.copyOf(head, headLen);
    }

    /** The kept tail, oldest byte first. */
    public byte[] tail() {
        int len = (int) Math.min(tailWritten, tail.length);
        byte[] out = new byte[len];
        long start = tailWritten - len;
        for (int i = 0; i < len; i++) out[i] = tail[(int) ((start + i) % tail.length)];
        return out;
    }
}
