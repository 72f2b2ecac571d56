package dev.sandkasten.sandbox;

import dev.sandkasten.cgroup.CgroupDriver;
import dev.sandkasten.cgroup.SessionCgroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    private final ExecutorService spawner =
            Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("sk-spawner").factory());

    /** @param slirp4netns the slirp4netns binary, or null when no egress sessions are allowed */
    public SandboxLauncher(SandboxSettings settings, CgroupDriver cgroups, String bwrap, String setpriv, String prlimit,
            String slirp4netns) {
        this.settings = settings;
        this.cgroups = cgroups;
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.prlimit = prlimit;
        this.slirp4netns = slirp4netns;
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
        Path workspace = spec.workspace().orElse(sessionDir.resolve("workspace"));
        Path logFile = sessionDir.resolve("sandbox.log");
        SessionCgroup cgroup = null;
        try {
            Files.createDirectories(sessionDir);
            Files.setPosixFilePermissions(sessionDir, PosixFilePermissions.fromString("rwx--x--x"));
            Files.createDirectory(controlDir);
            Files.setPosixFilePermissions(controlDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectories(outputDir);
            Files.setPosixFilePermissions(outputDir, PosixFilePermissions.fromString("rwx------"));
            if (spec.workspace().isEmpty()) {
                Files.createDirectories(workspace);
                Files.setAttribute(workspace, "unix:uid", settings.hostUid());
                Files.setAttribute(workspace, "unix:gid", settings.hostUid());
                Files.setPosixFilePermissions(workspace, PosixFilePermissions.fromString("rwxr-xr-x"));
                if (settings.workspaceQuotaBytes() > 0) {
                    // Unmounted with the session's directory (SessionManager), or below at a failed launch.
                    new QuotaDisk(settings.workspaceQuotaBytes(), settings.hostUid())
                            .mount(sessionDir.resolve("workspace.img"), workspace);
                }
            }
            cgroup = cgroups.create(spec.name(), spec.limits());

            List<String> fifos = new ArrayList<>();
            fifos.add(controlDir.resolve("ctl").toString());
            for (String f : initialFifos) fifos.add(controlDir.resolve(f).toString());

            StringBuilder script = new StringBuilder("set -e\n");
            for (Path join : cgroup.joinFiles()) script.append("echo $$ > ").append(Shell.quote(join.toString())).append('\n');
            script.append("mkfifo -m 0666");
            for (String f : fifos) script.append(' ').append(Shell.quote(f));
            script.append('\n');
            script.append("exec");
            for (String arg : command(spec, controlDir, workspace)) script.append(' ').append(Shell.quote(arg));
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
            QuotaDisk.unmount(workspace);
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

    private List<String> command(SandboxSpec spec, Path controlDir, Path workspace) {
        int inner = SandboxSettings.INNER_UID;
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
                "--hostname", settings.hostname(),
                "--ro-bind", "/usr", "/usr"));
        for (String dir : List.of("bin", "lib", "lib32", "lib64", "libx32", "sbin")) {
            Path host = Path.of("/" + dir);
            if (Files.isSymbolicLink(host)) {
                c.addAll(List.of("--symlink", "usr/" + dir, "/" + dir));
            } else if (Files.isDirectory(host)) {
                c.addAll(List.of("--ro-bind", host.toString(), "/" + dir));
            }
        }
        if (settings.seccomp() != SeccompProfile.NONE) c.addAll(List.of("--seccomp", Integer.toString(SECCOMP_FD)));
        c.addAll(List.of(
                "--ro-bind", settings.etcDir().toString(), "/etc",
                "--proc", "/proc",
                "--dev", "/dev",
                "--size", tmpfsSize, "--tmpfs", "/dev/shm",
                "--size", tmpfsSize, "--tmpfs", "/tmp",
                // A writable /var for logs and caches, as programs expect; memory, so it counts
                // against the session's limit and vanishes with it.
                "--size", tmpfsSize, "--tmpfs", "/var",
                "--dir", "/var/tmp",
                "--dir", "/var/log",
                "--dir", "/var/cache",
                "--tmpfs", "/run",
                "--ro-bind", controlDir.toString(), Sandbox.INNER_CONTROL_DIR,
                "--ro-bind", settings.runtimeDir().toString(), "/run/sandkasten-rt",
                "--bind", workspace.toString(), "/workspace",
                "--remount-ro", "/",
                "--chdir", "/workspace",
                "--clearenv"));
        if (spec.network() == NetworkMode.EGRESS) {
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
        env.put("USER", "sandbox");
        env.put("LOGNAME", "sandbox");
        env.put("SHELL", "/bin/bash");
        env.put("LANG", "C.UTF-8");
        env.put("TERM", "dumb");
        env.put("HOSTNAME", settings.hostname());
        // Streaming is the point: make Python write through instead of holding output in a block buffer.
        env.put("PYTHONUNBUFFERED", "1");
        env.put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        env.putAll(spec.env());
        return env;
    }

    /** Creates FIFOs in a sandbox's control directory (root-owned, so the sandbox cannot swap them). */
    public void makeFifos(Sandbox sandbox, List<String> names) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("mkfifo", "-m", "0666", "--"));
        for (String n : names) cmd.add(sandbox.controlDir().resolve(n).toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (p.waitFor() != 0) throw new IOException("mkfifo failed: " + out.strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating FIFOs", e);
        }
    }
}
