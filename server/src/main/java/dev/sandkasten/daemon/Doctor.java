package dev.sandkasten.daemon;

import dev.sandkasten.cgroup.CgroupLayout;
import dev.sandkasten.config.Config;
import dev.sandkasten.sandbox.ControlRoot;
import dev.sandkasten.sandbox.NetworkMode;
import dev.sandkasten.sandbox.SeccompFilter;
import dev.sandkasten.sandbox.SeccompProfile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code sandkasten doctor}: checks that this host can run sandboxes safely (kernel features,
 * cgroups, bubblewrap, seccomp, user namespaces) and that the configuration's security posture
 * is sound, and says how to fix each failure. It changes nothing, and it actually starts one
 * bubblewrap sandbox as the sandbox uid, since that is the check that catches what the others
 * miss (AppArmor rules on user namespaces, a missing setuid bit, a read-only /proc).
 */
public final class Doctor {
    /** How bad a finding is: a failure stops the daemon from working or from being safe. */
    public enum Status { PASS, WARN, FAIL }

    /** One check's result; {@code fix} says what to do when it is not a pass. */
    public record Finding(Status status, String check, String detail, String fix) {
        static Finding pass(String check, String detail) {
            return new Finding(Status.PASS, check, detail, "");
        }
    }

    private Doctor() {}

    /** Prints every finding and returns the exit status: 1 if anything failed, else 0. */
    public static int report(Config config, PrintStream out) {
        List<Finding> findings = examine(config);
        for (Finding f : findings) {
            out.printf("%-4s  %-18s %s%n", f.status(), f.check(), f.detail());
            if (f.status() != Status.PASS) out.printf("      %-18s fix: %s%n", "", f.fix());
        }
        boolean failed = findings.stream().anyMatch(f -> f.status() == Status.FAIL);
        out.println(failed ? "doctor: some checks failed; fix them before serving sandboxes"
                : "doctor: this host can run sandboxes");
        return failed ? 1 : 0;
    }

    /** Runs every check. */
    public static List<Finding> examine(Config config) {
        List<Finding> out = new ArrayList<>();
        boolean root = "root".equals(System.getProperty("user.name"));
        out.add(root ? Finding.pass("privileges", "running as root")
                : new Finding(Status.FAIL, "privileges", "running as " + System.getProperty("user.name"),
                        "run the daemon as root: it manages cgroups and drops every sandbox to an unprivileged uid"));
        Optional<String> bwrap = Prerequisites.find("bwrap");
        List<String> programs = new ArrayList<>(List.of("bwrap", "setpriv", "prlimit"));
        if (config.networkModes().contains(NetworkMode.EGRESS)) programs.add("slirp4netns");
        for (String program : programs) {
            out.add(Prerequisites.find(program).isPresent() ? Finding.pass(program, "found")
                    : new Finding(Status.FAIL, program, "not found",
                            "apt-get install " + switch (program) {
                                case "bwrap" -> "bubblewrap";
                                case "slirp4netns" -> "slirp4netns";
                                default -> "util-linux";
                            }
                                    + " (the daemon does this itself when it starts as root)"));
        }
        out.add(userNamespaces());
        out.add(cgroups());
        out.add(seccomp(config.seccompProfile()));
        if (root && bwrap.isPresent()) out.add(sandboxStarts(bwrap.get(), config.sandboxUid()));
        out.add(listenPosture(config));
        out.add(dataDir(config.dataDir()));
        out.add(diskQuota(config));
        out.add(controlFiles(config));
        return out;
    }

