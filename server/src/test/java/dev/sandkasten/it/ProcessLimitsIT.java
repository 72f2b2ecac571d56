package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.daemon.Daemon;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Open files, file size and tmpfs size are limited, and the sandbox cannot raise the limits. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessLimitsIT {
    private Daemon daemon;
    private SandboxClient client;
    private Session session;

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(Map.of("open_files_limit", "100", "file_size_limit", "2MiB", "tmpfs_size", "8MiB"));
        client = TestDaemon.sdk(daemon);
        session = client.createSession(CreateSessionOptions.builder().image("python").build());
    }

    @AfterAll
    void stop() {
        session.close();
        client.close();
        daemon.close();
    }

    @Test
    void limitsAreSetAndCannotBeRaised() {
        String out = Sdk.run(session, "python3 -c 'import resource as r; print(r.getrlimit(r.RLIMIT_NOFILE), "
                + "r.getrlimit(r.RLIMIT_FSIZE))'; ulimit -Hn 200 2>/dev/null || echo cannot-raise");
        assertThat(out).isEqualTo("(100, 100) (2097152, 2097152)\ncannot-raise\n");
    }

    @Test
    void tooManyOpenFilesFailsInTheProgramNotTheSession() {
        ExecResult r = session.exec("python3 -c 'fs = [open(\"/dev/null\") for _ in range(150)]'");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("Too many open files");
        assertThat(Sdk.run(session, "echo alive")).isEqualTo("alive\n");
    }

    @Test
    void aFileBeyondTheSizeLimitAndATmpfsBeyondItsSizeFail() {
        ExecResult big = session.exec("head -c 3M /dev/zero > /workspace/big");
        assertThat(big.exitCode()).isNotZero();
        assertThat(Sdk.run(session, "stat -c %s /workspace/big")).isEqualTo("2097152\n");
        // Four files of 2 MiB fill the 8 MiB /tmp; the fifth does not fit.
        ExecResult full = session.exec("for i in 1 2 3 4 5; do head -c 2000000 /dev/zero > /tmp/f$i || exit 9; done");
        assertThat(full.exitCode()).isEqualTo(9);
        assertThat(full.stderr()).contains("No space left on device");
        assertThat(Sdk.run(session, "df -B1 --output=size /tmp | tail -1 | tr -d ' '")).isEqualTo("8388608\n");
    }
}
