package dev.sandkasten.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output log without a sandbox: records, readers at any offset, the file, its cap, backpressure, holds. */
class ExecOutputTest {
    @TempDir
    Path dir;

    private ExecOutput log(long window, long maxFile) {
        return new ExecOutput(window, dir.resolve("x.log"), maxFile);
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(ExecOutput.Read r) {
        ExecOutput.Batch b = (ExecOutput.Batch) r;
        return new String(b.bytes(), b.offset(), b.length(), StandardCharsets.US_ASCII);
    }

    /** The byte every test writer puts at log offset {@code p}, so any slice can be checked on its own. */
    private static byte at(long p) {
        return (byte) (p % 251);
    }

    private static ByteBuffer pattern(long from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = at(from + i);
        return ByteBuffer.wrap(b);
    }

    private static void assertPattern(ExecOutput.Batch b) {
        long start = b.endOffset() - b.length();
        for (int i = 0; i < b.length(); i++) {
            if (b.bytes()[b.offset() + i] != at(start + i)) {
                throw new AssertionError("wrong byte at offset " + (start + i));
            }
        }
    }

    private static ExecOutput.Read next(ExecOutput.Reader r, int max) throws InterruptedException {
        return r.next(max, 5, TimeUnit.SECONDS);
    }

    @Test
    void writesGatherIntoRecordsUntilAReaderAsksAndRecordsAreSlicedNeverJoined() throws Exception {
        ExecOutput log = log(1 << 20, 16 << 20);
        ExecOutput.Reader r = log.reader(0);
        log.append(StdStream.STDOUT, ascii("abcdefghij"));
        log.append(StdStream.STDOUT, ascii("kl"));
        assertThat(text(next(r, 4))).isEqualTo("abcd"); // the reader's request seals "abcdefghijkl"
        log.append(StdStream.STDOUT, ascii("mn"));
        log.append(StdStream.STDERR, ascii("E1"));
        log.append(StdStream.STDOUT, ascii("op"));
        log.finish();
        assertThat(text(next(r, 4))).isEqualTo("efgh");
        ExecOutput.Batch b = (ExecOutput.Batch) next(r, 10);
        assertThat(text(b)).isEqualTo("ijkl"); // end of the record: not joined with "mn"
        assertThat(b.endOffset()).isEqualTo(12);
        assertThat(text(next(r, 10))).isEqualTo("mn");
        b = (ExecOutput.Batch) next(r, 10);
        assertThat(b.stream()).isEqualTo(StdStream.STDERR);
        assertThat(text(b)).isEqualTo("E1");
        assertThat(text(next(r, 10))).isEqualTo("op");
        assertThat(next(r, 10)).isSameAs(ExecOutput.END);
        assertThat(log.bytes(StdStream.STDOUT)).isEqualTo(16);
        assertThat(log.bytes(StdStream.STDERR)).isEqualTo(2);
    }

    @Test
    void aReaderFindsNothingBeforeTheTimeoutAndTheEndAfterFinish() throws Exception {
        ExecOutput log = log(1 << 20, 16 << 20);
        ExecOutput.Reader r = log.reader(0);
        assertThat(r.next(4, 10, TimeUnit.MILLISECONDS)).isNull();
        log.finish();
        assertThat(r.next(4, 10, TimeUnit.MILLISECONDS)).isSameAs(ExecOutput.END);
    }

    @Test
    void readersAtTheSameStartGetTheSameBatchesWhateverTheirTiming() throws Exception {
        ExecOutput log = log(64 << 10, 16 << 20);
        ExecOutput.Reader early = log.reader(0);
        Random rnd = new Random(1);
        long offset = 0;
        List<String> earlyBatches = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            int n = 1 + rnd.nextInt(3000);
            log.append(i % 7 == 0 ? StdStream.STDERR : StdStream.STDOUT, pattern(offset, n));
            offset += n;
            // The early reader keeps up now and then, so records differ in size.
            if (rnd.nextInt(4) == 0) {
                while (early.position() < log.end()) earlyBatches.add(describe(next(early, 5000)));
            }
        }
        log.finish();
        for (ExecOutput.Read x; (x = next(early, 5000)) != ExecOutput.END; ) earlyBatches.add(describe(x));
        // A late reader replays most of it from the file, one at the end from memory: same batches.
        ExecOutput.Reader late = log.reader(0);
        List<String> lateBatches = new ArrayList<>();
        for (ExecOutput.Read x; (x = next(late, 5000)) != ExecOutput.END; ) lateBatches.add(describe(x));
        assertThat(lateBatches).isEqualTo(earlyBatches);
        log.compact();
        ExecOutput.Reader afterCompact = log.reader(0);
        List<String> compactBatches = new ArrayList<>();
        for (ExecOutput.Read x; (x = next(afterCompact, 5000)) != ExecOutput.END; ) compactBatches.add(describe(x));
        assertThat(compactBatches).isEqualTo(earlyBatches);
    }

