package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.BadRequestException;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.daemon.Daemon;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The egress network mode, on a daemon that allows it: PyPI is reachable (this repository's
 * machines reach PyPI, and nothing else on the internet), the daemon on the host's loopback is
 * not, and sessions that asked for none still have no network.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EgressIT {
    private Daemon daemon;
    private SandboxClient client;

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(Map.of("network_modes", "none,egress"));
        client = TestDaemon.sdk(daemon);
    }

    @AfterAll
    void stop() {
        client.close();
        daemon.close();
    }

    @Test
    void pipInstallsFromPypiButTheDaemonIsUnreachable() throws Exception {
        try (Session s = client.createSession(CreateSessionOptions.builder().image("python").network("egress").build())) {
            ExecResult pip = s.exec("python3 -m venv /tmp/v && /tmp/v/bin/pip install --no-cache-dir six >/dev/null && /tmp/v/bin/python -c 'import six; print(six.__name__)'",
                    ExecOptions.builder().timeoutMs(180_000).build());
            assertThat(pip.exitCode()).as(pip.stderr()).isZero();
            assertThat(pip.stdout()).isEqualTo("six\n");
            // The daemon listens on the host's loopback: slirp's host alias 10.0.2.2 is refused,
            // and 127.0.0.1 inside is the sandbox's own loopback.
            String probe = "python3 -c \"import socket\ntry:\n socket.create_connection(('%s', %d), timeout=3); print('reached')\n"
                    + "except OSError as e: print('refused', e.errno)\"";
            assertThat(Sdk.run(s, probe.formatted("10.0.2.2", daemon.port()))).startsWith("refused");
            assertThat(Sdk.run(s, probe.formatted("127.0.0.1", daemon.port()))).startsWith("refused");
            // egress_deny (default: private) and the host's own addresses are blocked inside the
            // sandbox before anything leaves it: EACCES (13) at once, not a timeout or a refusal
            // from far away. The cloud metadata address is the classic target.
            assertThat(Sdk.run(s, probe.formatted("169.254.169.254", 80))).isEqualTo("refused 13\n");
            assertThat(Sdk.run(s, probe.formatted("192.168.1.1", 80))).isEqualTo("refused 13\n");
            for (String host : hostAddresses()) {
                assertThat(Sdk.run(s, probe.formatted(host, daemon.port()))).as(host).isEqualTo("refused 13\n");
            }
            // ... and the sandbox cannot take the blocks away.
            assertThat(Sdk.run(s, "ip route del prohibit 169.254.0.0/16 2>&1 || true")).contains("not permitted");
        }
    }

    private static java.util.List<String> hostAddresses() throws java.net.SocketException {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            for (var a : java.util.Collections.list(nif.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress()) out.add(a.getHostAddress());
            }
        }
        return out;
    }

    @Test
    void aSessionThatAskedForNoneHasNoNetwork() {
        try (Session s = client.createSession(CreateSessionOptions.builder().image("python").build())) {
            String out = Sdk.run(s, "python3 -c \"import socket\ntry:\n socket.create_connection(('pypi.org', 443), timeout=3); print('reached')\n"
                    + "except OSError as e: print('no network')\"");
            assertThat(out).isEqualTo("no network\n");
        }
    }

    @Test
    void egressIsRefusedWhereTheDaemonDoesNotAllowIt() {
        assertThatThrownBy(() -> TestDaemon.sdk().createSession(CreateSessionOptions.builder().network("egress").build()))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("network mode 'egress' is not available");
    }
}
