package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Archives built to escape the image directory during import. Each must be refused with a clear
 * message, leave no image and no staging directory behind, and write nothing outside: a canary
 * directory next to the data directory, which the hostile entries aim at, stays empty.
 */
class HostileImageIT {
    @TempDir
    static Path tmp;
    static Path canary;

    @BeforeAll
    static void canary() throws IOException {
        // Absolute links point here; relative ones climb from the image's root to it.
        canary = Files.createDirectory(TestDaemon.sharedDataDir().resolveSibling(TestDaemon.sharedDataDir().getFileName() + "-canary"));
        Files.setPosixFilePermissions(canary, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    /** From the image's rootfs to the canary: rootfs -> .tmp-x -> images -> data dir -> its parent. */
    static String up() {
        return "../../../../" + canary.getFileName();
    }

    static Stream<Arguments> hostile() {
        List<Arguments> cases = List.of(
                Arguments.of("dot-dot", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.rawFile(up() + "/escaped.txt", "x"), "climbs out with '..'"),
                Arguments.of("absolute", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.rawFile(canary + "/escaped.txt", "x"), "is an absolute path"),
                Arguments.of("through-absolute-symlink", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.symlink("link", canary.toString()).file("link/escaped.txt", "x"), "goes through the symbolic link 'link'"),
                Arguments.of("through-relative-symlink", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.symlink("up", up()).file("up/escaped.txt", "x"), "goes through the symbolic link 'up'"),
                Arguments.of("nested-symlink-dir", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.dir("a").symlink("a/b", "/").file("a/b/" + canary.toString().substring(1) + "/escaped.txt", "x"),
                        "goes through the symbolic link 'a/b'"),
                Arguments.of("hardlink-outside", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.hardlink("passwd", "../../../../../../../../etc/passwd"), "climbs out with '..'"),
                Arguments.of("hardlink-absolute", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.hardlink("passwd", "/etc/passwd"), "is an absolute path"),
                Arguments.of("hardlink-through-symlink", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.symlink("host", "/").hardlink("passwd", "host/etc/passwd"), "goes through the symbolic link 'host'"),
                Arguments.of("hardlink-to-missing", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.hardlink("passwd", "etc/passwd"), "not a file extracted before it"),
                Arguments.of("whiteout-through-symlink", (Function<ImageArchives.Layer, ImageArchives.Layer>) l ->
                        l.symlink("link", canary.toString()).file("link/.wh.keep", ""), "goes through the symbolic link 'link'"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void isRefusedAndWritesNothingOutside(String name, Function<ImageArchives.Layer, ImageArchives.Layer> entries, String why)
            throws IOException {
        Files.writeString(canary.resolve("keep"), "canary");
        Path archive = ImageArchives.oci(tmp.resolve(name + ".tar"), ImageArchives.config(List.of(), null),
                List.of(entries.apply(new ImageArchives.Layer().dir("etc").file("etc/ok", "fine")).bytes(false)), false);
        ImagesIT.Run r = ImagesIT.cli("import", "hostile-" + name, archive.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("refused", why);
        try (var s = Files.list(canary)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("keep");
        }
        assertThat(Files.readString(canary.resolve("keep"))).isEqualTo("canary");
        try (var s = Files.list(TestDaemon.sharedDataDir().resolve("images"))) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.contains("hostile"))).isEmpty();
        }
    }

    @Test
    void aFileReplacesALinkInsteadOfWritingThroughIt() throws IOException {
        Files.writeString(canary.resolve("keep"), "canary");
        // Layer one plants links to the canary; layer two writes files of the same names.
        Path archive = ImageArchives.oci(tmp.resolve("overwrite.tar"), ImageArchives.config(List.of(), null), List.of(
                new ImageArchives.Layer().symlink("keep", canary.resolve("keep").toString()).symlink("rel", up() + "/keep")
                        .file("real", "real").bytes(false),
                new ImageArchives.Layer().file("keep", "image").file("rel", "image").hardlink("real2", "real")
                        .file("real", "replaced").bytes(false)), false);
        ImagesIT.Run r = ImagesIT.cli("import", "overwrite", archive.toString());
        try {
            assertThat(r.status()).as(r.err()).isZero();
            Path rootfs = TestDaemon.sharedDataDir().resolve("images/overwrite/rootfs");
            assertThat(Files.readString(canary.resolve("keep"))).isEqualTo("canary");
            assertThat(Files.isSymbolicLink(rootfs.resolve("keep"))).isFalse();
            assertThat(Files.readString(rootfs.resolve("keep"))).isEqualTo("image");
            assertThat(Files.readString(rootfs.resolve("rel"))).isEqualTo("image");
            // The hard link keeps the old content: a later entry replaces a name, never writes into its inode.
            assertThat(Files.readString(rootfs.resolve("real2"))).isEqualTo("real");
            assertThat(Files.readString(rootfs.resolve("real"))).isEqualTo("replaced");
        } finally {
            ImagesIT.cli("remove", "overwrite");
        }
    }

    @Test
    void aDirectoryReplacedByALinkKeepsItsModeToItself() throws IOException {
        Path victim = Files.createDirectory(canary.resolve("victim"));
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rwx------"));
        try {
            // The directory's mode is applied at the end of the layer; by then "d" is a link to the victim.
            Path archive = ImageArchives.oci(tmp.resolve("dirlink.tar"), ImageArchives.config(List.of(), null), List.of(
                    new ImageArchives.Layer().dir("d").symlink("d", victim.toString()).bytes(false)), false);
            ImagesIT.Run r = ImagesIT.cli("import", "dirlink", archive.toString());
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim))).isEqualTo("rwx------");
        } finally {
            ImagesIT.cli("remove", "dirlink");
            Files.delete(victim);
        }
    }

