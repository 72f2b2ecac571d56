package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandkasten.client.BadRequestException;
import dev.sandkasten.client.ConflictException;
import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.FileEntry;
import dev.sandkasten.client.FileType;
import dev.sandkasten.client.WriteResult;
import dev.sandkasten.client.NotFoundException;
import dev.sandkasten.client.PayloadTooLargeException;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.SandboxFiles;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.SessionGoneException;
import dev.sandkasten.client.Workspace;
import dev.sandkasten.client.WorkspaceInfo;
import dev.sandkasten.daemon.Daemon;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The Java SDK's files and workspaces against the real daemon. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaSdkFilesIT {
    final SandboxClient client = TestDaemon.sdk();
    Session session;
    SandboxFiles files;

    @BeforeAll
    void createSession() {
        session = client.createSession();
        files = session.files();
    }

    @AfterAll
    void destroySession() {
        session.close();
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void textAndEveryByteValueRoundTrip() throws Exception {
        WriteResult w = files.write("notes/hello.txt", "grüße\nline 2\n");
        assertThat(w.path()).isEqualTo("/workspace/notes/hello.txt");
        assertThat(w.size()).isEqualTo("grüße\nline 2\n".getBytes(StandardCharsets.UTF_8).length);
        assertThat(files.readText("notes/hello.txt")).isEqualTo("grüße\nline 2\n");
        assertThat(files.readText("/workspace/notes/hello.txt")).isEqualTo("grüße\nline 2\n");
        assertThat(Sdk.run(session, "cat notes/hello.txt; stat -c %u notes/hello.txt")).isEqualTo("grüße\nline 2\n1000\n");

        byte[] all = new byte[512];
        for (int i = 0; i < all.length; i++) all[i] = (byte) (255 - i % 256);
        assertThat(files.write("bin/all.bin", all).size()).isEqualTo(512);
        assertThat(files.read("bin/all.bin")).isEqualTo(all);
        assertThat(Sdk.run(session, "sha256sum bin/all.bin | cut -d' ' -f1").strip()).isEqualTo(sha256(all));
        // What the sandbox writes comes back byte for byte too.
        Sdk.run(session, "printf '\\000\\377\\r\\n' > bin/shell.bin");
        assertThat(files.read("bin/shell.bin")).containsExactly(0, 255, 13, 10);

        files.write("empty.txt", new byte[0]);
        assertThat(files.read("empty.txt")).isEmpty();
        files.write("notes/hello.txt", "replaced");
        assertThat(files.readText("notes/hello.txt")).isEqualTo("replaced");
    }

    @Test
    void largeFilesStreamBothWaysAndCompareByHash(@TempDir Path tmp) throws Exception {
        int size = 30 << 20;
        byte[] data = new byte[size];
        new Random(7).nextBytes(data);
        Path local = tmp.resolve("big.bin");
        Files.write(local, data);
        String hash = sha256(data);

        WriteResult up = files.upload("big/up.bin", local);
        assertThat(up.size()).isEqualTo(size);
        assertThat(Sdk.run(session, "sha256sum big/up.bin | cut -d' ' -f1").strip()).isEqualTo(hash);

        Path back = tmp.resolve("back.bin");
        assertThat(files.download("big/up.bin", back)).isEqualTo(size);
        assertThat(sha256(Files.readAllBytes(back))).isEqualTo(hash);

        // From a stream of unknown length, to a stream: nothing is held whole in memory on either side.
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(new ByteArrayInputStream(data), sent)) {
            assertThat(files.upload("big/streamed.bin", in).size()).isEqualTo(size);
        }
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), received)) {
            assertThat(files.download("big/streamed.bin", out)).isEqualTo(size);
        }
        assertThat(HexFormat.of().formatHex(received.digest())).isEqualTo(HexFormat.of().formatHex(sent.digest()))
                .isEqualTo(hash);
        try (InputStream in = files.open("big/streamed.bin")) {
            assertThat(in.readNBytes(1000)).isEqualTo(java.util.Arrays.copyOf(data, 1000));
        }
        files.delete("big");
    }

    @Test
    void listStatMkdirAndDelete() {
        Instant before = Instant.now().minusSeconds(60);
        assertThat(files.mkdir("tree/a/b")).isEqualTo("/workspace/tree/a/b");
        files.write("tree/a/file.txt", "12345");
        Sdk.run(session, "ln -sf file.txt tree/a/link");
        assertThat(files.list("tree/a")).extracting(FileEntry::name).containsExactly("b", "file.txt", "link");
        FileEntry file = files.list("tree/a").get(1);
        assertThat(file.path()).isEqualTo("/workspace/tree/a/file.txt");
        assertThat(file.type()).isEqualTo(FileType.FILE);
        assertThat(file.size()).isEqualTo(5);
        assertThat(file.modifiedAt()).isAfter(before);
        assertThat(file.mode()).matches("0[0-7]{3}");
        assertThat(files.list("tree/a").get(0).isDirectory()).isTrue();
        assertThat(files.list("tree/a").get(2).type()).isEqualTo(FileType.SYMLINK);
        assertThat(files.stat("tree/a/link").type()).as("stat follows a link").isEqualTo(FileType.FILE);
        assertThat(files.stat("tree").type()).isEqualTo(FileType.DIRECTORY);
        assertThat(files.list()).extracting(FileEntry::name).contains("tree");
        assertThat(files.exists("tree/a/file.txt")).isTrue();
        assertThat(files.exists("tree/nope")).isFalse();

        files.delete("tree/a/file.txt");
        assertThat(files.exists("tree/a/file.txt")).isFalse();
        files.delete("tree");
        assertThat(Sdk.run(session, "test -e tree && echo there || echo gone")).isEqualTo("gone\n");
    }

    @Test
    void errorsAreTyped() {
        assertThatThrownBy(() -> files.read("missing.txt")).isInstanceOfSatisfying(NotFoundException.class,
                e -> assertThat(e.code()).isEqualTo("NOT_FOUND"));
        assertThatThrownBy(() -> files.stat("missing.txt")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> files.delete("missing.txt")).isInstanceOf(NotFoundException.class);
        files.mkdir("adir");
        assertThatThrownBy(() -> files.read("adir")).isInstanceOf(BadRequestException.class);
        files.write("afile", "x");
        assertThatThrownBy(() -> files.list("afile")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> files.write("/tmp/outside", "x")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> files.read("../../etc/passwd")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> files.delete("/workspace")).isInstanceOf(BadRequestException.class);
        Sdk.run(session, "ln -sf /etc/passwd escape");
        assertThatThrownBy(() -> files.read("escape")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> files.write("escape", "x")).isInstanceOf(ConflictException.class);

        Session ended = client.createSession();
        ended.destroy();
        assertThatThrownBy(() -> ended.files().write("x", "y")).isInstanceOf(SessionGoneException.class);
        assertThatThrownBy(() -> ended.files().exists("x")).isInstanceOf(SessionGoneException.class);
    }

    @Test
    void filesOverTheDaemonsLimitAre413(@TempDir Path tmp) throws IOException {
        try (Daemon d = TestDaemon.start(Map.of("max_file_bytes", "64KiB"));
             SandboxClient c = TestDaemon.sdk(d);
             Session s = c.createSession()) {
            assertThatThrownBy(() -> s.files().write("big", new byte[100_000]))
                    .isInstanceOfSatisfying(PayloadTooLargeException.class, e -> {
                        assertThat(e.status()).isEqualTo(413);
                        assertThat(e.code()).isEqualTo("PAYLOAD_TOO_LARGE");
                    });
            Path local = tmp.resolve("big");
            Files.write(local, new byte[100_000]);
            assertThatThrownBy(() -> s.files().upload("big", local)).isInstanceOf(PayloadTooLargeException.class);
            assertThat(s.files().exists("big")).as("no partial file is left").isFalse();
            assertThat(s.files().write("small", new byte[60_000]).size()).isEqualTo(60_000);
        }
    }

    @Test
    void aWorkspaceOutlivesItsSessionsAndIsListedAndDeleted() {
        String ws = "ws-java-" + UUID.randomUUID().toString().substring(0, 8);
        try (Session first = client.createSession(CreateSessionOptions.builder().workspaceId(ws).build())) {
            assertThat(first.info().workspaceId()).isEqualTo(ws);
            first.files().write("kept.txt", "from the first session\n");
            Sdk.run(first, "mkdir -p src && echo 'print(42)' > src/main.py");
            assertThat(client.listWorkspaces()).filteredOn(w -> w.id().equals(ws)).singleElement()
                    .satisfies(w -> {
                        assertThat(w.sessions()).isEqualTo(1);
                        assertThat(w.createdAt()).isNotNull();
                    });
            assertThatThrownBy(() -> client.deleteWorkspace(ws)).as("in use").isInstanceOf(ConflictException.class);
        }
        try (Session second = client.createSession(CreateSessionOptions.builder().workspaceId(ws).build())) {
            assertThat(Sdk.run(second, "cat kept.txt; python3 src/main.py")).isEqualTo("from the first session\n42\n");
            assertThat(second.files().readText("src/main.py")).isEqualTo("print(42)\n");
        }
        assertThat(client.listWorkspaces()).filteredOn(w -> w.id().equals(ws)).extracting(WorkspaceInfo::sessions)
                .containsExactly(0);
        client.deleteWorkspace(ws);
        assertThat(client.listWorkspaces()).extracting(WorkspaceInfo::id).doesNotContain(ws);
        assertThatThrownBy(() -> client.deleteWorkspace(ws)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aWorkspacesFilesWorkWithoutASession() throws Exception {
        Workspace ws = client.workspace("ws-java-" + UUID.randomUUID().toString().substring(0, 8));
        assertThatThrownBy(() -> ws.files().list()).as("not created yet").isInstanceOf(NotFoundException.class);
        ws.files().write("data/in.csv", "a,b\n1,2\n");
        assertThat(ws.files().mkdir("/workspace/out/")).isEqualTo("/workspace/out");
        assertThat(ws.files().list()).extracting(FileEntry::name).containsExactly("data", "out");
        assertThat(ws.files().stat("data/in.csv").size()).isEqualTo(8);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ws.files().download("data/in.csv", sink);
        assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo("a,b\n1,2\n");
        assertThat(client.listWorkspaces()).extracting(WorkspaceInfo::id).contains(ws.id());

        try (Session s = client.createSession(CreateSessionOptions.builder().workspaceId(ws.id()).build())) {
            Sdk.run(s, "sed 's/,/;/' data/in.csv > out/result.csv");
        }
        assertThat(ws.files().readText("out/result.csv")).isEqualTo("a;b\n1;2\n");
        ws.files().delete("data");
        assertThat(ws.files().list()).extracting(FileEntry::name).containsExactly("out");
        ws.delete();
        assertThatThrownBy(() -> ws.files().read("out/result.csv")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.workspace("../bad id")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("letters, digits");
        assertThatThrownBy(() -> client.createSession(CreateSessionOptions.builder().workspaceId("-bad").build()))
                .isInstanceOf(BadRequestException.class);
    }
}
