package dev.sandkasten.image;

import dev.sandkasten.sandbox.MountTable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Builds a Debian root file system with debootstrap (installed with apt when missing), then makes
 * it fit for sessions: apt's cache emptied, device nodes removed, every file given to the sandbox
 * uid, and apt told not to drop to its {@code _apt} user (a session's user namespace maps one uid
 * only, so that switch would fail).
 */
final class DebootstrapBuilder {
    static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
    static final Pattern SUITE = Pattern.compile("[a-z0-9][a-z0-9.-]{0,31}");
    static final Pattern VARIANT = Pattern.compile("minbase|buildd|default");
    static final Pattern MIRROR = Pattern.compile("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?");

    /**
     * What to build.
     *
     * @param suite a Debian suite or codename, e.g. bookworm
     * @param variant debootstrap's --variant, or "default" for none
     * @param packages extra packages for --include
     * @param mirror the Debian mirror's URL
     */
    record Recipe(String suite, String variant, List<String> packages, String mirror) {
        Recipe {
            packages = List.copyOf(packages);
        }

        String describe() {
            return "debootstrap " + suite + " (" + variant + ")" + (packages.isEmpty() ? "" : " + " + String.join(",", packages))
                    + " from " + mirror;
        }
    }

    private DebootstrapBuilder() {}

    /** Runs debootstrap into {@code rootfs} (which must not exist yet), its output going to {@code log}. */
    static void build(Recipe r, Path rootfs, PrintStream log) throws IOException {
        String debootstrap = ensureInstalled(log);
        List<String> cmd = new ArrayList<>(List.of(debootstrap));
        // "default" is debootstrap's own choice (required and important packages): no --variant.
        if (!r.variant().equals("default")) cmd.add("--variant=" + r.variant());
        if (!r.packages().isEmpty()) cmd.add("--include=" + String.join(",", r.packages()));
        cmd.addAll(List.of(r.suite(), rootfs.toString(), r.mirror()));
        log.println("sandkasten: " + String.join(" ", cmd));
        int status;
        try {
            status = run(cmd, log);
        } finally {
            // debootstrap mounts /proc and /sys in its target and may leave them behind when it fails.
            MountTable.unmountBelow(rootfs);
        }
        if (status != 0) {
            Path debootstrapLog = rootfs.resolve("debootstrap/debootstrap.log");
            String tail = "";
            if (Files.isRegularFile(debootstrapLog)) {
                List<String> lines = Files.readAllLines(debootstrapLog);
                tail = "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
            }
            throw new IOException("debootstrap failed (exit status " + status + ")" + tail);
        }
        tidy(rootfs);
    }

    private static void tidy(Path rootfs) throws IOException {
        Path archives = rootfs.resolve("var/cache/apt/archives");
        if (Files.isDirectory(archives)) {
            try (var s = Files.list(archives)) {
                for (Path p : s.toList()) if (p.getFileName().toString().endsWith(".deb")) Files.delete(p);
            }
        }
        Path aptConf = rootfs.resolve("etc/apt/apt.conf.d");
        if (Files.isDirectory(aptConf)) {
            Files.writeString(aptConf.resolve("99sandkasten"), """
                    // Sessions map a single uid: apt cannot switch to its _apt user there.
                    APT::Sandbox::User "root";
                    """);
        }
    }

    /** The debootstrap program, installed with apt first if this host lacks it. */
    private static String ensureInstalled(PrintStream log) throws IOException {
        Path found = Path.of("/usr/sbin/debootstrap");
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(found)) missing.add("debootstrap");
        if (!Files.exists(Path.of("/usr/share/keyrings/debian-archive-keyring.gpg"))) missing.add("debian-archive-keyring");
        if (missing.isEmpty()) return found.toString();
        String install = "apt-get install -y --no-install-recommends " + String.join(" ", missing);
        if (!Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            throw new IOException("debootstrap is missing and there is no apt-get here; install " + String.join(" and ", missing));
        }
        log.println("sandkasten: installing " + String.join(" ", missing));
        int status = run(List.of("sh", "-c", "DEBIAN_FRONTEND=noninteractive " + install
                + " || (apt-get update && DEBIAN_FRONTEND=noninteractive " + install + ")"), log);
        if (status != 0 || !Files.isExecutable(found)) throw new IOException("could not install debootstrap; run: " + install);
        return found.toString();
    }

    private static int run(List<String> cmd, PrintStream log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Process p = pb.start();
        p.getOutputStream().close();
        p.getInputStream().transferTo(log);
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
