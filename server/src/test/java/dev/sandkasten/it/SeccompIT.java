package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.daemon.Daemon;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The seccomp profiles, seen from inside a sandbox: denied calls fail with EPERM, the rest work. */
class SeccompIT extends SessionFixture {
    /** Makes each named system call with zero arguments and prints name=ok or name=<errno name>. */
    private static final String PROBE = """
            python3 - <<'PY'
            import ctypes, errno
            libc = ctypes.CDLL(None, use_errno=True)
            for name, nr in [("ptrace", 101), ("bpf", 321), ("perf_event_open", 298), ("mount", 165),
                             ("keyctl", 250), ("init_module", 175), ("unshare", 272), ("getpid", 39)]:
                r = libc.syscall(nr, 0, 0, 0, 0, 0)
                print(f"{name}={'ok' if r >= 0 else errno.errorcode[ctypes.get_errno()]}")
            PY
            """;

    @Override
    CreateSessionOptions sessionOptions() {
        return CreateSessionOptions.builder().image("python").build();
    }

    @Test
    void theDefaultProfileDeniesKernelAttackSurface() {
        String out = run(PROBE);
        assertThat(out).contains("ptrace=EPERM", "bpf=EPERM", "perf_event_open=EPERM", "mount=EPERM",
                "keyctl=EPERM", "init_module=EPERM", "getpid=ok");
        // unshare(0) is allowed by default; everyday programs still run.
        assertThat(out).contains("unshare=ok");
        assertThat(run("ls / | wc -l; python3 -c 'import threading, subprocess; print(subprocess.run([\"true\"]).returncode)'"))
                .endsWith("0\n");
    }

    @Test
    void theStrictProfileAlsoDeniesNamespaces() {
        try (Daemon strict = TestDaemon.start(Map.of("seccomp_profile", "strict"));
                SandboxClient c = TestDaemon.sdk(strict);
                Session s = c.createSession(sessionOptions())) {
            String out = Sdk.run(s, PROBE + "unshare -U true 2>/dev/null; echo unshare-cmd=$?\n");
            assertThat(out).contains("unshare=EPERM", "ptrace=EPERM", "getpid=ok");
            assertThat(out).doesNotContain("unshare-cmd=0");
            // Forks and threads (clone without namespace flags) still work.
            assertThat(Sdk.run(s, "python3 -c 'import threading; t = threading.Thread(target=print, args=(\"thread\",)); t.start(); t.join()'; (echo subshell)"))
                    .isEqualTo("thread\nsubshell\n");
        }
    }
}
