package dev.sandkasten.exec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output log of one command: bytes from stdout and stderr in arrival order, each byte at an
 * offset in the log (the HTTP layer's SSE event ids), read by any number of {@link Reader}s,
 * each from any offset.
 *
 * <p><b>Records.</b> What arrives is gathered into records: a record holds bytes of one stream
 * and is sealed when a reader asks for bytes past the sealed ones, when the other stream
 * writes, or at {@link #MAX_RECORD}. Readers slice records, never join them, so every reader
 * sees the same batches for the same start and chunk size, whatever its timing; while readers
 * keep up, records are single reads (low latency), and while they lag, reads gather into
 * bigger records (fewer, larger events).
 *
 * <p><b>Memory and disk.</b> The most recent records, about {@code window} bytes, stay in
 * memory for live readers, copied from the pump's reads into blocks that many records share
 * ({@link RecordQueue}); readers get slices of them, not copies. Once a log outgrows its window
 * it gets a {@link LogFile}, and from then on every piece is also written to it as it arrives,
 * so a reader can start anywhere. The file holds at most {@code maxFileBytes}: beyond that it
 * keeps the head and the most recent output and drops the oldest middle, and a reader that
 * needed dropped bytes gets a {@link Gap} with their offsets, never silence.
 *
 * <p><b>Backpressure.</b> A reader is live while it reads from memory. The writer never runs
 * more than the window ahead of the slowest live reader: the pump blocks, the pipe fills and
 * the program waits. A reader replaying older output from the file does not hold the writer to
 * the window (once it catches up it is live), but the writer never drops from the file what an
 * attached reader has yet to read: it waits instead. So an attached client never misses a byte,
 * and only output nobody was reading can be dropped. A client that went away may leave a
 * {@linkplain #hold hold} that protects its position the same way for its grace, so it can
 * resume where it was. Memory per log is bounded by the window whatever the output and the
 * number of readers; disk by {@code maxFileBytes}.
 */
public final class ExecOutput {
    private static final Logger log = LoggerFactory.getLogger(ExecOutput.class);
    /** Largest record and largest piece written to the file. */
    static final int MAX_RECORD = 64 * 1024;
    /** Memory a record costs beyond its bytes; counted, so tiny records cannot pile up past the window. */
    static final int RECORD_OVERHEAD = 64;
    /**
     * Records share byte arrays ("blocks") of up to this size: a new block starts at {@link
     * #MIN_BLOCK} and doubles, so a command that prints a word does not hold 4 KB.
     */
    static final int BLOCK = 4096;
    static final int MIN_BLOCK = 256;
    /** A finished log smaller than this stays in memory; a larger one goes to its file. */
    static final int KEEP_IN_MEMORY = 8 * 1024;

    /** What a reader gets next. A closed set: bytes, news of lost bytes, or the end. */
    public sealed interface Read permits Batch, Gap, End {}

    /**
     * A run of bytes from one stream, {@code bytes[offset, offset + length)}, ending at log offset
     * {@code endOffset}. Read it, never write it; it is valid until the reader's next call.
     */
    public record Batch(StdStream stream, byte[] bytes, int offset, int length, long endOffset) implements Read {}

    /** The bytes at offsets {@code [from, to)} were dropped (retention cap); reading goes on at {@code to}. */
    public record Gap(long from, long to) implements Read {
        public long bytes() {
            return to - from;
        }
    }

    /** The log is finished and fully read (or closed). */
    public record End() implements Read {}

    public static final End END = new End();

    private final long window;
    private final Path filePath;
    private final long maxFileBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    /** Orders the two pumps' appends, so pieces reach the file in log order; held across file writes. */
    private final ReentrantLock appendLock = new ReentrantLock();

    private final RecordQueue memory = new RecordQueue();
    /** Offset of the first byte held in memory; everything before it is in the file or dropped. */
    private long memStart;
    private long memCost;
    private long sealedEnd;
    /** Where new bytes go: the open record is {@code block[openOffset, openOffset + openLength)}, at the end of what is used. */
    private byte[] block;
    private int openOffset;
    private int openLength;
    private StdStream openStream;
    private long end;
    private final long[] written = new long[StdStream.values().length];
    private boolean finished;
    private boolean closed;
    /** The command was killed: the rest of its pipes goes in without waiting for anyone. */
    private boolean draining;
    private final List<Reader> readers = new ArrayList<>();
    /** Offset a detached client needs to resume from, or -1. */
    private long holdFrom = -1;
    private long holdUntilNanos;
    /** Set once, under both locks; read by the appender without the main lock. */
    private LogFile file;
    private boolean fileFailed;

    /**
     * @param window bytes kept in memory for live readers, and how far the writer may run ahead of them
     * @param filePath where the log's file goes if it needs one (in a directory the sandbox cannot see)
     * @param maxFileBytes the most the file may hold
     */
    public ExecOutput(long window, Path filePath, long maxFileBytes) {
        this.window = window;
        this.filePath = filePath;
        this.maxFileBytes = maxFileBytes;
    }

    /**
     * Adds the remaining bytes of {@code data} (its position is left as it was), waiting while a
     * live reader is a window behind or while a hold keeps the file's ring from making room.
     */
    public void append(StdStream stream, ByteBuffer data) throws InterruptedException {
        // Pieces of at most MAX_RECORD, so that a piece always fits in one block of the file.
        int from = data.position();
        int to = data.limit();
        if (from == 0 && to <= MAX_RECORD) {
            appendPiece(stream, data); // the usual case, without a slice per read
            return;
        }
        for (int at = from; at < to; at += MAX_RECORD) {
            appendPiece(stream, data.slice(at, Math.min(MAX_RECORD, to - at)));
        }
    }

    private void appendPiece(StdStream stream, ByteBuffer data) throws InterruptedException {
        int n = data.remaining();
        appendLock.lockInterruptibly();
        try {
            long position = -1;
            int header = 0;
            LogFile target = null;
            lock.lockInterruptibly();
            try {
                written[stream.ordinal()] += n;
                if (!admit(stream, n)) return;
                boolean newRecord = openLength == 0;
                long start = end;
                if (newRecord) {
                    openStream = stream;
                    memCost += RECORD_OVERHEAD;
                    if (block == null || openOffset + n > block.length) newBlock(n);
                } else if (openOffset + openLength + n > block.length) {
                    newBlock(openLength + n);
                }
                data.get(0, block, openOffset + openLength, n);
                openLength += n;
                memCost += n;
                end += n;
                if (file != null) {
                    target = file;
                    position = file.place(start, n);
                    header = LogFile.header(stream, newRecord, n);
                }
                readable.signalAll();
            } finally {
                lock.unlock();
            }
            if (target != null) {
                try {
                    target.write(position, header, data);
                } catch (IOException e) {
                    lock.lock();
                    try {
                        failFile(e);
                    } finally {
                        lock.unlock();
                    }
                }
            }
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Moves the open record (possibly empty) to a new block with room for {@code needed} bytes.
     * The open record at least doubles each time, as a record gathering behind a slow reader
     * grows, so its bytes are copied a bounded number of times.
     */
    private void newBlock(int needed) {
        int size = Math.max(Math.min(MAX_RECORD, Math.max(needed, 2 * openLength)),
                Math.min(BLOCK, block == null ? MIN_BLOCK : 2 * block.length));
        byte[] b = new byte[size];
        if (openLength > 0) System.arraycopy(block, openOffset, b, 0, openLength);
        block = b;
        openOffset = 0;
    }

    /**
     * Waits until {@code n} more bytes from {@code stream} may be added; false if the log was
     * closed meanwhile (the bytes are then dropped). Seals the open record if they cannot join it.
     */
    private boolean admit(StdStream stream, int n) throws InterruptedException {
        while (true) {
            if (closed) return false;
            if (openLength > 0 && (openStream != stream || openLength + n > MAX_RECORD)) sealOpen();
            long cost = openLength > 0 ? n : n + RECORD_OVERHEAD;
            if (draining) {
                forceRoom(cost);
                return true;
            }
            if (!makeRoom(cost)) {
                writable.await(); // a live reader is a window behind
                continue;
            }
            if (file == null || file.canPlace(n, keepFrom())) return true;
            // The file's ring is full of output a reader (or a departed client's hold) still needs.
            if (holdFrom < 0) {
                writable.await();
            } else if (holdUntilNanos - System.nanoTime() <= 0) {
                holdFrom = -1;
            } else {
                writable.awaitNanos(holdUntilNanos - System.nanoTime());
            }
        }
    }

    /** The oldest offset an attached reader or a hold still needs, or -1. */
    private long keepFrom() {
        long keep = holdFrom;
        for (Reader r : readers) if (keep < 0 || r.pos < keep) keep = r.pos;
        return keep;
    }

    /**
     * Evicts the oldest records until {@code cost} more fits in the window; false if a live
     * reader still needs the oldest one. Records go to the file first if the log has none yet.
     */
    private boolean makeRoom(long cost) {
        while (memCost + cost > window && !memory.isEmpty()) {
            if (memory.end(memory.firstSeq()) > minLivePosition()) return false;
            if (file == null && !fileFailed) createFile();
            evictOldest();
        }
        return true;
    }

    /** Evicts without regard to readers: they find the records in the file (or get a gap). */
    private void forceRoom(long cost) {
        while (memCost + cost > window && !memory.isEmpty()) {
            if (file == null && !fileFailed) createFile();
            evictOldest();
        }
    }

    private void evictOldest() {
        memStart = memory.end(memory.firstSeq());
        memCost -= memory.removeFirst() + RECORD_OVERHEAD;
    }

    private long minLivePosition() {
        long min = Long.MAX_VALUE;
        for (Reader r : readers) if (r.pos >= memStart) min = Math.min(min, r.pos);
        return min;
    }

    /**
     * Creates the file and writes what memory holds into it, each record as one piece. Called
     * with both locks held, once per log; afterwards every append writes through.
     */
    private void createFile() {
        try {
            LogFile f = new LogFile(filePath, maxFileBytes);
            file = f;
            LogFile.Gather out = f.gather();
            for (long seq = memory.firstSeq(); seq < memory.firstSeq() + memory.size(); seq++) {
                out.add(memory.stream(seq), memory.start(seq), memory.bytes(seq), memory.offset(seq), memory.length(seq));
            }
            if (openLength > 0) out.add(openStream, sealedEnd, block, openOffset, openLength);
            out.flush();
        } catch (IOException e) {
            failFile(e);
        }
    }

    /** The file cannot be written (disk full?): what is not in memory is lost, and readers are told so. */
    private void failFile(IOException e) {
        if (fileFailed || closed) return;
        log.warn("output log {} cannot be written, older output of this command is dropped: {}", filePath, e.toString());
        fileFailed = true;
        if (file != null) {
            file.fail();
            file.delete();
        }
        file = null;
    }

    /** Makes the open record readable. */
    private void sealOpen() {
        if (openLength == 0) return;
        memory.addLast(openStream, sealedEnd, block, openOffset, openLength);
        sealedEnd += openLength;
        openOffset += openLength; // the next record follows in the same block
        openLength = 0;
    }

    /** No more output will come; readers see the end after what is there. */
    public void finish() {
        lock.lock();
        try {
            sealOpen();
            finished = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * After {@link #finish()}: frees the memory of a log that has (or now gets) a file, and
     * closes the file for writing. May do file I/O, so it runs off the command's clock.
     */
    public void compact() {
        appendLock.lock();
        lock.lock();
        try {
            if (!finished || closed) return;
            if (file == null && !fileFailed && memCost > KEEP_IN_MEMORY) createFile();
            if (file != null) {
                while (!memory.isEmpty()) evictOldest();
                block = null; // finished: no record will be written into it again
                openOffset = 0;
                file.closeWriter();
            }
        } finally {
            lock.unlock();
            appendLock.unlock();
        }
    }

    /**
     * Ends the log for good (its session is gone, or it is no longer listed): writers return at
     * once, readers get the end, and the file is deleted.
     */
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            memory.clear();
            block = null;
            openOffset = 0;
            openLength = 0;
            memCost = 0;
            if (file != null) file.delete();
            readable.signalAll();
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The command was killed: what is still in its pipes (at most a pipe's worth per stream) goes
     * in without waiting for readers or holds, so a stalled client cannot keep the session's
     * worker from finishing the command. A reader that then falls behind the file's ring gets a gap.
     */
    public void drain() {
        lock.lock();
        try {
            draining = true;
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Keeps the output from {@code from} on retrievable for {@code grace}: the writer waits rather
     * than drop it from the file, as it does for an attached reader.
     */
    public void hold(long from, Duration grace) {
        lock.lock();
        try {
            if (finished || closed) return;
            holdFrom = holdFrom < 0 ? from : Math.min(holdFrom, from);
            holdUntilNanos = Math.max(holdUntilNanos, System.nanoTime() + grace.toNanos());
        } finally {
            lock.unlock();
        }
    }

    /** Lets the writer drop held output again (a client attached, or the command is cancelled). */
    public void releaseHold() {
        lock.lock();
        try {
            holdFrom = -1;
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Bytes the command wrote to {@code stream} so far, whether or not anyone read them. */
    public long bytes(StdStream stream) {
        lock.lock();
        try {
            return written[stream.ordinal()];
        } finally {
            lock.unlock();
        }
    }

    /** Offset after the last byte so far: the total of both streams. */
    public long end() {
        lock.lock();
        try {
            return end;
        } finally {
            lock.unlock();
        }
    }

    /** Memory the records take as counted against the window (for tests). */
    long memoryCost() {
        lock.lock();
        try {
            return memCost;
        } finally {
            lock.unlock();
        }
    }

    public boolean isFinished() {
        lock.lock();
        try {
            return finished;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A new reader at {@code from}, clamped to the end so far; close it when done. A reader
     * within the window is live from the start.
     */
    public Reader reader(long from) {
        if (from < 0) throw new IllegalArgumentException("negative offset " + from);
        lock.lock();
        try {
            Reader r = new Reader(Math.min(from, end));
            if (!closed) readers.add(r);
            return r;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One client's position in the log. Not thread-safe: one thread reads; {@link #close()} may
     * come from another.
     */
    public final class Reader implements AutoCloseable {
        /** Guarded by the log's lock. */
        private long pos;
        private boolean readerClosed;
        /** Set by {@link #wake()}; guarded by the log's lock. */
        private boolean woken;
        private long hintSeq = -1;
        private FileChannel channel;
        private byte[] scratch;
        private LogFile.Block diskBlock;
        private int diskOffset;
        private long diskPieceStart;

        private Reader(long pos) {
            this.pos = pos;
        }

        /** Offset of the next byte this reader gets. */
        public long position() {
            lock.lock();
            try {
                return pos;
            } finally {
                lock.unlock();
            }
        }

        /** Whether the reader reads from memory, so the writer waits for it. */
        public boolean live() {
            lock.lock();
            try {
                return !readerClosed && pos >= memStart;
            } finally {
                lock.unlock();
            }
        }

        /**
         * The next batch (at most {@code maxBytes}, within one record), a gap, or the end; null
         * if nothing arrived within the timeout.
         */
        public Read next(int maxBytes, long timeout, TimeUnit unit) throws InterruptedException {
            return next(maxBytes, unit.toNanos(timeout), true);
        }

        /**
         * Like {@link #next(int, long, TimeUnit)} without a timeout: waits until there is
         * something to read or {@link #wake()} is called, and then returns null. An untimed wait
         * costs a virtual thread a plain park, where a timed one also registers and cancels a
         * timer with the scheduler's delay thread: with a thousand streams that was a tenth of
         * the daemon's CPU.
         */
        public Read next(int maxBytes) throws InterruptedException {
            return next(maxBytes, 0, false);
        }

        /** Makes a waiting (or the next) untimed {@link #next(int)} return null if nothing is there. */
        public void wake() {
            lock.lock();
            try {
                woken = true;
                readable.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private Read next(int maxBytes, long nanos, boolean timed) throws InterruptedException {
            lock.lockInterruptibly();
            try {
                while (true) {
                    if (readerClosed || closed) return END;
                    if (pos < memStart) {
                        Read r = fromDisk(maxBytes);
                        if (r != null) return r;
                    } else if (pos < sealedEnd) {
                        return fromMemory(maxBytes);
                    } else if (pos < end) {
                        sealOpen();
                    } else if (finished) {
                        return END;
                    } else if (!timed) {
                        if (woken) {
                            woken = false;
                            return null;
                        }
                        readable.await();
                    } else if (nanos <= 0) {
                        return null;
                    } else {
                        nanos = readable.awaitNanos(nanos);
                    }
                }
            } finally {
                lock.unlock();
            }
        }

        private Batch fromMemory(int maxBytes) {
            long seq = hintSeq;
            if (!memory.holds(seq, pos) && !memory.holds(++seq, pos)) seq = memory.seqOf(pos);
            int off = (int) (pos - memory.start(seq));
            int len = Math.min(maxBytes, memory.length(seq) - off);
            pos += len;
            hintSeq = seq;
            writable.signalAll(); // the writer may be waiting for this reader
            return new Batch(memory.stream(seq), memory.bytes(seq), memory.offset(seq) + off, len, pos);
        }

        /**
         * Reads from the file with the log's lock released; null if the blocks it read were
         * dropped meanwhile (the caller looks again and finds a gap).
         */
        private Read fromDisk(int maxBytes) throws InterruptedException {
            LogFile.Block b = file == null ? null : file.blockAt(pos);
            if (b == null) {
                long to = file == null ? memStart : file.nextRetained(pos, memStart);
                Gap g = new Gap(pos, to);
                pos = to;
                diskBlock = null;
                writable.signalAll();
                return g;
            }
            LogFile.Block next = file.successor(b);
            long limit = memStart;
            long from = pos;
            boolean hinted = diskBlock == b && diskPieceStart <= from;
            int offset = hinted ? diskOffset : 0;
            long pieceStart = hinted ? diskPieceStart : b.startL;
            if (scratch == null || scratch.length < maxBytes) scratch = new byte[maxBytes];
            DiskRead got = null;
            IOException failure = null;
            lock.unlock();
            try {
                got = readDisk(b, next, offset, pieceStart, from, limit, maxBytes);
            } catch (IOException e) {
                failure = e;
            } finally {
                lock.lock(); // not interruptibly: the caller's finally unlocks
            }
            if (readerClosed || closed) return END;
            if (b.dropped || (next != null && next.dropped)) return null;
            if (failure != null) {
                log.warn("output log {} could not be read at {}: {}", filePath, from, failure.toString());
                Gap g = new Gap(from, limit);
                pos = limit;
                diskBlock = null;
                return g;
            }
            pos = got.end();
            writable.signalAll(); // the writer may be waiting for this reader to leave a block
            diskBlock = got.block();
            diskOffset = got.offset();
            diskPieceStart = got.pieceStart();
            return new Batch(got.stream(), scratch, 0, got.length(), pos);
        }

        /** Where a disk read ended: the bytes, and the piece to continue from. */
        private record DiskRead(StdStream stream, int length, long end, LogFile.Block block, int offset, long pieceStart) {}

        /**
         * Copies up to {@code maxBytes} from {@code from} into the scratch buffer: the rest of the
         * piece holding {@code from}, then following pieces of the same record (into {@code next}
         * if the record continues there), never past {@code limit}.
         */
        private DiskRead readDisk(LogFile.Block b, LogFile.Block next, int offset, long pieceStart, long from,
                                  long limit, int maxBytes) throws IOException {
            FileChannel in = channel();
            LogFile.Block blk = b;
            LogFile.Piece p = header(in, blk, offset);
            while (pieceStart + p.length() <= from) {
                offset += LogFile.HEADER + p.length();
                pieceStart += p.length();
                p = header(in, blk, offset);
            }
            StdStream stream = p.stream();
            int filled = 0;
            long at = from;
            while (true) {
                int skip = (int) (at - pieceStart);
                int take = (int) Math.min(p.length() - skip, maxBytes - filled);
                LogFile.read(in, blk, offset, skip, scratch, filled, take);
                filled += take;
                at += take;
                if (filled == maxBytes || at < pieceStart + p.length()) break;
                // The piece is used up: continue with the next one if it belongs to the same record.
                long nextStart = pieceStart + p.length();
                int nextOffset = offset + LogFile.HEADER + p.length();
                LogFile.Block nextBlock = blk;
                if (nextStart >= limit) break;
                if (nextStart >= blk.endL) {
                    if (next == null || blk == next) break;
                    nextBlock = next;
                    nextOffset = 0;
                }
                LogFile.Piece np = header(in, nextBlock, nextOffset);
                blk = nextBlock;
                offset = nextOffset;
                pieceStart = nextStart;
                p = np;
                if (np.newRecord()) break;
            }
            return new DiskRead(stream, filled, at, blk, offset, pieceStart);
        }

        /** A piece header, checked: a block rewritten under the reader holds garbage. */
        private LogFile.Piece header(FileChannel in, LogFile.Block b, int offset) throws IOException {
            if (offset + LogFile.HEADER > LogFile.BLOCK) throw new IOException("piece past the end of its block");
            LogFile.Piece p = LogFile.readHeader(in, b, offset);
            if (p.length() <= 0 || p.length() > MAX_RECORD || offset + LogFile.HEADER + p.length() > LogFile.BLOCK) {
                throw new IOException("malformed piece header");
            }
            return p;
        }

        private FileChannel channel() throws IOException {
            if (channel == null) channel = FileChannel.open(filePath, StandardOpenOption.READ);
            return channel;
        }

        /** Stops reading; a writer waiting for this reader goes on. */
        @Override
        public void close() {
            lock.lock();
            try {
                if (readerClosed) return;
                readerClosed = true;
                readers.remove(this);
                writable.signalAll();
            } finally {
                lock.unlock();
            }
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // read-only: nothing to lose
                }
            }
        }
    }
}
