package dev.sandkasten.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
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
    void defaultsMatchTheOtherSdks() {
        assertThat(SandboxClient.DEFAULT_BASE_URL).isEqualTo("http://127.0.0.1:8080");
        assertThat(SandboxClient.DEFAULT_REQUEST_TIMEOUT).isEqualTo(java.time.Duration.ofSeconds(120));
        assertThat(ExecStream.CANCEL_TIMEOUT).isEqualTo(java.time.Duration.ofSeconds(5));
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
