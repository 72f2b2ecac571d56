package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandkasten.daemon.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Sessions handed out of the warm pool: they were started before the request, yet cannot be told
 * from a fresh session (new id, empty workspace, clean environment and shell); a request the pool
 * cannot serve (env of its own) still gets a cold sandbox; the pool refills.
 */
class WarmPoolIT {
    @Test
    void pooledSessionsAreFreshAndThePoolRefills() throws Exception {
        Path data = Files.createTempDirectory("sandkasten-it-pool-");
        try (Daemon d = TestDaemon.start(Map.of("data_dir", data.toString(), "warm_pool_size", "2"))) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            await().atMost(Duration.ofSeconds(30)).until(() -> d.sessions().warmReady() == 2);
            Set<String> ids = new HashSet<>();
            for (int round = 0; round < 3; round++) {
                // File times come from a coarse clock: leave a margin on both sides of "before".
                Thread.sleep(300);
                FileTime before = FileTime.fromMillis(System.currentTimeMillis() - 100);
                JsonNode s = c.request("POST", "/v1/sessions", Map.of("labels", Map.of("round", "r" + round))).body();
                String id = s.get("id").asText();
                assertThat(ids.add(id)).isTrue();
                assertThat(s.get("labels").get("round").asText()).isEqualTo("r" + round);
                // Started before the request: its workspace directory is older than it.
                assertThat(Files.getLastModifiedTime(data.resolve("volume/sessions").resolve(id).resolve("workspace")))
                        .isLessThan(before);
                String out = c.exec(id, Map.of("cmd", "ls -A /workspace | wc -l; echo \"[$MARK]\"; jobs | wc -l; pwd"))
                        .body().get("stdout").asText();
                assertThat(out).isEqualTo("0\n[]\n0\n/workspace\n");
                c.exec(id, Map.of("cmd", "export MARK=dirty; touch /workspace/x; sleep 60 &"));
                c.destroy(id);
                await().atMost(Duration.ofSeconds(30)).until(() -> d.sessions().warmReady() == 2);
            }
            // A request with an env of its own is started cold, with that env.
            FileTime before = FileTime.fromMillis(System.currentTimeMillis() - 100);
            String cold = c.request("POST", "/v1/sessions", Map.of("env", Map.of("MARK", "mine"))).body().get("id").asText();
            assertThat(Files.getLastModifiedTime(data.resolve("volume/sessions").resolve(cold).resolve("workspace")))
                    .isGreaterThanOrEqualTo(before);
            assertThat(c.exec(cold, Map.of("cmd", "echo $MARK")).body().get("stdout").asText()).isEqualTo("mine\n");
            assertThat(c.request("GET", "/v1/sessions", null).body()).hasSize(1);
        }
    }
}
