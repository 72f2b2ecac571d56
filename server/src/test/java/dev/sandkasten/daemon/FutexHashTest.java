package dev.sandkasten.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FutexHashTest {
    @Test
    void bucketsGrowWithTheSessionLimitWithinBounds() {
        assertThat(FutexHashSize.bucketsFor(0)).isEqualTo(1024);
        assertThat(FutexHashSize.bucketsFor(100)).isEqualTo(1024);
        assertThat(FutexHashSize.bucketsFor(500)).isEqualTo(4096);
        assertThat(FutexHashSize.bucketsFor(1010)).isEqualTo(8192);
        assertThat(FutexHashSize.bucketsFor(1_000_000)).isEqualTo(1 << 16);
    }

    /** A process that can run the Java 22 version resizes its hash, unless the kernel has none of its own. */
    public static void main(String[] args) {
        FutexHashSize size = FutexHash.resize(8192);
        System.out.println(size.buckets() + " " + size.detail());
    }

    @Test
    void onJava22TheJarsOtherVersionSetsTheSize() throws Exception {
        Path versioned = Path.of("target/classes/META-INF/versions/22");
        assumeTrue(Runtime.version().feature() >= 22 && Files.isDirectory(versioned), "built without JDK 22+");
        // The versioned class first on the class path stands in for the multi-release jar.
        String cp = String.join(File.pathSeparator, versioned.toString(), "target/classes", "target/test-classes");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", cp, FutexHashTest.class.getName())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.exitValue()).as(out).isZero();
        // Kernels before 6.16 (or built without it) have no private hash, and nothing needs doing.
        assertThat(out).satisfiesAnyOf(
                o -> assertThat(o).startsWith("8192 8192 buckets"),
                o -> assertThat(o).contains("no private futex hash"));
    }
}
