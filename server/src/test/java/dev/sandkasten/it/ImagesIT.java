package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.image.ImageCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Built and imported images, end to end: archives made here by hand (an OCI layout with two
 * layers, whiteouts and an opaque directory; a {@code docker save} tarball) are imported with the
 * real {@code sandkasten image} command into the shared daemon's data directory, and sessions run
 * on them. Every command the sessions run is a bash builtin: the images hold nothing but bash.
 */
class ImagesIT {
    static final SandboxClient client = TestDaemon.sdk();
    static Path dataDir;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void importImages() throws IOException {
        dataDir = TestDaemon.sharedDataDir();
        ImageArchives.Layer lower = ImageArchives.bashLayer()
                .file("etc/deleted.txt", "from the first layer")
                .dir("opaque").file("opaque/old.txt", "old").dir("opaque/sub").file("opaque/sub/older.txt", "older")
                .dir("keep").file("keep/kept.txt", "kept")
                .dir("usr/local").dir("usr/local/bin");
        // The second layer writes into the opaque directory before marking it: a whiteout never
        // hides its own layer's files, whatever their order.
        ImageArchives.Layer upper = new ImageArchives.Layer()
                .file("etc/.wh.deleted.txt", "")
                .dir("opaque").file("opaque/new.txt", "new").file("opaque/.wh..wh..opq", "")
                .file("keep/added.txt", "added").hardlink("keep/hard.txt", "keep/kept.txt");
        var config = ImageArchives.config(List.of("PATH=/usr/local/bin:/usr/bin:/bin", "GREETING=hello from the image",
                "OVERRIDE=image"), "/app");
        Path oci = ImageArchives.oci(tmp.resolve("layers.oci.tar"), config, List.of(lower.bytes(true), upper.bytes(true)), true);
        assertThat(cli("import", "layers", oci.toString(), "--description", "two layers").status()).isZero();

        var dockerConfig = ImageArchives.config(List.of("FROM_DOCKER=yes"), null);
        Path docker = ImageArchives.dockerSave(tmp.resolve("saved.tar"), dockerConfig, List.of(ImageArchives.bashLayer().bytes(false),
                new ImageArchives.Layer().dir("data").file("data/hello.txt", "hello from docker save").bytes(false)));
        assertThat(cli("import", "saved", docker.toString()).status()).isZero();
    }

    @AfterAll
    static void removeImages() {
        for (String name : List.of("layers", "saved")) cli("remove", name);
    }

    record Run(int status, String out, String err) {}

    /** Runs {@code sandkasten image ...} in this JVM against the shared daemon's data directory. */
    static Run cli(String... args) {
        return cli(TestDaemon.sharedDataDir(), args);
    }

    static Run cli(Path data, String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--data-dir", data.toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ImageCommand.run(a.toArray(String[]::new), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Session session(String image, Map<String, String> env) {
        return client.createSession(CreateSessionOptions.builder().image(image).env(env).build());
    }

    @Test
    void layersWhiteoutsEnvAndWorkingDirTakeEffect() {
        try (Session s = session("layers", Map.of("OVERRIDE", "request"))) {
            assertThat(s.info().cwd()).isEqualTo("/app");
            assertThat(Sdk.run(s, "echo \"$PWD|$GREETING|$OVERRIDE|$PATH|$HOME\"")).isEqualTo(
                    "/app|hello from the image|request|/usr/local/bin:/usr/bin:/bin|/workspace\n");
            assertThat(Sdk.run(s, "[[ -e /etc/deleted.txt ]] && echo present || echo whited-out")).isEqualTo("whited-out\n");
            assertThat(Sdk.run(s, "shopt -s nullglob dotglob; f=(/opaque/*); echo ${f[@]}")).isEqualTo("/opaque/new.txt\n");
            assertThat(Sdk.run(s, "echo $(</keep/kept.txt) $(</keep/added.txt) $(</keep/hard.txt)")).isEqualTo("kept added kept\n");
            // /workspace is still the session's workspace, and the control binds work (this command ran).
            assertThat(Sdk.run(s, "cd /workspace && echo hi > f && echo $(<f) $PWD")).isEqualTo("hi /workspace\n");
        }
        Path rootfs = dataDir.resolve("images/layers/rootfs");
        assertThat(rootfs.resolve("etc/deleted.txt")).doesNotExist();
        assertThat(rootfs.resolve("opaque/sub")).doesNotExist();
        assertThat(rootfs.resolve("opaque/.wh..wh..opq")).doesNotExist();
        assertThat(rootfs.resolve("etc/.wh.deleted.txt")).doesNotExist();
    }

