package dev.sandkasten.sandbox;

import dev.sandkasten.cgroup.CgroupDriver;
import dev.sandkasten.cgroup.SessionCgroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts sandboxes. The launch is a short {@code /bin/sh} run as root that joins the session's
 * control groups (so nothing forked later can escape them), creates the control FIFOs, drops to
 * the unprivileged sandbox uid with {@code setpriv} and executes bubblewrap, whose user namespace
 * maps that uid to the sandbox's inner user. The host's real {@code /etc}, the daemon's files and
 * its environment are never visible inside.
 */
public final class SandboxLauncher {
    private static final Logger log = LoggerFactory.getLogger(SandboxLauncher.class);
    /** The descriptor the launch script opens the seccomp program on for bubblewrap. */
    private static final int SECCOMP_FD = 9;

    private final SandboxSettings settings;
    private final CgroupDriver cgroups;
    private final String bwrap;
    private final String setpriv;
    private final String prlimit;
    private final String slirp4netns;
    /** Where sessions write, each in a subvolume with the quota; null without a volume. */
    private final DiskVolume volume;
    private final ExecutorService spawner =
            Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("sk-spawner").factory());

    /**
     * @param slirp4netns the slirp4netns binary, or null when no egress sessions are allowed
     * @param volume where each session's /workspace and image layer go, or null for none (no disk quota)
     */
    public SandboxLauncher(SandboxSettings settings, CgroupDriver cgroups, String bwrap, String setpriv, String prlimit,
            String slirp4netns, DiskVolume volume) {
        this.settings = settings;
        this.cgroups = cgroups;
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.prlimit = prlimit;
        this.slirp4netns = slirp4netns;
        this.volume = volume;
    }

    /**
     * Creates the session's directories and control groups and starts bubblewrap. Returns as soon
     * as the process runs; the caller waits for the shell's ready record on the control FIFO.
     *
     * @param initialFifos FIFO names to create in the control directory before the shell starts
     */
    public Sandbox launch(SandboxSpec spec, List<String> initialFifos) {
        Path sessionDir = settings.sessionsDir().resolve(spec.name());
        Path controlDir = settings.controlRoot().resolve(spec.name());
        Path outputDir = sessionDir.resolve("output");
        Path logFile = sessionDir.resolve("sandbox.log");
        SessionCgroup cgroup = null;
        try {
            Files.createDirectories(sessionDir);
            Files.setPosixFilePermissions(sessionDir, PosixFilePermissions.fromString("rwx--x--x"));
            Files.createDirectory(controlDir);
            Files.setPosixFilePermissions(controlDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectories(outputDir);
            Files.setPosixFilePermissions(outputDir, PosixFilePermissions.fromString("rwx------"));
            // What the sandbox writes (its own /workspace, its image's upper layer) goes to the
            // volume under the session's quota; the daemon's own files (output logs, the session
            // record) stay beside, so a full quota never stops the daemon from recording output.
            Path writable = volume != null ? volume.claim("sessions/" + spec.name()) : sessionDir;
            Path workspace = spec.workspace().orElse(writable.resolve("workspace"));
            if (spec.workspace().isEmpty()) {
                Files.createDirectories(workspace);
                Files.setAttribute(workspace, "unix:uid", settings.hostUid());
                Files.setAttribute(workspace, "unix:gid", settings.hostUid());
                Files.setPosixFilePermissions(workspace, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Optional<Overlay> overlay = spec.image().rootfs().isPresent()
                    ? Optional.of(prepareOverlay(spec, sessionDir, writable)) : Optional.empty();
            cgroup = cgroups.create(spec.name(), spec.limits());

            List<String> fifos = new ArrayList<>();
            fifos.add(controlDir.resolve("ctl").toString());
            for (String f : initialFifos) fifos.add(controlDir.resolve(f).toString());

            StringBuilder script = new StringBuilder("set -e\n");
            for (Path join : cgroup.joinFiles()) script.append("echo $$ > ").append(Shell.quote(join.toString())).append('\n');
            script.append("mkfifo -m 0666");
            for (String f : fifos) script.append(' ').append(Shell.quote(f));
            script.append('\n');
            // A daemon started in the background by a non-interactive shell inherits SIGINT and
            // SIGQUIT ignored, and so would every sandbox process (bash cannot undo an inherited
            // ignore); put the default dispositions back before anything of the sandbox runs.
            script.append("exec env --default-signal=INT,QUIT");
            if (overlay.isPresent()) {
                // The image's overlay is mounted in a mount namespace of the sandbox's own, so it
                // is gone when the sandbox's last process is, and no host mount is ever left behind.
                script.append(" unshare --mount --propagation private -- /bin/sh -c ")
                        .append(Shell.quote("mount -t overlay sandkasten -o " + overlay.get().options() + " "
                                + Shell.quote(overlay.get().root().toString()) + " && exec \"$@\""))
                        .append(" sk-overlay");
            }
            for (String arg : command(spec, controlDir, workspace, overlay.map(Overlay::root))) {
                script.append(' ').append(Shell.quote(arg));
            }
            if (settings.seccomp() != SeccompProfile.NONE) {
                script.append(' ').append(SECCOMP_FD).append('<').append(Shell.quote(settings.seccompFilter().toString()));
            }
            script.append('\n');

            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", script.toString());
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            pb.directory(sessionDir.toFile());
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.redirectError(logFile.toFile());
            Process process = start(pb);
            return new Sandbox(spec.name(), process, controlDir, outputDir, logFile, cgroup);
        } catch (IOException | RuntimeException e) {
            if (cgroup != null) cgroup.destroy();
            try {
                FileTrees.deleteTree(controlDir);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            log.error("sandbox {} failed to launch", spec.name(), e);
            throw new SandboxStartException("the sandbox could not be started", e);
        }
    }

    /**
     * Gives an {@code egress} sandbox its network: slirp4netns, started in the session's cgroup
     * and attached to the sandbox's network namespace, configures a tap device with a default
     * route and DNS at 10.0.2.3, and refuses connections to the host's loopback. It runs as root,
     * because the namespace belongs to a user namespace nested below the sandbox uid's, but in a
     * mount namespace of its own with every capability dropped and its own seccomp filter.
     * Returns once the default route is up, before any command runs.
     */
    public void connect(Sandbox sandbox, NetworkMode network) throws IOException {
        if (network == NetworkMode.NONE) return;
        long inner = ProcessHandle.of(sandbox.pid()).flatMap(p -> p.children().findFirst()).map(ProcessHandle::pid)
                .orElseThrow(() -> new IOException("the sandbox has no namespace process to attach the network to"));
        Path netns = Path.of("/proc", Long.toString(inner), "ns", "net");
        // Denied networks become "prohibit" routes in the sandbox's namespace before slirp4netns
        // adds the default route, so no packet for them ever reaches it (connect fails with EACCES).
        // The sandbox cannot remove them: it holds no capabilities.
        StringBuilder denied = new StringBuilder();
        for (String cidr : deniedNetworks()) denied.append("route add prohibit ").append(cidr).append('\n');
        String script = "echo $$ > " + Shell.quote(sandbox.cgroup().helperJoinFile().toString()) + "\n"
                + "nsenter --net=" + Shell.quote(netns.toString()) + " ip -batch - <<'EOF'\n" + denied + "EOF\n"
                + "exec " + Shell.quote(slirp4netns) + " --configure --mtu=65520 --disable-host-loopback --enable-sandbox"
                + " --enable-seccomp --netns-type=path " + Shell.quote(netns.toString()) + " tap0\n";
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", script);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(sandbox.logFile().toFile()));
        sandbox.addHelper(start(pb));
        Path routes = Path.of("/proc", Long.toString(inner), "net", "route");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            // A default route (destination 00000000) appears once slirp4netns has configured tap0.
            for (String line : Files.readAllLines(routes)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 1 && f[1].equals("00000000")) return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while connecting the sandbox's network", e);
            }
        }
        throw new IOException("the sandbox's network did not come up within 10 s (see its sandbox.log)");
    }

    /**
     * The configured {@code egress_deny} networks plus every IPv4 address of this host: slirp4netns
     * connects from the host, so without them a session could reach a daemon (or anything else)
     * listening on one of the host's own addresses.
     */
    private List<String> deniedNetworks() throws IOException {
        List<String> out = new ArrayList<>(settings.egressDeny());
        for (var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            for (var addr : java.util.Collections.list(nif.getInetAddresses())) {
                if (addr instanceof java.net.Inet4Address && !addr.isLoopbackAddress()) out.add(addr.getHostAddress() + "/32");
            }
        }
        return out;
    }

    /**
     * Starts the process from the one long-lived spawner thread. Bubblewrap's --die-with-parent
     * uses PR_SET_PDEATHSIG, which fires when the forking <em>thread</em> ends, not the process:
     * forked from a pooled thread, a sandbox would die when that thread is retired.
     */
    private Process start(ProcessBuilder pb) throws IOException {
        try {
            return spawner.submit(pb::start).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the sandbox", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /**
     * @param overlayRoot where the image's overlay is mounted (in the sandbox's mount namespace),
     *     for a built or imported image; empty for a built-in one
     */
    private List<String> command(SandboxSpec spec, Path controlDir, Path workspace, Optional<Path> overlayRoot) {
        // A built-in image's files are the host's (owned by host root): the session is an
        // ordinary user. A stored image's files belong to the sandbox uid, and the session is root
        // of its user namespace over them (same host uid, no capabilities), as the image's
        // software (apt, dpkg, most Docker images) expects.
        int inner = overlayRoot.isPresent() ? 0 : SandboxSettings.INNER_UID;
        ProcessLimits limits = settings.processLimits();
        String tmpfsSize = Long.toString(limits.tmpfsBytes());
        List<String> c = new ArrayList<>(List.of(
                // Root sets both soft and hard limits here; the sandbox cannot raise them later.
                prlimit, "--nofile=" + limits.openFiles(), "--fsize=" + limits.fileSizeBytes(), "--",
                setpriv, "--reuid=" + settings.hostUid(), "--regid=" + settings.hostUid(), "--clear-groups",
                "--no-new-privs", "--",
                bwrap,
                "--unshare-all", "--unshare-user", "--uid", Integer.toString(inner), "--gid", Integer.toString(inner),
                "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--hostname", settings.hostname()));
        if (overlayRoot.isPresent()) {
            c.addAll(List.of("--bind", overlayRoot.get().toString(), "/"));
        } else {
            c.addAll(List.of("--ro-bind", "/usr", "/usr"));
            for (String dir : List.of("bin", "lib", "lib32", "lib64", "libx32", "sbin")) {
                Path host = Path.of("/" + dir);
                if (Files.isSymbolicLink(host)) {
                    c.addAll(List.of("--symlink", "usr/" + dir, "/" + dir));
                } else if (Files.isDirectory(host)) {
                    c.addAll(List.of("--ro-bind", host.toString(), "/" + dir));
                }
            }
        }
        if (settings.seccomp() != SeccompProfile.NONE) c.addAll(List.of("--seccomp", Integer.toString(SECCOMP_FD)));
        if (overlayRoot.isEmpty()) c.addAll(List.of("--ro-bind", settings.etcDir().toString(), "/etc"));
        c.addAll(List.of(
                "--proc", "/proc",
                "--dev", "/dev",
                "--size", tmpfsSize, "--tmpfs", "/dev/shm",
                "--size", tmpfsSize, "--tmpfs", "/tmp"));
        if (overlayRoot.isEmpty()) {
            c.addAll(List.of(
                    // A writable /var for logs and caches, as programs expect; memory, so it counts
                    // against the session's limit and vanishes with it. (A stored image's /var is
                    // in its overlay, where apt and dpkg keep their state.)
                    "--size", tmpfsSize, "--tmpfs", "/var",
                    "--dir", "/var/tmp",
                    "--dir", "/var/log",
                    "--dir", "/var/cache"));
        }
        c.addAll(List.of(
                "--tmpfs", "/run",
                "--ro-bind", controlDir.toString(), Sandbox.INNER_CONTROL_DIR,
                "--ro-bind", settings.runtimeDir().toString(), "/run/sandkasten-rt",
                "--bind", workspace.toString(), "/workspace"));
        if (overlayRoot.isEmpty()) c.addAll(List.of("--remount-ro", "/"));
        // The image's working directory is created if it lacks it, as Docker does.
        if (spec.image().workingDir().isPresent()) c.addAll(List.of("--dir", spec.image().startDir()));
        c.addAll(List.of("--chdir", spec.image().startDir(), "--clearenv"));
        if (spec.network() == NetworkMode.EGRESS && overlayRoot.isEmpty()) {
            // slirp4netns answers DNS at 10.0.2.3, forwarding to the host's resolver.
            c.addAll(List.of("--ro-bind", settings.egressResolvConf().toString(), "/etc/resolv.conf"));
        }
        for (Map.Entry<String, String> e : environment(spec).entrySet()) {
            c.addAll(List.of("--setenv", e.getKey(), e.getValue()));
        }
        c.addAll(List.of("/bin/bash", "--noprofile", "--norc", "/run/sandkasten-rt/boot.sh"));
        return c;
    }

    private Map<String, String> environment(SandboxSpec spec) {
        var env = new java.util.LinkedHashMap<String, String>();
        StringBuilder path = new StringBuilder("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : spec.image().extraPath()) path.append(':').append(dir);
        env.put("PATH", path.toString());
        env.put("HOME", "/workspace");
        String user = spec.image().rootfs().isPresent() ? "root" : "sandbox";
        env.put("USER", user);
        env.put("LOGNAME", user);
        env.put("SHELL", "/bin/bash");
        env.put("LANG", "C.UTF-8");
        env.put("TERM", "dumb");
        env.put("HOSTNAME", settings.hostname());
        // Streaming is the point: make Python write through instead of holding output in a block buffer.
        env.put("PYTHONUNBUFFERED", "1");
        env.put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        // The image's own environment (its PATH included) over the defaults; the session's over both.
        env.putAll(spec.image().env());
        env.putAll(spec.env());
        return env;
    }

    /** The host directory of the /workspace a session has of its own (one started without a persistent workspace). */
    public Path ownWorkspace(String name) {
        return (volume != null ? subvolume(name) : settings.sessionsDir().resolve(name)).resolve("workspace");
    }

    /** A session's subvolume in the volume, where what its sandbox writes goes. */
    private Path subvolume(String name) {
        return volume.root().resolve("sessions").resolve(name);
    }

    /**
     * Removes a session's files from the host: its directory and, with a volume, its subvolume.
     * Failures are logged: what is left is removed at the next start.
     */
    public void removeSessionFiles(String name) {
        try {
            if (volume != null) volume.release(subvolume(name));
            FileTrees.deleteTree(settings.sessionsDir().resolve(name));
        } catch (IOException e) {
            log.warn("could not remove the files of session {}: {}", name, e.toString());
        }
    }

    /** Host paths of a session's overlay: mount point and the mount's option string. */
    private record Overlay(Path root, String options) {}

    /**
     * Creates the session's copy-on-write layer over a stored image: {@code upper} (the
     * session's changes, owned by the sandbox uid like the image's files, with the image root's
     * mode, since the overlay's root directory shows the upper directory's), overlayfs's
     * {@code work} directory in {@code writable} (the session's subvolume, or its directory), and
     * the mount point {@code root} in the session's directory; all go with the session. The
     * sandbox's own {@code /etc/hosts}, {@code hostname} and {@code resolv.conf} are written
     * into the upper layer, so they hide the image's (which may be symlinks elsewhere) without
     * any bind mount on a path the image controls.
     */
    private Overlay prepareOverlay(SandboxSpec spec, Path sessionDir, Path writable) throws IOException {
        Path lower = spec.image().rootfs().orElseThrow();
        Path upper = writable.resolve("upper");
        Path work = writable.resolve("work");
        Path root = sessionDir.resolve("root");
        for (Path p : List.of(lower, upper, work, root)) {
            // overlayfs's option string separates with ',' and ':' and escapes with '\'.
            if (p.toString().matches(".*[,:\\\\\\s].*")) {
                throw new IOException("the data directory's path must not contain ',', ':', '\\' or spaces for image sessions: " + p);
            }
        }
        int uid = settings.hostUid();
        Files.createDirectory(upper);
        Files.setPosixFilePermissions(upper, Files.getPosixFilePermissions(lower, LinkOption.NOFOLLOW_LINKS));
        Files.createDirectory(work);
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectory(root);
        Path lowerEtc = lower.resolve("etc");
        if (Files.isDirectory(lowerEtc, LinkOption.NOFOLLOW_LINKS)) {
            Path etc = upper.resolve("etc");
            Files.createDirectory(etc);
            Files.setPosixFilePermissions(etc, Files.getPosixFilePermissions(lowerEtc, LinkOption.NOFOLLOW_LINKS));
            Path resolv = spec.network() == NetworkMode.EGRESS ? settings.egressResolvConf() : settings.etcDir().resolve("resolv.conf");
            Files.copy(resolv, etc.resolve("resolv.conf"));
            for (String f : List.of("hosts", "hostname")) Files.copy(settings.etcDir().resolve(f), etc.resolve(f));
            for (String f : List.of("resolv.conf", "hosts", "hostname")) own(etc.resolve(f), uid);
            own(etc, uid);
        }
        own(upper, uid);
        String options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + ",nodev,nosuid";
        return new Overlay(root, options);
    }

    private static void own(Path p, int uid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Creates FIFOs in a sandbox's control directory (root-owned, so the sandbox cannot swap them). */
    public void makeFifos(Sandbox sandbox, List<String> names) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("mkfifo", "-m", "0666", "--"));
        for (String n : names) cmd.add(sandbox.controlDir().resolve(n).toString());
        HostCommand.run(cmd);
    }
}
