package dev.sandkasten.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the host programs sandboxes need are there: bubblewrap always, python3 with pip
 * and venv for the {@code python} image, and btrfs-progs for disk quotas. As root on a system with apt they are installed;
 * otherwise start-up fails with the exact command to run.
 */
final class Prerequisites {
    private static final Logger log = LoggerFactory.getLogger(Prerequisites.class);

    private Prerequisites() {}

    /** @param slirp4netns null unless egress networking is enabled */
    record Programs(String bwrap, String setpriv, String prlimit, String slirp4netns) {}

    /** @param diskQuota whether the programs of the disk quota's volume are needed */
    static Programs ensure(boolean root, boolean egress, boolean diskQuota) {
        List<String> missing = new ArrayList<>();
        if (find("bwrap").isEmpty()) missing.add("bubblewrap");
        if (find("setpriv").isEmpty() || find("prlimit").isEmpty() || find("unshare").isEmpty()) missing.add("util-linux");
        if (egress && find("slirp4netns").isEmpty()) missing.add("slirp4netns");
        if (egress && find("ip").isEmpty()) missing.add("iproute2");
        if (egress && find("nsenter").isEmpty() && !missing.contains("util-linux")) missing.add("util-linux");
        if (!pythonReady()) missing.addAll(List.of("python3", "python3-pip", "python3-venv"));
        if (!missing.isEmpty()) {
            String cmd = "apt-get install -y --no-install-recommends " + String.join(" ", missing);
            if (!root || find("apt-get").isEmpty()) {
                throw new IllegalStateException("missing prerequisites (" + String.join(", ", missing)
                        + "); install them with: sudo " + cmd);
            }
            if (!install(missing)) throw new IllegalStateException("could not install prerequisites; run as root: " + cmd);
        }
        // The disk quota's volume is optional: without btrfs-progs the daemon decides (DiskVolume).
        if (diskQuota && !hasBtrfsProgs() && root && find("apt-get").isPresent()
                && !install(List.of("btrfs-progs"))) {
            log.warn("could not install btrfs-progs, which the disk quota needs");
        }
        return new Programs(find("bwrap").orElseThrow(), find("setpriv").orElseThrow(), find("prlimit").orElseThrow(),
                egress ? find("slirp4netns").orElseThrow() : null);
    }

    /** Installs Debian packages with apt-get (updating its lists if the first try fails). */
    private static boolean install(List<String> packages) {
        String cmd = "apt-get install -y --no-install-recommends " + String.join(" ", packages);
        log.info("installing missing prerequisites: {}", String.join(" ", packages));
        return run(List.of("sh", "-c", "DEBIAN_FRONTEND=noninteractive " + cmd
                + " || (apt-get update && DEBIAN_FRONTEND=noninteractive " + cmd + ")")) == 0;
    }

    private static boolean pythonReady() {
        if (!Files.isExecutable(Path.of("/usr/bin/python3"))) return false;
        // On Debian, venv needs the pip wheel from python3-venv's dependencies, and pip is a package of its own.
        return hasWheels() && run(List.of("/usr/bin/python3", "-c", "import ensurepip, pip, venv")) == 0;
    }

    private static boolean hasWheels() {
        try (var s = Files.list(Path.of("/usr/share/python-wheels"))) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith("pip-"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the programs of btrfs-progs the disk volume runs are there. */
    static boolean hasBtrfsProgs() {
        return find("btrfs").isPresent() && find("mkfs.btrfs").isPresent();
    }

    static Optional<String> find(String program) {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) return Optional.of(p.toString());
        }
        return Optional.empty();
    }

    private static int run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