    @Test
    void removeNeverLeavesTheStore() {
        ImagesIT.Run r = ImagesIT.cli("remove", "../../..");
        assertThat(r.status()).isEqualTo(2);
        assertThat(TestDaemon.sharedDataDir()).exists();
    }

    @Test
    void deviceNodesAreLeftOut() throws IOException {
        Path archive = ImageArchives.oci(tmp.resolve("devices.tar"), ImageArchives.config(List.of(), null),
                List.of(new ImageArchives.Layer().dir("dev").charDevice("dev/mem", 1, 1).charDevice("dev/kmsg", 1, 11)
                        .file("dev/readme", "only me").bytes(false)), false);
        ImagesIT.Run r = ImagesIT.cli("import", "devices", archive.toString());
        try {
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.err()).contains("left out 2 device node(s)");
            Path dev = TestDaemon.sharedDataDir().resolve("images/devices/rootfs/dev");
            try (var s = Files.list(dev)) {
                assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("readme");
            }
        } finally {
            ImagesIT.cli("remove", "devices");
        }
    }

    @Test
    void setIdBitsAndArchiveOwnersAreDropped() throws IOException {
        Path archive = ImageArchives.oci(tmp.resolve("setuid.tar"), ImageArchives.config(List.of(), null),
                List.of(new ImageArchives.Layer().dir("bin").file("bin/su", "#!/bin/sh\n".getBytes(), 04755)
                        .file("bin/sg", "#!/bin/sh\n".getBytes(), 02755).bytes(false)), false);
        assertThat(ImagesIT.cli("import", "setuid", archive.toString()).status()).isZero();
        try {
            Path bin = TestDaemon.sharedDataDir().resolve("images/setuid/rootfs/bin");
            for (String f : List.of("su", "sg")) {
                int mode = (Integer) Files.getAttribute(bin.resolve(f), "unix:mode", LinkOption.NOFOLLOW_LINKS);
                assertThat(mode & 07777).as(f).isEqualTo(0755);
                assertThat(Files.getAttribute(bin.resolve(f), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(100000);
            }
        } finally {
            ImagesIT.cli("remove", "setuid");
        }
    }

    /** Rewrites an archive with one byte of entry {@code name} changed (its length stays). */
    static void tamper(Path archive, String name) throws IOException {
        Path out = archive.resolveSibling(archive.getFileName() + ".new");
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(Files.newInputStream(archive));
             var w = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(out))) {
            org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
            boolean found = false;
            while ((e = in.getNextEntry()) != null) {
                byte[] content = in.readAllBytes();
                if (e.getName().equals(name)) {
                    content[content.length / 3] ^= 1;
                    found = true;
                }
                w.putArchiveEntry(e);
                w.write(content);
                w.closeArchiveEntry();
            }
            assertThat(found).as(name).isTrue();
        }
        Files.move(out, archive, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @AfterAll
    static void removeCanary() throws IOException {
        try (var s = Files.list(canary)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(canary);
    }

    @Test
    void damagedAndForeignArchivesAreRefused() throws IOException {
        byte[] layer = new ImageArchives.Layer().file("x", "x").bytes(false);
        Path archive = ImageArchives.oci(tmp.resolve("damaged.tar"), ImageArchives.config(List.of(), null), List.of(layer), false);
        tamper(archive, "blobs/sha256/" + ImageArchives.digest(layer).substring(7));
        ImagesIT.Run r = ImagesIT.cli("import", "damaged", archive.toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("does not match its digest");

        Path notAnImage = tmp.resolve("plain.tar");
        Files.write(notAnImage, new ImageArchives.Layer().file("hello.txt", "hi").bytes(false));
        assertThat(ImagesIT.cli("import", "plain", notAnImage.toString()).err()).contains("not an image archive");

        var arm = ImageArchives.config(List.of(), null).put("architecture", "s390x");
        Path foreign = ImageArchives.oci(tmp.resolve("foreign.tar"), arm, List.of(layer), false);
        assertThat(ImagesIT.cli("import", "foreign", foreign.toString()).err()).contains("built for s390x");
        try (var st = Files.list(TestDaemon.sharedDataDir().resolve("images"))) {
            assertThat(st.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".lock"))
                    .filter(n -> n.equals("damaged") || n.equals("plain") || n.equals("foreign") || n.startsWith(".tmp"))).isEmpty();
        }
    }
}