    private static String describe(ExecOutput.Read r) {
        ExecOutput.Batch b = (ExecOutput.Batch) r;
        assertPattern(b);
        return b.stream() + ":" + b.endOffset() + ":" + b.length();
    }

    @Test
    void aReaderCanStartAtAnyOffsetInMemoryOrInTheFile() throws Exception {
        ExecOutput log = log(64 << 10, 16 << 20);
        long offset = 0;
        Random rnd = new Random(2);
        while (offset < 3_000_000) {
            int n = 1 + rnd.nextInt(70_000);
            log.append(rnd.nextBoolean() ? StdStream.STDOUT : StdStream.STDERR, pattern(offset, n));
            offset += n;
        }
        long total = offset;
        for (int i = 0; i < 50; i++) {
            long from = i == 0 ? total - 1 : (long) (rnd.nextDouble() * total);
            ExecOutput.Reader r = log.reader(from);
            long expect = from;
            while (expect < total) {
                ExecOutput.Batch b = (ExecOutput.Batch) next(r, 1 + rnd.nextInt(100_000));
                assertPattern(b);
                assertThat(b.endOffset() - b.length()).isEqualTo(expect);
                expect = b.endOffset();
            }
            r.close();
        }
        log.finish();
    }

    @Test
    void pastTheCapTheHeadAndTheTailStayAndAReaderIsToldWhatWasDropped() throws Exception {
        long cap = 4L << 20;
        ExecOutput log = log(64 << 10, cap);
        long total = 12_000_000;
        for (long offset = 0; offset < total; offset += 40_000) {
            log.append(StdStream.STDOUT, pattern(offset, (int) Math.min(40_000, total - offset)));
        }
        log.finish();
        log.compact();
        assertThat(Files.size(dir.resolve("x.log"))).isLessThanOrEqualTo(cap);
        ExecOutput.Reader r = log.reader(0);
        long expect = 0;
        List<ExecOutput.Gap> gaps = new ArrayList<>();
        for (ExecOutput.Read x; (x = next(r, 65536)) != ExecOutput.END; ) {
            switch (x) {
                case ExecOutput.Batch b -> {
                    assertPattern(b);
                    assertThat(b.endOffset() - b.length()).isEqualTo(expect);
                    expect = b.endOffset();
                }
                case ExecOutput.Gap g -> {
                    assertThat(g.from()).isEqualTo(expect);
                    gaps.add(g);
                    expect = g.to();
                }
                case ExecOutput.End e -> throw new AssertionError();
            }
        }
        assertThat(expect).isEqualTo(total);
        assertThat(gaps).hasSize(1);
        ExecOutput.Gap g = gaps.getFirst();
        // The head (a quarter of the cap) and the most recent output (most of the rest) are kept.
        assertThat(g.from()).isBetween(900_000L, 1_100_000L);
        assertThat(total - g.to()).isBetween(2_000_000L, 3_200_000L);
        // A reader starting inside the dropped part is told so at once, then reads on.
        ExecOutput.Reader inside = log.reader(5_000_000);
        assertThat(next(inside, 100)).isEqualTo(new ExecOutput.Gap(5_000_000, g.to()));
        assertPattern((ExecOutput.Batch) next(inside, 100));
    }

