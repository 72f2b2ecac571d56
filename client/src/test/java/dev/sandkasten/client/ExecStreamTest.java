package dev.sandkasten.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How events become chunks and exceptions, fed from recorded event text. The daemon-facing
 * behaviour (cancel on close, real streams) is tested against the real daemon in the server
 * module's JavaSdkIT.
 */
class ExecStreamTest {
    // Nothing listens on port 1: a cancel attempted by close() fails at once and is ignored.
    private final Transport transport = new Transport(HttpClient.newHttpClient(), "http://127.0.0.1:1", "k",
            Duration.ofSeconds(2), Duration.ofSeconds(30));

    private ExecStream stream(String events, Map<String, List<String>> headers) {
        return new ExecStream(transport, "sb_x", open(events, headers), true, null, -1);
    }

    private ExecStream stream(String events) {
        return stream(events, Map.of());
    }

    static Transport.OpenStream open(String events, Map<String, List<String>> headers) {
        return new Transport.OpenStream(HttpHeaders.of(headers, (a, b) -> true), SseReaderTest.trickle(events, 5));
    }

    @Test
    void chunksCarryTheirFieldsAndDoneEndsTheIteration() {
        ExecStream s = stream(SseReaderTest.DAEMON.replace("{\"exit_code\":0}",
                "{\"exit_code\":3,\"cwd\":\"/tmp\",\"duration_ms\":12,\"exec_id\":\"ex_1\",\"state_lost\":true,\"new\":[1,{}]}"));
        List<ExecChunk> chunks = s.stream().toList();
        assertThat(s.execId()).isEqualTo("ex_1");
        assertThat(chunks).hasSize(2);
        assertThat(chunks.getFirst()).isEqualTo(new ExecChunk("hé \n", false, null, null, null, 2, StdStream.STDOUT, 2,
                "ex_1", false, null));
        ExecChunk done = chunks.getLast();
        assertThat(done.done()).isTrue();
        assertThat(done.output()).isEmpty();
        assertThat(done.exitCode()).isEqualTo(3);
        assertThat(done.cwd()).isEqualTo("/tmp");
        assertThat(done.durationMs()).isEqualTo(12);
        assertThat(done.stateLost()).isTrue();
        assertThat(done.eventId()).isEqualTo(3);
        assertThat(done.timestamp()).isPositive();
        assertThat(s.iterator().hasNext()).isFalse();
    }

    @Test
    void theExecIdHeaderIsKnownBeforeAnyEvent() {
        ExecStream s = stream("", Map.of("X-Exec-Id", List.of("ex_header")));
        assertThat(s.execId()).isEqualTo("ex_header");
    }

    @Test
    void aTimeoutEventThrowsWithTheOutputSoFar() {
        ExecStream s = stream("""
                event: chunk
                data: {"chunk":"one ","timestamp":1,"stream":"stdout"}

                event: chunk
                data: {"chunk":"two","timestamp":1,"stream":"stderr"}

                event: error
                data: {"error":"command timed out after 5 ms","code":"COMMAND_TIMEOUT","exec_id":"ex_t","duration_ms":7}

                """);
        List<String> seen = new java.util.ArrayList<>();
        assertThatThrownBy(() -> s.forEach(c -> seen.add(c.output())))
                .isInstanceOfSatisfying(CommandTimeoutException.class, e -> {
                    assertThat(e.code()).isEqualTo("COMMAND_TIMEOUT");
                    assertThat(e.output()).isEqualTo("one two");
                    assertThat(e.execId()).isEqualTo("ex_t");
                    assertThat(e.durationMs()).isEqualTo(7);
                    assertThat(e.getMessage()).startsWith("command timed out after 5 ms").contains("timeoutMs");
                });
        assertThat(seen).containsExactly("one ", "two");
    }

    @Test
    void otherErrorEventsAreTyped() {
        String cancelled = "event: error\ndata: {\"error\":\"cancelled\",\"code\":\"CANCELLED\"}\n\n";
        assertThatThrownBy(() -> stream(cancelled).iterator().next()).isInstanceOf(CommandCancelledException.class);
        String gone = "event: error\ndata: {\"error\":\"the sandbox died\",\"code\":\"SESSION_GONE\"}\n\n";
        assertThatThrownBy(() -> stream(gone).iterator().next()).isExactlyInstanceOf(StreamException.class)
                .hasMessageContaining("create a new session")
                .extracting(e -> ((StreamException) e).code()).isEqualTo("SESSION_GONE");
    }

    @Test
    void aStreamThatEndsWithoutDoneIsAnError() {
        ExecStream s = stream("event: chunk\ndata: {\"chunk\":\"half\",\"timestamp\":1}\n\n",
                Map.of("X-Exec-Id", List.of("ex_b")));
        var it = s.iterator();
        assertThat(it.next().output()).isEqualTo("half");
        assertThatThrownBy(it::next).isExactlyInstanceOf(StreamException.class)
                .hasMessageContaining("ended before the command finished")
                .satisfies(e -> {
                    assertThat(((StreamException) e).code()).isNull();
                    assertThat(((StreamException) e).output()).isEqualTo("half");
                });
        assertThat(it.hasNext()).isFalse();
    }

    @Test
    void unknownEventsAreSkippedAndMalformedDataIsAnError() {
        ExecStream s = stream("event: progress\ndata: {\"x\":1}\n\nevent: done\ndata: {\"exit_code\":0}\n\n");
        assertThat(s.stream().toList()).singleElement().satisfies(c -> assertThat(c.done()).isTrue());
        ExecStream bad = stream("event: chunk\ndata: not json\n\n");
        assertThatThrownBy(() -> bad.iterator().next()).isInstanceOf(StreamException.class);
    }

    @Test
    void theKeptOutputIsBounded() {
        String piece = "z".repeat(100_000);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 30; i++) sb.append("event: chunk\ndata: {\"chunk\":\"").append(piece).append("\"}\n\n");
        sb.append("event: error\ndata: {\"code\":\"COMMAND_TIMEOUT\"}\n\n");
        ExecStream s = stream(sb.toString());
        assertThatThrownBy(() -> s.forEach(c -> {})).isInstanceOfSatisfying(CommandTimeoutException.class,
                e -> assertThat(e.output()).hasSize(ExecStream.KEPT_OUTPUT_CHARS));
    }

    @Test
    void closingStopsTheIterationQuietly() {
        ExecStream s = stream(SseReaderTest.DAEMON);
        s.close();
        assertThat(s.iterator().hasNext()).isFalse();
    }
}