    /**
     * Whether sessions and workspaces get their disk quota: the kernel must have btrfs (the
     * volume's file system) and the host btrfs-progs. Without, the daemon still starts when the
     * quota was left at its default, so that is a warning; a configured quota makes it a failure.
     */
    private static Finding diskQuota(Config config) {
        if (!config.diskQuota().enabled()) {
            return new Finding(Status.WARN, "disk quota", "workspace_quota is 0: sessions can fill the data directory's disk",
                    "set workspace_quota (for example 10GiB)");
        }
        Status missing = config.diskQuota().required() ? Status.FAIL : Status.WARN;
        String limit = (config.diskQuota().bytes() >> 20) + " MiB per session and per workspace";
        // A module kernel (Debian's) lists btrfs only once loaded; mounting loads it.
        boolean btrfs = readFile(Path.of("/proc/filesystems")).contains("\tbtrfs\n")
                || Files.isDirectory(Path.of("/lib/modules", System.getProperty("os.version"), "kernel/fs/btrfs"));
        if (!btrfs) {
            return new Finding(missing, "disk quota", "the kernel has no btrfs, which the quota's volume needs",
                    "use a kernel with btrfs, CONFIG_BTRFS_FS (Debian's, Ubuntu's and Fedora's have it), or set workspace_quota: 0 "
                            + "knowing that sessions can then fill the disk");
        }
        if (!Prerequisites.hasBtrfsProgs()) {
            return new Finding(missing, "disk quota", "btrfs-progs is not installed",
                    "apt-get install btrfs-progs (the daemon does this itself when it starts as root)");
        }
        Path volume = config.dataDir().resolve("volume");
        boolean mounted = readFile(Path.of("/proc/self/mountinfo")).contains(" " + volume.toAbsolutePath() + " ");
        return Finding.pass("disk quota", limit + (mounted ? ", volume mounted at " + volume : ", volume made or mounted at start"));
    }

    private static Finding userNamespaces() {
        long max = readLong(Path.of("/proc/sys/user/max_user_namespaces"), -1);
        if (max == 0) {
            return new Finding(Status.FAIL, "user namespaces", "user.max_user_namespaces is 0",
                    "sysctl -w user.max_user_namespaces=15000 (and persist it in /etc/sysctl.d)");
        }
        if (readLong(Path.of("/proc/sys/kernel/unprivileged_userns_clone"), 1) == 0) {
            return new Finding(Status.FAIL, "user namespaces", "kernel.unprivileged_userns_clone is 0",
                    "sysctl -w kernel.unprivileged_userns_clone=1 (and persist it in /etc/sysctl.d)");
        }
        if (readLong(Path.of("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"), 0) == 1) {
            return new Finding(Status.WARN, "user namespaces", "AppArmor restricts unprivileged user namespaces",
                    "install AppArmor's bwrap profile (apparmor-profiles) or set "
                            + "kernel.apparmor_restrict_unprivileged_userns=0; the sandbox check below tells if it works");
        }
        return Finding.pass("user namespaces", "available to unprivileged users");
    }

    private static Finding cgroups() {
        CgroupLayout layout;
        try {
            layout = CgroupLayout.detect();
        } catch (RuntimeException e) {
            return new Finding(Status.FAIL, "cgroups", e.getMessage(),
                    "mount cgroup2 at /sys/fs/cgroup (systemd does this by default on current distributions)");
        }
        String[] v = System.getProperty("os.version").split("[.-]");
        int major = Integer.parseInt(v[0]);
        int minor = v.length > 1 && v[1].matches("\\d+") ? Integer.parseInt(v[1]) : 0;
        if (major < 5 || (major == 5 && minor < 14)) {
            return new Finding(Status.WARN, "cgroups", layout.describe() + "; kernel " + System.getProperty("os.version")
                    + " has no cgroup.kill", "use kernel 5.14 or newer: without cgroup.kill, sessions are killed pid by pid");
        }
        return Finding.pass("cgroups", layout.describe());
    }

    private static Finding seccomp(SeccompProfile profile) {
        boolean kernel = readFile(Path.of("/proc/self/status")).contains("Seccomp:");
        if (!kernel) {
            return new Finding(Status.FAIL, "seccomp", "the kernel has no seccomp support",
                    "use a kernel built with CONFIG_SECCOMP_FILTER (every distribution kernel is)");
        }
        if (profile == SeccompProfile.NONE) {
            return new Finding(Status.WARN, "seccomp", "seccomp_profile is none: sandboxes run without a filter",
                    "set seccomp_profile: default (or strict)");
        }
        if (!SeccompFilter.supported()) {
            return new Finding(Status.FAIL, "seccomp", "filters are built for x86_64, and this is "
                    + System.getProperty("os.arch"), "set seccomp_profile: none, knowing what it removes");
        }
        return Finding.pass("seccomp", "profile " + profile.wireName());
    }

