package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a session can and cannot see or do. */
class IsolationIT extends SessionFixture {
    @Override
    Map<String, Object> sessionRequest() {
        return Map.of("image", "python");
    }

    @Test
    void runsAsAnUnprivilegedHostUidWithItsOwnHostname() throws Exception {
        assertThat(client.run(session, "id -u; hostname")).isEqualTo("1000\nsandbox\n");
        // Seen from the host, every process of the session (bubblewrap included) runs as a non-root uid.
        for (long pid : LifecycleIT.hostPids(session)) {
            String uids = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
            assertThat(java.util.Arrays.asList(uids.split("\\s+")).subList(1, 5)).as("pid %d: %s", pid, uids)
                    .doesNotContain("0");
        }
    }

    @Test
    void hasNoNetworkButLoopback() {
        String devs = client.run(session, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        assertThat(devs.trim()).isEqualTo("lo");
    }

    @Test
    void seesAGeneratedEtcAndNoneOfTheDaemonsSecrets() {
        assertThat(client.exec(session, "test -e /etc/shadow").body().get("exit_code").asInt()).isNotZero();
        assertThat(client.run(session, "cut -d: -f1 /etc/passwd | tr '\\n' ' '")).isEqualTo("root sandbox nobody ");
        String key = TestDaemon.shared().apiKey();
        assertThat(client.run(session, "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'")).doesNotContain(key)
                .doesNotContain("SANDKASTEN");
        assertThat(client.run(session, "ls / | tr '\\n' ' '")).doesNotContain("var/lib").doesNotContain("root ");
        assertThat(client.exec(session, "ls /var/lib/sandkasten /root 2>&1").body().get("exit_code").asInt()).isNotZero();
    }

    @Test
    void systemDirectoriesAreReadOnlyAndWorkspaceAndTmpWritable() {
        assertThat(client.exec(session, "touch /usr/x").body().get("exit_code").asInt()).isNotZero();
        assertThat(client.exec(session, "touch /etc/x").body().get("exit_code").asInt()).isNotZero();
        assertThat(client.exec(session, "touch /x").body().get("exit_code").asInt()).isNotZero();
        client.run(session, "touch /workspace/ok /tmp/ok");
    }

    @Test
    void sessionsCannotSeeEachOther() {
        String other = client.createSession();
        try {
            client.run(session, "echo secret > /workspace/mine-only; echo t > /tmp/mine-too");
            assertThat(client.run(other, "ls -A /workspace /tmp")).doesNotContain("mine-only").doesNotContain("mine-too");
            assertThat(client.run(other, "ps -e -o comm= | sort | uniq | tr '\\n' ' '")).doesNotContain("java");
        } finally {
            client.destroy(other);
        }
    }

    @Test
    void pythonImageHasPipAndVenv() {
        String out = client.run(session, "python3 -m venv /tmp/venv && /tmp/venv/bin/python -m pip --version");
        assertThat(out).startsWith("pip ");
    }

    @Test
    void processLimitStopsAForkFlood() {
        JsonNode r = client.exec(session, Map.of("cmd",
                "for i in $(seq 700); do sleep 30 & done 2>&1 | grep -c -i 'resource temporarily unavailable'; "
                        + "pkill -f 'sleep 30'; true", "timeout_ms", 60000)).body();
        assertThat(Integer.parseInt(r.get("stdout").asText().trim().split("\n")[0])).isPositive();
        assertThat(client.run(session, "echo alive")).isEqualTo("alive\n");
    }

    @Test
    void memoryLimitKillsTheHogAndTheSessionSurvives() {
        JsonNode r = client.exec(session, Map.of("cmd", "python3 -c \"b = b'x' * (1536 * 1024 * 1024)\"",
                "timeout_ms", 60000)).body();
        assertThat(r.get("exit_code").asInt()).isEqualTo(137);
        assertThat(client.run(session, "echo alive")).isEqualTo("alive\n");
    }
}
