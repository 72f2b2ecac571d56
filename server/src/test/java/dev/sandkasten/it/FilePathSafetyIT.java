package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.Session;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile paths: {@code ..}, absolute paths outside /workspace, and symlinks a session plants
 * towards host files, the daemon's data directory and another session's workspace. None may
 * read or write anything outside the session's own workspace.
 */
class FilePathSafetyIT extends SessionFixture {
    private final TestClient raw = TestDaemon.client();
    private Session other;
    private Path otherWorkspace;

    @BeforeAll
    void otherSession() {
        other = client.createSession(CreateSessionOptions.DEFAULTS);
        Sdk.run(other, "echo other-secret > secret.txt");
        otherWorkspace = TestDaemon.sharedDataDir().resolve("volume/sessions").resolve(other.id()).resolve("workspace");
        assertThat(otherWorkspace.resolve("secret.txt")).exists();
    }

    @AfterAll
    void destroyOther() {
        other.destroy();
    }

    private String base() {
        return "/v1/sessions/" + session.id();
    }

    private TestClient.Reply read(String path) {
        return raw.request("GET", base() + "/fs/read?path=" + RawFiles.q(path), null);
    }

    private TestClient.Reply write(String path, String text) {
        return raw.request("POST", base() + "/fs/write", Map.of("path", path, "text", text));
    }

    private static String text(TestClient.Reply r) {
        return new String(Base64.getDecoder().decode(r.body().get("content_base64").asText()), StandardCharsets.UTF_8);
    }

    @Test
    void dotDotAndOutsidePathsAreRefusedBeforeAnyIo() {
        for (String p : new String[] {"../etc/passwd", "/workspace/../etc/passwd", "a/../../x", "/etc/passwd", "/tmp/x",
                "/workspacex/y", "/", "a\u0000b"}) {
            var r = read(p);
            assertThat(r.status()).as(p).isEqualTo(400);
            assertThat(r.body().get("code").asText()).isEqualTo("INVALID_REQUEST");
            assertThat(r.body().get("error").asText()).doesNotContain(TestDaemon.sharedDataDir().toString());
        }
        assertThat(write("../escape.txt", "x").status()).isEqualTo(400);
        // .. that stays inside is fine.
        assertThat(write("a/b/../c.txt", "inside").status()).isEqualTo(200);
        assertThat(run("cat /workspace/a/c.txt")).isEqualTo("inside");
    }

    @Test
    void symlinkToAHostFileReadsNothingAndWritesNothing() throws Exception {
        String passwd = Files.readString(Path.of("/etc/passwd"));
        run("ln -sf /etc/passwd passwd_link; ln -sfn /etc etc_dir; ln -sfn / root_link");
        for (String p : new String[] {"passwd_link", "etc_dir/passwd", "root_link/etc/passwd", "etc_dir/shadow"}) {
            var r = read(p);
            assertThat(r.status()).as(p).isBetween(400, 499);
        }
        assertThat(write("passwd_link", "owned\n").status()).isBetween(400, 499);
        assertThat(write("etc_dir/sk_planted", "owned\n").status()).isBetween(400, 499);
        assertThat(raw.request("POST", base() + "/fs/mkdir", Map.of("path", "etc_dir/sk_planted_dir")).status()).isBetween(400, 499);
        assertThat(raw.request("DELETE", base() + "/fs?path=etc_dir/hostname", null).status()).isBetween(400, 499);
        assertThat(Files.readString(Path.of("/etc/passwd"))).isEqualTo(passwd);
        assertThat(Path.of("/etc/sk_planted")).doesNotExist();
        assertThat(Path.of("/etc/sk_planted_dir")).doesNotExist();
        assertThat(Path.of("/etc/hostname")).exists();
    }

    @Test
    void symlinkToTheDataDirOrAnotherSessionsWorkspaceLeadsNowhere() throws Exception {
        String data = TestDaemon.sharedDataDir().toString();
        run("ln -sfn " + data + " data_link; ln -sfn " + otherWorkspace + " other_ws; ln -sf " + otherWorkspace + "/secret.txt other_secret");
        assertThat(raw.request("GET", base() + "/fs/list?path=data_link", null).status()).isBetween(400, 499);
        assertThat(read("other_secret").status()).isBetween(400, 499);
        assertThat(read("other_ws/secret.txt").status()).isBetween(400, 499);
        assertThat(write("other_ws/secret.txt", "overwritten\n").status()).isBetween(400, 499);
        assertThat(write("other_secret", "overwritten\n").status()).isBetween(400, 499);
        assertThat(raw.request("DELETE", base() + "/fs?path=other_ws/secret.txt", null).status()).isBetween(400, 499);
        assertThat(Files.readString(otherWorkspace.resolve("secret.txt"))).isEqualTo("other-secret\n");
        assertThat(Sdk.run(other, "cat secret.txt")).isEqualTo("other-secret\n");
    }

    @Test
    void linksInsideTheWorkspaceResolveInTheSandboxView() {
        run("mkdir -p real && echo inner > real/f && ln -sfn /workspace/real abs_link && ln -sfn real rel_link");
        assertThat(text(read("abs_link/f"))).isEqualTo("inner\n");
        assertThat(text(read("rel_link/f"))).isEqualTo("inner\n");
        assertThat(write("abs_link/g", "via link\n").status()).isEqualTo(200);
        assertThat(run("cat real/g")).isEqualTo("via link\n");
    }

    @Test
    void symlinkLoopsAreA4xxNotAHang() {
        run("ln -sfn loop_b loop_a; ln -sfn loop_a loop_b");
        assertThat(read("loop_a").status()).isBetween(400, 499);
        assertThat(write("loop_a", "x").status()).isBetween(400, 499);
        assertThat(write("loop_a/x", "x").status()).isBetween(400, 499);
        assertThat(raw.request("GET", base() + "/fs/list?path=loop_a", null).status()).isBetween(400, 499);
    }

    @Test
    void hardlinksToHostFilesCannotBeMade() {
        // /workspace is its own mount in the sandbox, so link(2) across to /etc or /usr fails with EXDEV.
        assertThat(run("ln /etc/passwd hl_passwd 2>/dev/null && echo made || echo refused").strip()).isEqualTo("refused");
        assertThat(run("ln /usr/bin/env hl_env 2>/dev/null && echo made || echo refused").strip()).isEqualTo("refused");
    }

    @Test
    void aSessionRacingDirectoryForSymlinkNeverLeaksHostFiles() {
        run("mkdir -p race; (while :; do rm -rf race/d; mkdir race/d; echo inner > race/d/passwd;"
                + " rm -rf race/d; ln -s /etc race/d; done) >/dev/null 2>&1 & echo started");
        for (int i = 0; i < 40; i++) {
            var r = read("race/d/passwd");
            if (r.status() == 200) assertThat(text(r)).isEqualTo("inner\n");
            else assertThat(r.status()).isBetween(400, 499);
        }
        run("kill $! 2>/dev/null; wait 2>/dev/null; rm -rf race; echo done");
    }

    @Test
    void filesWrittenBelongToTheSandboxUser() throws Exception {
        assertThat(write("owned/by/sandbox.txt", "x").status()).isEqualTo(200);
        Path host = TestDaemon.sharedDataDir().resolve("volume/sessions").resolve(session.id()).resolve("workspace");
        for (Path p : new Path[] {host.resolve("owned"), host.resolve("owned/by"), host.resolve("owned/by/sandbox.txt")}) {
            assertThat(Files.getAttribute(p, "unix:uid")).as(p.toString()).isEqualTo(100000);
        }
    }
}
