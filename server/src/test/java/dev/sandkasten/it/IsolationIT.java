package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.Session;
import org.junit.jupiter.api.Test;

/** What a session can and cannot see or do. */
class IsolationIT extends SessionFixture {
    @Override
    CreateSessionOptions sessionOptions() {
        return CreateSessionOptions.builder().image("python").build();
    }

    @Test
    void runsAsAnUnprivilegedHostUidWithItsOwnHostname() throws Exception {
        assertThat(run("id -u; hostname")).isEqualTo("1000\nsandbox\n");
        // Seen from the host, every process of the session (bubblewrap included) runs as a non-root uid.
        for (long pid : LifecycleIT.hostPids(session.id())) {
            String uids = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
            assertThat(java.util.Arrays.asList(uids.split("\\s+")).subList(1, 5)).as("pid %d: %s", pid, uids)
                    .doesNotContain("0");
        }
    }

    @Test
    void hasNoNetworkButLoopback() {
        String devs = run("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        assertThat(devs.trim()).isEqualTo("lo");
    }

    @Test
    void seesAGeneratedEtcAndNoneOfTheDaemonsSecrets() {
        assertThat(session.exec("test -e /etc/shadow").exitCode()).isNotZero();
        assertThat(run("cut -d: -f1 /etc/passwd | tr '\\n' ' '")).isEqualTo("root sandbox nobody ");
        String key = TestDaemon.shared().apiKey();
        assertThat(run("env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'")).doesNotContain(key)
                .doesNotContain("SANDKASTEN");
        assertThat(run("ls / | tr '\\n' ' '")).doesNotContain("var/lib").doesNotContain("root ");
        assertThat(session.exec("ls /var/lib/sandkasten /root 2>&1").exitCode()).isNotZero();
    }

    @Test
    void systemDirectoriesAreReadOnlyAndWorkspaceAndTmpWritable() {
        assertThat(session.exec("touch /usr/x").exitCode()).isNotZero();
        assertThat(session.exec("touch /etc/x").exitCode()).isNotZero();
        assertThat(session.exec("touch /x").exitCode()).isNotZero();
        run("touch /workspace/ok /tmp/ok /var/tmp/ok /var/log/app.log /var/cache/ok /dev/shm/ok");
    }

    @Test
    void sessionsCannotSeeEachOther() {
        try (Session other = client.createSession()) {
            run("echo secret > /workspace/mine-only; echo t > /tmp/mine-too");
            assertThat(Sdk.run(other, "ls -A /workspace /tmp")).doesNotContain("mine-only").doesNotContain("mine-too");
            assertThat(Sdk.run(other, "ps -e -o comm= | sort | uniq | tr '\\n' ' '")).doesNotContain("java");
        }
    }

    @Test
    void pythonImageHasPipAndVenv() {
        String out = run("python3 -m venv /tmp/venv && /tmp/venv/bin/python -m pip --version");
        assertThat(out).startsWith("pip ");
        // As most code spells them (the streaming document runs `python long_running.py`).
        assertThat(run("python -c 'import sys; print(sys.version_info[0])'; pip --version")).startsWith("3\npip ");
    }

    @Test
    void processLimitStopsAForkFlood() {
        ExecResult r = session.exec("for i in $(seq 700); do sleep 30 & done 2>&1 | grep -c -i 'resource temporarily unavailable'; "
                + "pkill -f 'sleep 30'; true", ExecOptions.builder().timeoutMs(60000).build());
        assertThat(Integer.parseInt(r.stdout().trim().split("\n")[0])).isPositive();
        assertThat(run("echo alive")).isEqualTo("alive\n");
    }

    @Test
    void memoryLimitKillsTheHogAndTheSessionSurvives() {
        ExecResult r = session.exec("python3 -c \"b = b'x' * (1536 * 1024 * 1024)\"",
                ExecOptions.builder().timeoutMs(60000).build());
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(run("echo alive")).isEqualTo("alive\n");
    }
}
