package dev.sandkasten.exec;

import java.util.Arrays;

/**
 * The sealed records an {@link ExecOutput} holds in memory, oldest first, in a growable ring.
 * Unlike an {@code ArrayDeque} it finds the record holding a log offset by binary search, and
 * every record keeps its sequence number, so a reader can continue where it was without
 * searching. Not thread-safe.
 */
final class RecordQueue {
    /**
     * A run of bytes from one stream, {@code bytes[0, length)}, at log offset {@code start}. The
     * array is shared with readers: never written once the record is sealed.
     */
    record Record(StdStream stream, long start, byte[] bytes, int length) {
        long end() {
            return start + length;
        }
    }

    private Record[] ring = new Record[16];
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

    Record first() {
        return ring[head];
    }

    Record bySeq(long seq) {
        long i = seq - firstSeq;
        return i < 0 || i >= size ? null : ring[(int) ((head + i) % ring.length)];
    }

    void addLast(Record r) {
        if (size == ring.length) {
            Record[] bigger = new Record[ring.length * 2];
            for (int i = 0; i < size; i++) bigger[i] = ring[(head + i) % ring.length];
            ring = bigger;
            head = 0;
        }
        ring[(head + size) % ring.length] = r;
        size++;
    }

    Record removeFirst() {
        Record r = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        size--;
        firstSeq++;
        return r;
    }

    void clear() {
        Arrays.fill(ring, null);
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
            Record r = ring[(head + mid) % ring.length];
            if (pos < r.start()) hi = mid - 1;
            else if (pos >= r.end()) lo = mid + 1;
            else return firstSeq + mid;
        }
        return -1;
    }
}
