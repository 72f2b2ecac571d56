package dev.sandkasten.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Argument parsing and validation of {@code sandkasten image}, and the in-root path lookup. */
class ImageCommandTest {
    static ImageCommand.Command parse(String... args) {
        return ImageCommand.parse(args);
    }

    @Test
    void parsesEveryCommand() {
        var build = parse("build", "py3", "--packages", "python3, git", "--suite=trixie", "--variant", "buildd",
                "--mirror", "http://mirror.example:8080/debian", "--data-dir", "/srv/sk");
        assertThat(build.action()).isEqualTo("build");
        assertThat(build.args()).containsExactly("py3");
        assertThat(build.options()).containsEntry("--suite", "trixie").containsEntry("--variant", "buildd");
        assertThat(ImageCommand.packages(build.options().get("--packages"))).containsExactly("python3", "git");
        assertThat(build.configFlags()).containsEntry("data_dir", "/srv/sk");

        var imp = parse("import", "alpine-3.20", "/tmp/a.tar", "--max-size", "2GiB", "--config", "/etc/sk.yaml");
        assertThat(imp.args()).containsExactly("alpine-3.20", "/tmp/a.tar");
        assertThat(imp.configFile()).contains(Path.of("/etc/sk.yaml"));
        assertThat(ImageCommand.maxSize(imp.options().get("--max-size"))).isEqualTo(2L << 30);

        assertThat(parse("remove", "old-image").args()).containsExactly("old-image");
        assertThat(parse("list").args()).isEmpty();
        assertThat(parse("--help").action()).isEqualTo("help");
        assertThat(parse("build", "x", "--help").action()).isEqualTo("help");
    }

    @Test
    void refusesBadCommandLines() {
        record Case(List<String> args, String message) {}
        for (Case c : List.of(
                new Case(List.of(), "name a command"),
                new Case(List.of("frobnicate"), "unknown command 'frobnicate'"),
                new Case(List.of("build"), "image build takes one NAME"),
                new Case(List.of("build", "a", "b"), "image build takes one NAME, got [a, b]"),
                new Case(List.of("import", "a"), "image import takes NAME and FILE"),
                new Case(List.of("list", "x"), "image list takes no arguments"),
                new Case(List.of("build", "Bad_Name"), "image names are 1 to 63 characters"),
                new Case(List.of("remove", "../../etc"), "image names are 1 to 63 characters"),
                new Case(List.of("remove", "base"), "'base' is a built-in image"),
                new Case(List.of("build", "-x"), "unknown option"),
                new Case(List.of("build", "a" .repeat(64)), "image names are 1 to 63 characters"),
                new Case(List.of("import", "python", "f.tar"), "'python' is a built-in image"),
                new Case(List.of("build", "x", "--packages", "python3,rm -rf"), "'rm -rf' is not a Debian package name"),
                new Case(List.of("build", "x", "--packages", ","), "names no package"),
                new Case(List.of("build", "x", "--suite", "../../x"), "--suite must be a Debian suite"),
                new Case(List.of("build", "x", "--variant", "huge"), "--variant must be"),
                new Case(List.of("build", "x", "--mirror", "ftp://x"), "--mirror must be an http:// or https:// URL"),
                new Case(List.of("build", "x", "--mirror", "http://x/a b"), "--mirror must be"),
                new Case(List.of("build", "x", "--max-size", "1G"), "unknown option '--max-size' for image build"),
                new Case(List.of("import", "x", "f", "--max-size", "lots"), "--max-size must be a size"),
                new Case(List.of("import", "x", "f", "--max-size", "0"), "out of range"),
                new Case(List.of("import", "x", "f", "--description", "a\nb"), "one line"),
                new Case(List.of("build", "x", "--suite", "a", "--suite", "b"), "given twice"),
                new Case(List.of("build", "x", "--suite"), "--suite needs a value"))) {
            assertThatThrownBy(() -> ImageCommand.parse(c.args().toArray(String[]::new))).as(c.args().toString())
                    .isInstanceOf(ImageCommand.UsageException.class).hasMessageContaining(c.message());
        }
    }

    @Test
    void badUsageExitsWithTwoAndPrintsUsage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ImageCommand.run(new String[] {"build"}, Map.of(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("takes one NAME", "usage: sandkasten image list");
    }

    @Test
    void listsWithoutRoot(@TempDir Path data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = ImageCommand.run(new String[] {"list", "--data-dir", data.toString()}, Map.of(),
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("NAME", "base", "built-in", "python (default)");
    }

    @Test
    void resolvesPathsAsIfChrootedToTheImage(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("usr/bin"));
        Files.writeString(root.resolve("usr/bin/bash"), "");
        Files.createSymbolicLink(root.resolve("bin"), Path.of("usr/bin"));
        Files.createSymbolicLink(root.resolve("abs"), Path.of("/usr/bin"));
        Files.createSymbolicLink(root.resolve("up"), Path.of("../../../../.."));
        Files.createSymbolicLink(root.resolve("loop"), Path.of("loop"));
        assertThat(Trees.resolveInRoot(root, "/bin/bash")).contains(root.resolve("usr/bin/bash"));
        assertThat(Trees.resolveInRoot(root, "/abs/bash")).contains(root.resolve("usr/bin/bash"));
        // ".." stops at the image's root, as it does at "/".
        assertThat(Trees.resolveInRoot(root, "/up/usr/bin/bash")).contains(root.resolve("usr/bin/bash"));
        assertThat(Trees.resolveInRoot(root, "/up/etc/passwd")).isEmpty();
        assertThat(Trees.resolveInRoot(root, "/loop/x")).isEmpty();
        assertThat(Trees.resolveInRoot(root, "/usr/bin/bash/..")).isEmpty();
    }
}