    private static Finding sandboxStarts(String bwrap, int uid) {
        List<String> cmd = new ArrayList<>(List.of(Prerequisites.find("setpriv").orElse("setpriv"),
                "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--no-new-privs", "--",
                bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--ro-bind", "/usr", "/usr"));
        for (String dir : List.of("bin", "lib", "lib64", "sbin")) {
            if (Files.isSymbolicLink(Path.of("/" + dir))) cmd.addAll(List.of("--symlink", "usr/" + dir, "/" + dir));
        }
        cmd.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "/usr/bin/true"));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Finding(Status.FAIL, "sandbox", "a test sandbox did not finish within 10 s", "check the kernel log");
            }
            if (p.exitValue() == 0) return Finding.pass("sandbox", "a test sandbox started and ran as uid " + uid);
            return new Finding(Status.FAIL, "sandbox", "a test sandbox failed: " + output,
                    "see the user namespaces line above; bubblewrap must be able to create namespaces as uid " + uid);
        } catch (IOException e) {
            return new Finding(Status.FAIL, "sandbox", "could not start bubblewrap: " + e.getMessage(), "reinstall bubblewrap");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Finding(Status.FAIL, "sandbox", "interrupted", "run doctor again");
        }
    }

    private static Finding listenPosture(Config config) {
        String where = config.listenHost() + ":" + config.listenPort();
        if (config.listensOnLoopback()) return Finding.pass("listen", where + " (loopback only)");
        if (config.apiKey().isEmpty()) {
            return new Finding(Status.FAIL, "listen", where + " is reachable from the network and no API key is configured",
                    "set SANDKASTEN_API_KEY (or api_key), or listen on 127.0.0.1; the daemon refuses to start like this");
        }
        return new Finding(Status.WARN, "listen", where + " is reachable from the network over plain HTTP",
                "put a TLS-terminating reverse proxy in front, or listen on 127.0.0.1 behind one");
    }

    private static Finding dataDir(Path dir) {
        if (!Files.isDirectory(dir)) return Finding.pass("data directory", dir + " (created at first start)");
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)
                    || perms.contains(PosixFilePermission.OTHERS_READ)) {
                return new Finding(Status.FAIL, "data directory", dir + " is readable or writable by others",
                        "chmod 0711 " + dir + " (the daemon sets this at start)");
            }
            Path key = dir.resolve("api-key");
            if (Files.exists(key) && !Files.getPosixFilePermissions(key).equals(
                    Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))) {
                return new Finding(Status.FAIL, "data directory", key + " is not mode 0600", "chmod 0600 " + key);
            }
            return Finding.pass("data directory", dir + " (0711)");
        } catch (IOException e) {
            return new Finding(Status.WARN, "data directory", "cannot read " + dir + ": " + e.getMessage(),
                    "check the path and that doctor runs as the daemon's user");
        }
    }

    private static Finding controlFiles(Config config) {
        String fix = "mount a tmpfs at /dev/shm, or set runtime_dir to a directory on a tmpfs";
        if (config.runtimeDir().isPresent()) {
            Path dir = config.runtimeDir().get();
            Path existing = dir;
            while (existing != null && !Files.isDirectory(existing)) existing = existing.getParent();
            return existing != null && ControlRoot.isTmpfs(existing) ? Finding.pass("control files", dir + " (tmpfs)")
                    : new Finding(Status.WARN, "control files", "runtime_dir " + dir + " is not on a tmpfs: commands "
                            + "take longer when the file system's journal is busy", fix);
        }
        return ControlRoot.defaultTmpfs().map(t -> Finding.pass("control files", "on the tmpfs " + t))
                .orElseGet(() -> new Finding(Status.WARN, "control files", "no tmpfs at /run or /dev/shm: they go "
                        + "in the data directory, and commands take longer when its journal is busy", fix));
    }

    private static long readLong(Path file, long otherwise) {
        String s = readFile(file).strip();
        try {
            return s.isEmpty() ? otherwise : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static String readFile(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
