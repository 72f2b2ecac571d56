package dev.sandkasten.exec;

import java.util.Arrays;

/**
 * The sealed records an {@link ExecOutput} holds in memory, oldest first, in a growable ring.
 * Unlike an {@code ArrayDeque} it finds the record holding a log offset by binary search, and
 * every record keeps its sequence number, so a reader can continue where it was without
 * searching. Not thread-safe.
 *
 * <p>A record is a run of bytes from one stream, {@code bytes(seq)[offset(seq), offset(seq) +
 * length(seq))}, at log offset {@code start(seq)}. Records are kept in parallel arrays, not as
 * objects, and many records share one byte array: a thousand streams writing ten lines a second
 * each would otherwise leave two objects per line for every young collection to copy, which
 * made up most of its pause. The bytes of a sealed record are shared with readers and never
 * written again.
 */
final class RecordQueue {
    private static final StdStream[] STREAMS = StdStream.values();

    private byte[][] bytes = new byte[16][];
    private int[] offsets = new int[16];
    private int[] lengths = new int[16];
    private long[] starts = new long[16];
    private byte[] streams = new byte[16];
    private int head;
    private int size;
    /** Sequence number of the record at the head. */
    private long firstSeq;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    long firstSeq() {
        return firstSeq;
    }

    /** Whether the record {@code seq} is held and holds log offset {@code pos}. */
    boolean holds(long seq, long pos) {
        long i = seq - firstSeq;
        if (i < 0 || i >= size) return false;
        int slot = slot(seq);
        return pos >= starts[slot] && pos < starts[slot] + lengths[slot];
    }

    StdStream stream(long seq) {
        return STREAMS[streams[slot(seq)]];
    }

    long start(long seq) {
        return starts[slot(seq)];
    }

    long end(long seq) {
        int slot = slot(seq);
        return starts[slot] + lengths[slot];
    }

    int length(long seq) {
        return lengths[slot(seq)];
    }

    byte[] bytes(long seq) {
        return bytes[slot(seq)];
    }

    int offset(long seq) {
        return offsets[slot(seq)];
    }

    private int slot(long seq) {
        return (int) ((head + (seq - firstSeq)) % starts.length);
    }

    void addLast(StdStream stream, long start, byte[] data, int offset, int length) {
        if (size == starts.length) grow();
        int slot = (head + size) % starts.length;
        bytes[slot] = data;
        offsets[slot] = offset;
        lengths[slot] = length;
        starts[slot] = start;
        streams[slot] = (byte) stream.ordinal();
        size++;
    }

    private void grow() {
        int n = starts.length * 2;
        byte[][] b = new byte[n][];
        int[] o = new int[n];
        int[] l = new int[n];
        long[] s = new long[n];
        byte[] st = new byte[n];
        for (int i = 0; i < size; i++) {
            int from = (head + i) % starts.length;
            b[i] = bytes[from];
            o[i] = offsets[from];
            l[i] = lengths[from];
            s[i] = starts[from];
            st[i] = streams[from];
        }
        bytes = b;
        offsets = o;
        lengths = l;
        starts = s;
        streams = st;
        head = 0;
    }

    /** Drops the oldest record; returns its length. */
    int removeFirst() {
        int length = lengths[head];
        bytes[head] = null;
        head = (head + 1) % starts.length;
        size--;
        firstSeq++;
        return length;
    }

    void clear() {
        Arrays.fill(bytes, null);
        firstSeq += size;
        head = 0;
        size = 0;
    }

    /** Sequence number of the record holding log offset {@code pos}, or -1 if none does. */
    long seqOf(long pos) {
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int slot = (head + mid) % starts.length;
            if (pos < starts[slot]) hi = mid - 1;
            else if (pos >= starts[slot] + lengths[slot]) lo = mid + 1;
            else return firstSeq + mid;
        }
        return -1;
    }
}