    @Test
    void anImportedImageCanBeTheDefaultWithTheWarmPoolOn() throws Exception {
        // The warm pool keeps built-in images only; a stored default is simply not pooled.
        Path data = Files.createTempDirectory("sandkasten-it-default-image-");
        Path archive = ImageArchives.dockerSave(tmp.resolve("default.tar"), ImageArchives.config(List.of(), null),
                List.of(ImageArchives.bashLayer().bytes(false),
                        new ImageArchives.Layer().dir("data").file("data/hello.txt", "the default image").bytes(false)));
        assertThat(cli(data, "import", "mine", archive.toString()).status()).isZero();
        try (dev.sandkasten.daemon.Daemon d = TestDaemon.start(Map.of("data_dir", data.toString(), "default_image", "mine",
                "warm_pool_size", "2")); SandboxClient c = TestDaemon.sdk(d); Session s = c.createSession()) {
            assertThat(Sdk.run(s, "echo \"$(</data/hello.txt)\"")).isEqualTo("the default image\n");
        }
    }

    @Test
    void dockerSaveTarballsWork() {
        try (Session s = session("saved", Map.of())) {
            assertThat(s.info().cwd()).isEqualTo("/workspace");
            assertThat(Sdk.run(s, "echo $FROM_DOCKER $(</data/hello.txt) $PWD")).isEqualTo("yes hello from docker save /workspace\n");
        }
    }

    @Test
    void sessionsAreRootOfTheirNamespaceWithoutPrivileges() {
        try (Session s = session("layers", Map.of())) {
            String status = Sdk.run(s, "while read -r k v; do case $k in CapEff:|CapPrm:|CapBnd:|NoNewPrivs:|Seccomp:) echo $k $v;; esac;"
                    + " done </proc/self/status; echo map $(</proc/self/uid_map); echo uid $UID");
            assertThat(status).contains("CapEff: 0000000000000000", "CapPrm: 0000000000000000", "CapBnd: 0000000000000000",
                    "NoNewPrivs: 1", "Seccomp: 2", "map 0 100000 1", "uid 0");
        }
    }

    @Test
    void writesStayInTheirSessionAndTheImageIsNeverChanged() throws IOException {
        Path rootfs = dataDir.resolve("images/layers/rootfs");
        Map<String, String> before = snapshot(rootfs);
        String firstId;
        try (Session a = session("layers", Map.of()); Session b = session("layers", Map.of())) {
            firstId = a.id();
            Sdk.run(a, "echo tool > /usr/local/bin/tool; echo a > /etc/motd; echo changed > /keep/kept.txt; echo x > /rootfile");
            assertThat(Sdk.run(a, "echo $(</usr/local/bin/tool) $(</etc/motd) $(</keep/kept.txt) $(</rootfile)"))
                    .isEqualTo("tool a changed x\n");
            assertThat(Sdk.run(b, "for f in /usr/local/bin/tool /etc/motd /rootfile; do [[ -e $f ]] && echo leaked $f; done;"
                    + " echo $(</keep/kept.txt)")).isEqualTo("kept\n");
            // The session's layer lives in its own directory; the hard link's other name still shows the old content.
            assertThat(Sdk.run(a, "echo $(</keep/hard.txt)")).isEqualTo("kept\n");
            assertThat(dataDir.resolve("volume/sessions").resolve(firstId).resolve("upper/usr/local/bin/tool")).exists();
        }
        assertThat(snapshot(rootfs)).isEqualTo(before);
        assertThat(dataDir.resolve("sessions").resolve(firstId)).doesNotExist();
        assertThat(dataDir.resolve("volume/sessions").resolve(firstId)).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(firstId);
    }

    @Test
    void imageSessionsLeaveNothingBehind() throws IOException {
        Path sessions = dataDir.resolve("volume/sessions"); // each session's writable layer
        int mountsBefore = Files.readAllLines(Path.of("/proc/self/mountinfo")).size();
        for (int i = 0; i < 10; i++) {
            try (Session s = session("layers", Map.of())) {
                assertThat(Sdk.run(s, "echo " + i + " > /usr/local/n; echo $(</usr/local/n)")).isEqualTo(i + "\n");
                assertThat(sessions.resolve(s.id()).resolve("upper/usr/local/n")).exists();
            }
        }
        // Other tests' sessions may come and go meanwhile; none of these ten may remain.
        try (var s = Files.list(sessions)) {
            for (Path p : s.toList()) assertThat(p.resolve("upper/usr/local/n")).doesNotExist();
        }
        assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")).size()).isLessThanOrEqualTo(mountsBefore);
    }

