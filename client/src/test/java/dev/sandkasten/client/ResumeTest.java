package dev.sandkasten.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How a stream resumes after a lost connection, fed from scripted connections: which event id
 * it resumes after, that nothing is delivered twice, and when it gives up. The same behaviour
 * against the real daemon, through a proxy that cuts connections, is in the server module's
 * JavaSdkResumeIT.
 */
class ResumeTest {
    private final Transport transport = new Transport(HttpClient.newHttpClient(), "http://127.0.0.1:1", "k",
            Duration.ofSeconds(2), Duration.ofSeconds(30));

    private static String chunk(long id, String text) {
        return "id: " + id + "\nevent: chunk\ndata: {\"chunk\":\"" + text + "\",\"timestamp\":1,\"stream\":\"stdout\"}\n\n";
    }

    private static String done(long id) {
        return "id: " + id + "\nevent: done\ndata: {\"exit_code\":0,\"exec_id\":\"ex_r\"}\n\n";
    }

    private static final String START = "id: 0\nevent: start\ndata: {\"exec_id\":\"ex_r\",\"timestamp\":1}\n\n";

    /** A connection that delivers {@code events} and then breaks with a reset. */
    private static Transport.OpenStream resetAfter(String events) {
        InputStream reset = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("Connection reset");
            }
        };
        return new Transport.OpenStream(java.net.http.HttpHeaders.of(Map.of("X-Exec-Id", List.of("ex_r")),
                (a, b) -> true), new SequenceInputStream(SseReaderTest.trickle(events, 7), reset));
    }

    /** A connection that delivers {@code events} and then ends (EOF). */
    private static Transport.OpenStream endAfter(String events) {
        return ExecStreamTest.open(events, Map.of("X-Exec-Id", List.of("ex_r")));
    }

    /** Hands out scripted connections and records the event id each reconnection resumed after. */
    private static final class Script implements ExecStream.Reconnector {
        final Deque<Object> next = new ArrayDeque<>();
        final List<Long> resumedAfter = new ArrayList<>();
        boolean finished;
        int finishedAsked;

        @Override
        public boolean finished(String execId) {
            finishedAsked++;
            return finished;
        }

        @Override
        public Transport.OpenStream reopen(String execId, long lastEventId) {
            assertThat(execId).isEqualTo("ex_r");
            resumedAfter.add(lastEventId);
            Object n = next.removeFirst();
            if (n instanceof RuntimeException e) throw e;
            return (Transport.OpenStream) n;
        }
    }

    @Test
    void aBrokenConnectionResumesAfterTheLastEventAndNothingRepeats() {
        Script script = new Script();
        script.next.add(endAfter(chunk(6, "world ") + chunk(10, "and ")));
        // The daemon never repeats an event, but if a connection did, it is not delivered twice.
        script.next.add(resetAfter(chunk(10, "and ") + chunk(14, "more")));
        script.next.add(endAfter(chunk(14, "more") + done(15)));
        try (ExecStream s = new ExecStream(transport, "sb_x", resetAfter(START + chunk(2, "hi ")), true, script, -1)) {
            List<ExecChunk> chunks = s.stream().toList();
            assertThat(chunks).extracting(ExecChunk::output).containsExactly("hi ", "world ", "and ", "more", "");
            assertThat(chunks).extracting(ExecChunk::eventId).containsExactly(2L, 6L, 10L, 14L, 15L);
            assertThat(chunks.getLast().done()).isTrue();
            assertThat(script.resumedAfter).containsExactly(2L, 10L, 14L);
            assertThat(s.reconnects()).isEqualTo(3);
        }
    }

    @Test
    void aConnectionLostBeforeAnyEventResumesFromTheStart() {
        Script script = new Script();
        script.next.add(endAfter(START + chunk(3, "abc") + done(4)));
        try (ExecStream s = new ExecStream(transport, "sb_x", endAfter(""), true, script, -1)) {
            assertThat(Sdk.text(s)).isEqualTo("abc");
            assertThat(script.resumedAfter).containsExactly(-1L);
        }
    }

    @Test
    void transientFailuresAreRetriedAndAFinalOneEndsTheStreamWithItsCode() {
        Script script = new Script();
        script.next.add(new ConnectionException("refused", new IOException("refused")));
        script.next.add(new ServiceUnavailableException(503, "UNAVAILABLE", "busy"));
        script.next.add(endAfter(chunk(5, "back") + done(6)));
        try (ExecStream s = new ExecStream(transport, "sb_x", resetAfter(START + chunk(1, "x")), true, script, -1)) {
            assertThat(Sdk.text(s)).isEqualTo("xback");
            assertThat(script.resumedAfter).containsExactly(1L, 1L, 1L);
        }

        Script gone = new Script();
        gone.next.add(new NotFoundException(404, "EXEC_NOT_FOUND", "no such exec"));
        ExecStream s = new ExecStream(transport, "sb_x", resetAfter(START + chunk(1, "x")), true, gone, -1);
        var it = s.iterator();
        assertThat(it.next().output()).isEqualTo("x");
        assertThatThrownBy(it::next).isExactlyInstanceOf(StreamException.class)
                .hasMessageContaining("cannot be resumed").hasMessageContaining("no such exec")
                .satisfies(e -> {
                    assertThat(((StreamException) e).code()).isEqualTo("EXEC_NOT_FOUND");
                    assertThat(((StreamException) e).output()).isEqualTo("x");
                });
        assertThat(it.hasNext()).isFalse();
    }

    @Test
    void itGivesUpAfterABoundedNumberOfAttempts() {
        Script script = new Script();
        for (int i = 0; i < ExecStream.MAX_RESUME_ATTEMPTS; i++) {
            script.next.add(new ConnectionException("refused " + i, new IOException("refused")));
        }
        ExecStream s = new ExecStream(transport, "sb_x", resetAfter(START + chunk(1, "x")), true, script, -1);
        var it = s.iterator();
        it.next();
        long t = System.nanoTime();
        assertThatThrownBy(it::next).isExactlyInstanceOf(StreamException.class)
                .hasMessageContaining(ExecStream.MAX_RESUME_ATTEMPTS + " attempts to resume it failed")
                .hasMessageContaining("refused 4");
        assertThat((System.nanoTime() - t) / 1e9).as("seconds of backoff").isBetween(2.0, 30.0);
        assertThat(script.resumedAfter).hasSize(ExecStream.MAX_RESUME_ATTEMPTS);
    }

    @Test
    void withoutAReconnectorOrOnAMalformedStreamThereIsNoResume() {
        ExecStream plain = new ExecStream(transport, "sb_x", resetAfter(START + chunk(1, "x")), true, null, -1);
        var it = plain.iterator();
        it.next();
        assertThatThrownBy(it::next).isExactlyInstanceOf(StreamException.class)
                .hasMessageContaining("connection to the daemon was lost").hasMessageNotContaining("attempts");

        Script script = new Script();
        ExecStream bad = new ExecStream(transport, "sb_x", endAfter(START + "id: 1\nevent: chunk\ndata: [1]\n\n"),
                true, script, -1);
        assertThatThrownBy(() -> bad.iterator().next()).isInstanceOf(StreamException.class).hasMessageContaining("malformed");
        assertThat(script.resumedAfter).isEmpty();
    }

    @Test
    void aGapIsDeliveredAsATypedChunk() {
        String events = START + chunk(10, "head") + "id: 900\nevent: gap\ndata: {\"from\":10,\"to\":900,\"bytes\":890,"
                + "\"timestamp\":5}\n\n" + chunk(904, "tail") + done(905);
        try (ExecStream s = new ExecStream(transport, "sb_x", endAfter(events), false, null, -1)) {
            List<ExecChunk> chunks = s.stream().toList();
            assertThat(chunks).extracting(ExecChunk::isGap).containsExactly(false, true, false, false);
            assertThat(chunks).extracting(ExecChunk::kind).containsExactly(ExecChunk.Kind.OUTPUT, ExecChunk.Kind.GAP,
                    ExecChunk.Kind.OUTPUT, ExecChunk.Kind.DONE);
            ExecChunk gap = chunks.get(1);
            assertThat(gap.gap()).isEqualTo(new OutputGap(10, 900, 890));
            assertThat(gap.output()).isEmpty();
            assertThat(gap.stream()).isNull();
            assertThat(gap.eventId()).isEqualTo(900);
        }
    }

    @Test
    void anAttachedStreamStartsAfterItsEventId() {
        Script script = new Script();
        script.next.add(endAfter(chunk(12, "rest") + done(13)));
        try (ExecStream s = new ExecStream(transport, "sb_x", resetAfter(chunk(8, "mid")), false, script, 4)) {
            assertThat(Sdk.text(s)).isEqualTo("midrest");
            assertThat(script.resumedAfter).containsExactly(8L);
        }
    }

    @Test
    void anAttachAfterTheLastEventOfAFinishedCommandEndsQuietly() {
        Script script = new Script();
        script.finished = true;
        script.next.add(endAfter(""));
        try (ExecStream s = new ExecStream(transport, "sb_x", endAfter(""), false, script, 15)) {
            assertThat(s.stream().toList()).isEmpty();
            assertThat(script.resumedAfter).containsExactly(15L);
            assertThat(script.finishedAsked).isEqualTo(1);
        }
        // A running command's stream never ends without an event: an empty one is a cut connection.
        Script running = new Script();
        running.next.add(endAfter(""));
        running.next.add(endAfter(chunk(20, "more") + done(21)));
        try (ExecStream s = new ExecStream(transport, "sb_x", endAfter(""), false, running, 15)) {
            assertThat(Sdk.text(s)).isEqualTo("more");
            assertThat(running.resumedAfter).containsExactly(15L, 15L);
        }
    }

    /** Test helpers. */
    static final class Sdk {
        static String text(ExecStream s) {
            StringBuilder sb = new StringBuilder();
            s.forEach(c -> sb.append(c.output()));
            return sb.toString();
        }
    }
}
