package dev.sandkasten.exec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The disk part of one command's output log: a file of fixed-size blocks, each holding whole
 * pieces of output (a 4-byte header, then the bytes). The first quarter of the blocks keeps the
 * head of the output for good; the others form a ring that keeps the most recent output: when it
 * is full, its oldest block is dropped and reused, which is the only way output is ever lost, and
 * readers are told exactly which offsets went ({@link ExecOutput.Gap}). The file never grows
 * beyond {@code blocks * BLOCK} bytes.
 *
 * <p>Not thread-safe: the {@link ExecOutput} that owns it calls every method but {@link #write}
 * and {@link #read} under its lock. Block metadata lives in memory; the bytes are read back with
 * positional reads by each reader, validated afterwards against {@link Block#dropped}, since a
 * block may be reused while a reader copies from it.
 */
final class LogFile {
    /** Size of one block; a piece (at most {@link ExecOutput#MAX_RECORD} bytes) never spans two. */
    static final int BLOCK = 1 << 20;
    static final int HEADER = 4;
    /** Big enough that few writes remain, small enough to be cheap garbage; larger pieces go out alone. */
    private static final int GATHER_BUFFER = 8 * 1024;
    /** Header bit: this piece starts a new record (the reader's unit of slicing). */
    private static final int NEW_RECORD = 1 << 31;
    /** Header bit: the piece came from stderr. */
    private static final int STDERR = 1 << 30;
    private static final int LENGTH = (1 << 30) - 1;

    /** A block of the file and the log offsets {@code [startL, endL)} it holds. */
    static final class Block {
        final int slot;
        final long startL;
        long endL;
        int used;
        /** Set (before its slot is rewritten) when the ring drops the block. */
        volatile boolean dropped;

        Block(int slot, long startL) {
            this.slot = slot;
            this.startL = startL;
            this.endL = startL;
        }

        long filePosition(int offset) {
            return (long) slot * BLOCK + offset;
        }
    }

    /** One piece as found on disk. */
    record Piece(StdStream stream, boolean newRecord, int length) {}

    private final Path path;
    private final FileChannel channel;
    private final int slots;
    private final int headSlots;
    private int nextFreeSlot;
    /** Retained blocks in log order: the head blocks, then the ring's, oldest first. */
    private final List<Block> blocks = new ArrayList<>();
    private Block current;

    /**
     * Creates the file.
     *
     * @param maxBytes the most the file may hold (rounded down to whole blocks, at least 4)
     */
    LogFile(Path path, long maxBytes) throws IOException {
        this.path = path;
        this.slots = (int) Math.max(4, Math.min(Integer.MAX_VALUE, maxBytes / BLOCK));
        this.headSlots = Math.max(1, slots / 4);
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    Path path() {
        return path;
    }

    /**
     * Whether a piece of {@code length} bytes can be placed without dropping a block that holds
     * offsets at or after {@code keepFrom} (negative: nothing to keep).
     */
    boolean canPlace(int length, long keepFrom) {
        if (keepFrom < 0 || fitsInCurrent(length) || nextFreeSlot < slots) return true;
        Block victim = oldestRingBlock();
        return victim == null || victim.endL <= keepFrom;
    }

    private boolean fitsInCurrent(int length) {
        return current != null && current.used + HEADER + length <= BLOCK;
    }

    private Block oldestRingBlock() {
        for (Block b : blocks) if (b.slot >= headSlots && b != current) return b;
        return null;
    }

    /**
     * Reserves room for a piece at log offset {@code startL}, dropping the ring's oldest block if
     * the file is full, and returns the file position at which its header goes.
     */
    long place(long startL, int length) {
        if (!fitsInCurrent(length)) {
            int slot;
            if (nextFreeSlot < slots) {
                slot = nextFreeSlot++;
            } else {
                Block victim = oldestRingBlock();
                victim.dropped = true;
                blocks.remove(victim);
                slot = victim.slot;
            }
            current = new Block(slot, startL);
            blocks.add(current);
        }
        long position = current.filePosition(current.used);
        current.used += HEADER + length;
        current.endL = startL + length;
        return position;
    }

    /** The header of a piece. */
    static int header(StdStream stream, boolean newRecord, int length) {
        return (newRecord ? NEW_RECORD : 0) | (stream == StdStream.STDERR ? STDERR : 0) | length;
    }

    /** Writes a placed piece; only the one writer at a time calls this, outside the log's lock. */
    void write(long position, int header, ByteBuffer data) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER).putInt(0, header);
        ByteBuffer[] srcs = {h, data.duplicate()};
        channel.position(position);
        long want = HEADER + (long) data.remaining();
        for (long done = 0; done < want; ) done += channel.write(srcs);
    }

    /**
     * Places and writes pieces one after another, each a new record, gathering those that lie next
     * to each other in the file into one write. A log that moves to its file at the end of a chatty
     * command holds thousands of small records, and a write each meant a system call per line of
     * output. Call {@link Gather#flush()} at the end.
     */
    Gather gather() {
        return new Gather();
    }

    /** See {@link #gather()}. */
    final class Gather {
        private final ByteBuffer pending = ByteBuffer.allocate(GATHER_BUFFER);
        private long pendingAt;

        void add(StdStream stream, long startL, byte[] bytes, int offset, int length) throws IOException {
            long position = place(startL, length);
            int header = header(stream, true, length);
            if (pending.position() > 0
                    && (position != pendingAt + pending.position() || pending.remaining() < HEADER + length)) {
                flush();
            }
            if (pending.remaining() < HEADER + length) {
                write(position, header, ByteBuffer.wrap(bytes, offset, length));
                return;
            }
            if (pending.position() == 0) pendingAt = position;
            pending.putInt(header).put(bytes, offset, length);
        }

        void flush() throws IOException {
            pending.flip();
            long position = pendingAt;
            while (pending.hasRemaining()) position += channel.write(pending, position);
            pending.clear();
        }
    }

    /** The retained block holding log offset {@code pos}, or null if it was dropped or never written. */
    Block blockAt(long pos) {
        int lo = 0;
        int hi = blocks.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Block b = blocks.get(mid);
            if (pos < b.startL) hi = mid - 1;
            else if (pos >= b.endL) lo = mid + 1;
            else return b;
        }
        return null;
    }

    /** The block that follows {@code b} in the log if it starts where {@code b} ends, else null. */
    Block successor(Block b) {
        int i = blocks.indexOf(b);
        if (i < 0 || i + 1 >= blocks.size()) return null;
        Block next = blocks.get(i + 1);
        return next.startL == b.endL ? next : null;
    }

    /** The first retained offset after {@code pos}, or {@code limit} if nothing retained lies between. */
    long nextRetained(long pos, long limit) {
        for (Block b : blocks) if (b.startL > pos) return Math.min(b.startL, limit);
        return limit;
    }

    /** Gives up on the file (a write failed): every block counts as dropped, nothing more is written. */
    void fail() {
        for (Block b : blocks) b.dropped = true;
        blocks.clear();
        current = null;
        nextFreeSlot = slots;
    }

    /** Reads the header at {@code offset} in block {@code b}. */
    static Piece readHeader(FileChannel in, Block b, int offset) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        readFully(in, h, b.filePosition(offset));
        int v = h.getInt(0);
        return new Piece((v & STDERR) != 0 ? StdStream.STDERR : StdStream.STDOUT, (v & NEW_RECORD) != 0, v & LENGTH);
    }

    /** Reads {@code length} bytes of a piece's content, from {@code skip} bytes into it. */
    static void read(FileChannel in, Block b, int offset, int skip, byte[] into, int at, int length) throws IOException {
        readFully(in, ByteBuffer.wrap(into, at, length), b.filePosition(offset + HEADER + skip));
    }

    private static void readFully(FileChannel in, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = in.read(buf, position);
            if (n < 0) throw new IOException("output log ends early");
            position += n;
        }
    }

    /** Stops writing; the file stays for readers until {@link #delete()}. */
    void closeWriter() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was pending: every write completed or failed already
        }
    }

    void delete() {
        closeWriter();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // the session's directory goes with the session
        }
    }
}