    @Test
    void theWriterWaitsForALiveReaderAWindowBehindButNotForOneReplayingTheFile() throws Exception {
        ExecOutput log = log(64 << 10, 16 << 20);
        for (int i = 0; i < 10; i++) log.append(StdStream.STDOUT, pattern(i * 50_000L, 50_000));
        // Replaying from the start (the file): the writer goes on.
        ExecOutput.Reader replaying = log.reader(0);
        assertThat(replaying.live()).isFalse();
        log.append(StdStream.STDOUT, pattern(500_000, 50_000));
        // Live at the end: the writer may fill one window, then waits.
        ExecOutput.Reader live = log.reader(log.end());
        assertThat(live.live()).isTrue();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 4; i++) log.append(StdStream.STDOUT, pattern(550_000 + i * 50_000L, 50_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        writer.join(500);
        assertThat(writer.isAlive()).as("writer blocked by the live reader").isTrue();
        assertPattern((ExecOutput.Batch) next(live, 1 << 20));
        assertPattern((ExecOutput.Batch) next(live, 1 << 20));
        live.close(); // a reader that goes away stops holding the writer
        writer.join(5_000);
        assertThat(writer.isAlive()).isFalse();
        assertThat(log.end()).isEqualTo(750_000);
    }

    @Test
    void afterAKillTheWriterNoLongerWaitsForAStalledReader() throws Exception {
        ExecOutput log = log(64 << 10, 16 << 20);
        ExecOutput.Reader stalled = log.reader(0);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 20; i++) log.append(StdStream.STDOUT, pattern(i * 50_000L, 50_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        writer.join(300);
        assertThat(writer.isAlive()).isTrue();
        log.drain();
        writer.join(5_000);
        assertThat(writer.isAlive()).isFalse();
        // The stalled reader still gets every byte, from the file.
        long expect = 0;
        while (expect < 1_000_000) {
            ExecOutput.Batch b = (ExecOutput.Batch) next(stalled, 65536);
            assertPattern(b);
            expect = b.endOffset();
        }
    }

    /**
     * Records share blocks: small ones follow each other in one, a record that outgrows its
     * block moves to a bigger one, and every slice a live reader or a late reader gets still
     * holds exactly the bytes written at its offsets.
     */
    @Test
    void recordsSharingBlocksKeepTheirBytesWhateverComesAfterThem() throws Exception {
        ExecOutput log = log(16 << 20, 16 << 20);
        ExecOutput.Reader live = log.reader(0);
        List<ExecOutput.Batch> kept = new ArrayList<>();
        Random random = new Random(7);
        long offset = 0;
        for (int i = 0; i < 3_000; i++) {
            int n = 1 + random.nextInt(i % 100 == 0 ? 3 * ExecOutput.BLOCK : 200);
            StdStream stream = random.nextInt(10) == 0 ? StdStream.STDERR : StdStream.STDOUT;
            log.append(stream, pattern(offset, n));
            offset += n;
            // Mostly a reader that keeps up (a record per write); now and then one that lags, so
            // writes gather into a record that grows past its block.
            if (random.nextInt(4) > 0) {
                while (live.position() < log.end()) {
                    ExecOutput.Batch b = (ExecOutput.Batch) next(live, 1 << 20);
                    assertPattern(b);
                    kept.add(b);
                }
            }
        }
        log.finish();
        for (ExecOutput.Read r; !((r = next(live, 1 << 20)) instanceof ExecOutput.End); ) kept.add((ExecOutput.Batch) r);
        // Slices handed out long ago are untouched by everything written into their blocks since.
        kept.forEach(ExecOutputTest::assertPattern);
        assertThat(kept.getLast().endOffset()).isEqualTo(offset);

        ExecOutput.Reader late = log.reader(0);
        long read = 0;
        for (ExecOutput.Read r; !((r = next(late, 1000)) instanceof ExecOutput.End); ) {
            assertPattern((ExecOutput.Batch) r);
            read += ((ExecOutput.Batch) r).length();
        }
        assertThat(read).isEqualTo(offset);
    }

    @Test
    void memoryStaysWithinTheWindowHoweverSmallTheWrites() throws Exception {
        long window = 64 << 10;
        ExecOutput log = log(window, 16 << 20);
        ExecOutput.Reader r = log.reader(0);
        long offset = 0;
        for (int i = 0; i < 50_000; i++) {
            log.append(i % 2 == 0 ? StdStream.STDOUT : StdStream.STDERR, pattern(offset, 1));
            offset++;
            if (i % 1000 == 999) {
                while (r.position() < log.end()) next(r, 100); // keep the reader live
            }
            assertThat(log.memoryCost()).isLessThanOrEqualTo(window + ExecOutput.MAX_RECORD + ExecOutput.RECORD_OVERHEAD);
        }
    }

    @Test
    void aHoldKeepsTheRingFromDroppingWhatADepartedClientNeeds() throws Exception {
        ExecOutput log = log(64 << 10, 4L << 20);
        ExecOutput.Reader r = log.reader(0);
        log.append(StdStream.STDOUT, pattern(0, 10_000));
        assertPattern((ExecOutput.Batch) next(r, 100_000));
        log.hold(r.position(), Duration.ofSeconds(30));
        r.close();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                for (long offset = 10_000; offset < 20_000_000; offset += 50_000) {
                    log.append(StdStream.STDOUT, pattern(offset, 50_000));
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        writer.join(1_000);
        assertThat(writer.isAlive()).as("writer waits instead of dropping held output").isTrue();
        long stalledAt = log.end();
        assertThat(stalledAt).isLessThan(5_000_000);
        // The client comes back: everything from its position is there, no gap.
        ExecOutput.Reader back = log.reader(10_000);
        log.releaseHold();
        long expect = 10_000;
        while (expect < stalledAt) {
            ExecOutput.Read x = next(back, 65536);
            assertThat(x).isInstanceOf(ExecOutput.Batch.class);
            assertPattern((ExecOutput.Batch) x);
            expect = ((ExecOutput.Batch) x).endOffset();
        }
        back.close();
        writer.join(10_000);
        assertThat(failed.get()).isNull();
        assertThat(writer.isAlive()).isFalse();
    }

    @Test
    void anExpiredHoldLetsTheWriterGoOn() throws Exception {
        ExecOutput log = log(64 << 10, 4L << 20);
        ExecOutput.Reader r = log.reader(0);
        log.append(StdStream.STDOUT, pattern(0, 1000));
        next(r, 100_000);
        log.hold(r.position(), Duration.ofMillis(300));
        r.close();
        long t0 = System.nanoTime();
        for (long offset = 1000; offset < 10_000_000; offset += 50_000) log.append(StdStream.STDOUT, pattern(offset, 50_000));
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10.0);
    }

    @Test
    void smallFinishedLogsStayInMemoryAndLargerOnesMoveToTheirFile() throws Exception {
        ExecOutput small = log(1 << 20, 16 << 20);
        small.append(StdStream.STDOUT, ascii("hello"));
        small.finish();
        small.compact();
        assertThat(Files.exists(dir.resolve("x.log"))).isFalse();
        assertThat(text(next(small.reader(1), 100))).isEqualTo("ello");

        ExecOutput larger = log(1 << 20, 16 << 20);
        larger.append(StdStream.STDOUT, pattern(0, 100_000));
        larger.finish();
        larger.compact();
        assertThat(Files.size(dir.resolve("x.log"))).isGreaterThanOrEqualTo(100_000);
        assertThat(larger.memoryCost()).isZero();
        ExecOutput.Batch b = (ExecOutput.Batch) next(larger.reader(99_990), 100);
        assertPattern(b);
        assertThat(b.length()).isEqualTo(10);
        larger.close();
        assertThat(Files.exists(dir.resolve("x.log"))).isFalse();
    }

    @Test
    void closingEndsReadersAndReleasesAWaitingWriter() throws Exception {
        ExecOutput log = log(64 << 10, 16 << 20);
        ExecOutput.Reader r = log.reader(0);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 100; i++) log.append(StdStream.STDOUT, pattern(i * 50_000L, 50_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        writer.join(300);
        assertThat(writer.isAlive()).isTrue();
        log.close();
        writer.join(5_000);
        assertThat(writer.isAlive()).isFalse();
        assertThat(next(r, 10)).isSameAs(ExecOutput.END);
        assertThat(log.bytes(StdStream.STDOUT)).isEqualTo(5_000_000);
    }

    @Test
    void aReaderStartingInDroppedOutputGetsAGapThenEveryByteWhileTheWriterRuns() throws Exception {
        ExecOutput log = log(64 << 10, 4L << 20);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                for (long offset = 0; offset < 60_000_000; offset += 30_000) log.append(StdStream.STDOUT, pattern(offset, 30_000));
                log.finish();
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        // Not live (it starts in the file), so the writer does not wait for it.
        while (log.end() < 5_000_000) Thread.sleep(1);
        int gaps = 0;
        long expect = 0;
        try (ExecOutput.Reader r = log.reader(0)) {
            for (ExecOutput.Read x; (x = next(r, 7_000)) != ExecOutput.END; ) {
                if (x instanceof ExecOutput.Batch b) {
                    assertPattern(b);
                    assertThat(b.endOffset() - b.length()).isEqualTo(expect);
                    expect = b.endOffset();
                    if (b.endOffset() % 5 == 0) Thread.sleep(0, 200_000);
                } else if (x instanceof ExecOutput.Gap g) {
                    assertThat(g.from()).isEqualTo(expect);
                    expect = g.to();
                    gaps++;
                }
            }
        }
        writer.join();
        assertThat(failed.get()).isNull();
        assertThat(expect).isEqualTo(60_000_000);
        // Only what was dropped before it attached: from then on, the writer waited for it.
        assertThat(gaps).isEqualTo(1);
    }
}
