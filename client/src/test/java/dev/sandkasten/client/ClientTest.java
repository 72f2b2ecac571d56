package dev.sandkasten.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Builder, options and error mapping: everything that needs no daemon. */
class ClientTest {
    @Test
    void theBuilderTakesItsDefaultsFromTheEnvironment() {
        Map<String, String> env = Map.of("SANDKASTEN_URL", "http://sandbox.example:9000/api/", "SANDKASTEN_API_KEY", "k1");
        try (SandboxClient c = new SandboxClient.Builder(env::get).build()) {
            assertThat(c.baseUrl()).isEqualTo("http://sandbox.example:9000/api");
        }
        try (SandboxClient c = new SandboxClient.Builder(Map.of("SANDKASTEN_API_KEY", "k1")::get).build()) {
            assertThat(c.baseUrl()).isEqualTo(SandboxClient.DEFAULT_BASE_URL);
        }
    }

    @Test
    void theBuilderSaysWhatIsMissingOrWrong() {
        assertThatThrownBy(() -> new SandboxClient.Builder(name -> null).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("SANDKASTEN_API_KEY");
        for (String bad : new String[] {"localhost:8080", "ftp://h/", "http://", "http://h/?q=1", "not a url"}) {
            assertThatThrownBy(() -> new SandboxClient.Builder(name -> null).apiKey("k").baseUrl(bad).build())
                    .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base URL");
        }
        assertThatThrownBy(() -> SandboxClient.builder().requestTimeout(java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void optionsAreValidatedAndWrittenInTheWireNames() {
        assertThatThrownBy(() -> ExecOptions.builder().timeoutMs(0).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ExecOptions.builder().chunkSize(-1).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ExecOptions.builder().cwd("").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CreateSessionOptions.builder().ttlSeconds(0).build())
                .isInstanceOf(IllegalArgumentException.class);
        ExecOptions o = ExecOptions.builder().timeoutMs(5000).rawOutput(true).env("A", "1").cwd("/tmp")
                .encoding(Encoding.BASE64).chunkSize(65536).build();
        assertThat(Wire.execBody("ls", o).toString()).isEqualTo("{\"cmd\":\"ls\",\"timeout_ms\":5000,\"raw_output\":true,"
                + "\"env\":{\"A\":\"1\"},\"cwd\":\"/tmp\",\"encoding\":\"base64\",\"chunk_size\":65536}");
        assertThat(Wire.execBody("ls", ExecOptions.DEFAULTS).toString()).isEqualTo("{\"cmd\":\"ls\"}");
        ExecOptions terminal = ExecOptions.builder().stdin(true).cols(120).rows(40).detachGraceMs(0).build();
        assertThat(terminal.pty()).isTrue();
        assertThat(Wire.streamBody("top", terminal, 0).toString()).isEqualTo("{\"cmd\":\"top\",\"stdin\":true,"
                + "\"pty\":true,\"cols\":120,\"rows\":40,\"detach_grace_ms\":0}");
        assertThat(Wire.backgroundBody("sleep 1", ExecOptions.DEFAULTS).toString())
                .isEqualTo("{\"cmd\":\"sleep 1\",\"background\":true}");
        assertThatThrownBy(() -> ExecOptions.builder().cols(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and 1000");
        assertThatThrownBy(() -> ExecOptions.builder().rows(1001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ExecOptions.builder().cols(100).pty(false).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pty");
        assertThatThrownBy(() -> ExecOptions.builder().detachGraceMs(-1).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SandboxClient.builder().detachGrace(java.time.Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        CreateSessionOptions c = CreateSessionOptions.builder().image("base").ttlSeconds(60).env("E", "v")
                .label("team", "a").network("none").workspaceId("ws_1").build();
        assertThat(Wire.createSessionBody(c).toString()).isEqualTo("{\"image\":\"base\",\"ttl_seconds\":60,"
                + "\"env\":{\"E\":\"v\"},\"labels\":{\"team\":\"a\"},\"network\":\"none\",\"workspace_id\":\"ws_1\"}");
        assertThat(Wire.createSessionBody(CreateSessionOptions.DEFAULTS).toString()).isEqualTo("{}");
    }

    @Test
    void statsWithoutPidsHaveNullPids() {
        var n = Wire.JSON.createObjectNode().put("memory_bytes", 1).put("memory_limit", 2).put("cpu_usage_usec", 3);
        assertThat(Wire.stats(n)).isEqualTo(new SessionStats(1, 2, 3, null));
        assertThat(Wire.stats(n.put("pids", 4)).pids()).isEqualTo(4L);
    }

    @Test
    void execInfoFilesAndWorkspacesAreReadFromTheirWireShapes() throws Exception {
        ExecInfo running = Wire.execInfo(Wire.JSON.readTree("""
                {"exec_id":"ex_1","cmd":"make","cmd_truncated":false,"state":"running","exit_code":null,"cwd":null,
                 "created_at":"2026-11-24T08:00:00.000Z","started_at":"2026-11-24T08:00:00.002Z","finished_at":null,
                 "duration_ms":5,"timeout_ms":120000,"stdout_bytes":7,"stderr_bytes":1,"background":true,"pty":false,
                 "state_lost":false,"new_field":{}}"""));
        assertThat(running.state()).isEqualTo(ExecState.RUNNING);
        assertThat(running.state().isFinished()).isFalse();
        assertThat(running.exitCode()).isNull();
        assertThat(running.finishedAt()).isNull();
        assertThat(running.startedAt()).isEqualTo(java.time.Instant.parse("2026-11-24T08:00:00.002Z"));
        assertThat(running.stdoutBytes()).isEqualTo(7);
        assertThat(running.background()).isTrue();
        ExecInfo ended = Wire.execInfo(Wire.JSON.readTree("{\"exec_id\":\"ex_2\",\"state\":\"timed_out\"}"));
        assertThat(ended.state()).isEqualTo(ExecState.TIMED_OUT);
        assertThat(ended.state().isFinished()).isTrue();
        assertThat(Wire.execInfo(Wire.JSON.readTree("{\"exec_id\":\"ex_3\",\"state\":\"paused\"}")).state())
                .isEqualTo(ExecState.UNKNOWN);
        assertThatThrownBy(() -> Wire.execInfo(Wire.JSON.readTree("{}"))).isInstanceOf(SandkastenException.class);

        List<FileEntry> entries = Wire.fileList(Wire.JSON.readTree("""
                {"path":"/workspace","entries":[{"name":"d","path":"/workspace/d","type":"directory","size":4096,
                 "modified_at":"2026-11-24T08:00:00Z","mode":"0755"},{"name":"p","path":"/workspace/p","type":"fifo",
                 "size":0,"modified_at":"2026-11-24T08:00:00.5Z","mode":"0644"}]}"""));
        assertThat(entries).extracting(FileEntry::type).containsExactly(FileType.DIRECTORY, FileType.OTHER);
        assertThat(entries.getFirst().isDirectory()).isTrue();
        assertThat(entries.getFirst().mode()).isEqualTo("0755");

        assertThat(Wire.workspaceList(Wire.JSON.readTree("""
                {"workspaces":[{"id":"a","created_at":"2026-11-24T08:00:00Z","sessions":2},{"id":"b"}]}""")))
                .containsExactly(new WorkspaceInfo("a", java.time.Instant.parse("2026-11-24T08:00:00Z"), 2),
                        new WorkspaceInfo("b", null, null));
    }

    @Test
    void stdinBodiesCarryTextOrBase64() {
        assertThat(Wire.stdinBody("hi\n", null, 0, 0, false).toString()).isEqualTo("{\"data\":\"hi\\n\"}");
        assertThat(Wire.stdinBody(null, new byte[] {9, 0, (byte) 255, 1}, 1, 2, false).toString())
                .isEqualTo("{\"data\":\"AP8=\",\"encoding\":\"base64\"}");
        assertThat(Wire.stdinBody(null, null, 0, 0, true).toString()).isEqualTo("{\"close\":true}");
    }

    @Test
    void defaultsMatchTheOtherSdks() {
        assertThat(SandboxClient.DEFAULT_BASE_URL).isEqualTo("http://127.0.0.1:8080");
        assertThat(SandboxClient.DEFAULT_REQUEST_TIMEOUT).isEqualTo(java.time.Duration.ofSeconds(120));
        assertThat(ExecStream.CANCEL_TIMEOUT).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(SandboxClient.DEFAULT_DETACH_GRACE).isEqualTo(java.time.Duration.ofSeconds(30));
    }

    @Test
    void errorAnswersBecomeTypedExceptions() {
        assertThat(err(400, "INVALID_REQUEST")).isInstanceOf(BadRequestException.class);
        assertThat(err(413, "PAYLOAD_TOO_LARGE")).isInstanceOf(PayloadTooLargeException.class);
        assertThat(err(415, "UNSUPPORTED_MEDIA_TYPE")).isInstanceOf(BadRequestException.class);
        assertThat(err(409, "CONFLICT")).isInstanceOf(ConflictException.class);
        assertThat(err(401, "UNAUTHORIZED")).isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("SANDKASTEN_API_KEY");
        assertThat(err(404, "SESSION_NOT_FOUND")).isInstanceOf(NotFoundException.class)
                .hasMessage("what happened (HTTP 404 SESSION_NOT_FOUND)");
        assertThat(err(410, "SESSION_GONE")).isInstanceOf(SessionGoneException.class);
        assertThat(err(503, "UNAVAILABLE")).isInstanceOf(ServiceUnavailableException.class);
        assertThat(err(429, "QUOTA_EXCEEDED")).isInstanceOf(QuotaExceededException.class);
        assertThat(err(500, "INTERNAL")).isInstanceOf(InternalServerException.class);
        assertThat(err(418, "TEAPOT")).isExactlyInstanceOf(ApiException.class);
        ApiException e = (ApiException) err(409, "CONFLICT");
        assertThat(e.status()).isEqualTo(409);
        assertThat(e.code()).isEqualTo("CONFLICT");

        SandkastenException t = Errors.fromResponse(504, ("{\"error\":\"timed out\",\"code\":\"COMMAND_TIMEOUT\","
                + "\"output\":\"part\",\"exec_id\":\"ex_9\",\"duration_ms\":1500,\"state_lost\":true}").getBytes());
        assertThat(t).isInstanceOfSatisfying(CommandTimeoutException.class, x -> {
            assertThat(x.output()).isEqualTo("part");
            assertThat(x.execId()).isEqualTo("ex_9");
            assertThat(x.durationMs()).isEqualTo(1500);
            assertThat(x.stateLost()).isTrue();
        });
        assertThat(Errors.fromResponse(409, "{\"error\":\"c\",\"code\":\"CANCELLED\"}".getBytes()))
                .isInstanceOf(CommandCancelledException.class);

        SandkastenException proxy = Errors.fromResponse(502, "<html>Bad Gateway</html>".getBytes(StandardCharsets.UTF_8));
        assertThat(proxy).isExactlyInstanceOf(ApiException.class).hasMessageContaining("<html>Bad Gateway")
                .hasMessageContaining("proxy");
        assertThat(((ApiException) proxy).code()).isNull();
    }

    private static SandkastenException err(int status, String code) {
        return Errors.fromResponse(status, ("{\"error\":\"what happened\",\"code\":\"" + code + "\"}").getBytes());
    }

    @Test
    void pathSegmentsAreEscaped() {
        assertThat(Transport.segment("sb_Ab-9")).isEqualTo("sb_Ab-9");
        assertThat(Transport.segment("../x y/ü")).isEqualTo("..%2Fx%20y%2F%C3%BC");
    }
}