    /** Every path below {@code root} with its kind, size, mode and modification time. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (var s = Files.walk(root)) {
            for (Path p : s.toList()) {
                var a = Files.readAttributes(p, java.nio.file.attribute.PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                out.put(root.relativize(p).toString(), (a.isDirectory() ? "d" : a.isSymbolicLink() ? "l" : "f") + " " + a.size()
                        + " " + a.permissions() + " " + a.lastModifiedTime() + " " + a.owner().getName());
            }
        }
        return out;
    }

    @Test
    void listsBuiltInAndStoredImages() {
        TestClient.Reply r = TestDaemon.client().request("GET", "/v1/images", null);
        assertThat(r.status()).isEqualTo(200);
        Map<String, JsonNode> byName = new TreeMap<>();
        for (JsonNode n : r.body().path("images")) byName.put(n.path("name").asText(), n);
        assertThat(byName).containsKeys("base", "python", "layers", "saved");
        assertThat(byName.get("python").path("kind").asText()).isEqualTo("built-in");
        assertThat(byName.get("python").path("default").asBoolean()).isTrue();
        assertThat(byName.get("base").path("size_bytes").isNull()).isTrue();
        JsonNode layers = byName.get("layers");
        assertThat(layers.path("kind").asText()).isEqualTo("imported");
        assertThat(layers.path("description").asText()).isEqualTo("two layers");
        assertThat(layers.path("source").asText()).isEqualTo("layers.oci.tar");
        assertThat(layers.path("working_dir").asText()).isEqualTo("/app");
        assertThat(layers.path("size_bytes").asLong()).isGreaterThan(1_000_000L); // bash and libc
        assertThat(layers.path("created_at").asText()).endsWith("Z");

        assertThat(cli("list").out()).contains("layers", "imported", "two layers", "python (default)");
    }

    @Test
    void unknownAndUnusableImagesAreClearErrors() throws IOException {
        TestClient.Reply unknown = TestDaemon.client().request("POST", "/v1/sessions", Map.of("image", "no-such-image"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().path("code").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(unknown.body().path("error").asText()).contains("unknown image 'no-such-image'", "layers");

        Path noBash = ImageArchives.oci(tmp.resolve("nobash.tar"), ImageArchives.config(List.of(), null),
                List.of(new ImageArchives.Layer().dir("etc").file("etc/os-release", "nothing here").bytes(false)), false);
        Run imported = cli("import", "nobash", noBash.toString());
        assertThat(imported.status()).isZero();
        assertThat(imported.err()).contains("no /bin/bash");
        // bash without its libraries: the sandbox starts and dies at once; that must be an error, not a hang.
        Path brokenBash = ImageArchives.oci(tmp.resolve("broken.tar"), ImageArchives.config(List.of(), null),
                List.of(new ImageArchives.Layer().dir("bin").file("bin/bash", Files.readAllBytes(Path.of("/bin/bash")), 0755)
                        .bytes(false)), false);
        assertThat(cli("import", "brokenbash", brokenBash.toString()).status()).isZero();
        try {
            TestClient.Reply r = TestDaemon.client().request("POST", "/v1/sessions", Map.of("image", "nobash"));
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body().path("error").asText()).contains("no /bin/bash");

            long start = System.nanoTime();
            TestClient.Reply broken = TestDaemon.client().request("POST", "/v1/sessions", Map.of("image", "brokenbash"));
            assertThat(broken.status()).isEqualTo(503);
            assertThat(broken.body().path("code").asText()).isEqualTo("UNAVAILABLE");
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(15);
        } finally {
            assertThat(cli("remove", "nobash").status()).isZero();
            assertThat(cli("remove", "brokenbash").status()).isZero();
        }
    }

    @Test
    void anImageInUseCannotBeRemoved() throws Exception {
        Path archive = ImageArchives.oci(tmp.resolve("inuse.tar"), ImageArchives.config(List.of(), null),
                List.of(ImageArchives.bashLayer().bytes(false)), false);
        assertThat(cli("import", "inuse", archive.toString()).status()).isZero();
        Run again = cli("import", "inuse", archive.toString());
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).contains("already exists");
        Session s = session("inuse", Map.of());
        try {
            Run refused = cli("remove", "inuse");
            assertThat(refused.status()).isEqualTo(1);
            assertThat(refused.err()).contains("in use");
            // Another process (the real command line) sees the daemon's lock as well.
            Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                    System.getProperty("java.class.path"), "dev.sandkasten.Main", "image", "remove", "inuse",
                    "--data-dir", dataDir.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isEqualTo(1);
            assertThat(out).contains("in use");
            assertThat(Sdk.run(s, "echo still running")).isEqualTo("still running\n");
        } finally {
            s.destroy();
        }
        Run removed = cli("remove", "inuse");
        assertThat(removed.status()).as(removed.err()).isZero();
        assertThat(dataDir.resolve("images/inuse")).doesNotExist();
        TestClient.Reply gone = TestDaemon.client().request("POST", "/v1/sessions", Map.of("image", "inuse"));
        assertThat(gone.status()).isEqualTo(400);
        assertThat(cli("remove", "inuse").err()).contains("no image 'inuse'");
        assertThat(cli("remove", "python").err()).contains("built-in");
    }
}
