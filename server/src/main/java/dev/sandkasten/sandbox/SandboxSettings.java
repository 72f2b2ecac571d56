package dev.sandkasten.sandbox;

import java.nio.file.Path;

/**
 * Host-side settings every sandbox of this daemon shares.
 *
 * @param stateDir directory the daemon owns; sessions, the generated /etc and the runtime scripts live below it
 * @param controlRoot directory of the sessions' control directories (FIFOs, command files), best on a tmpfs; see {@link ControlRoot}
 * @param hostUid unprivileged host uid (and gid) every sandbox runs as; never 0
 * @param hostname the host name each sandbox sees in its own UTS namespace
 * @param seccomp the system calls every sandbox is denied
 * @param processLimits resource limits of every sandbox's processes and the size of its tmpfs mounts
 * @param egressDeny IPv4 networks ({@code a.b.c.d/n}) that {@code egress} sandboxes cannot reach
 */
public record SandboxSettings(Path stateDir, Path controlRoot, int hostUid, String hostname, SeccompProfile seccomp,
        ProcessLimits processLimits, java.util.List<String> egressDeny) {
    public SandboxSettings {
        if (hostUid <= 0) throw new IllegalArgumentException("sandbox uid must be an unprivileged uid, not " + hostUid);
    }

    /** The uid and gid a sandbox's user has inside its own user namespace. */
    public static final int INNER_UID = 1000;

    Path etcDir() {
        return stateDir.resolve("rootfs").resolve("etc");
    }

    /** The resolv.conf of egress sandboxes, bound over the generated one. */
    Path egressResolvConf() {
        return stateDir.resolve("rootfs").resolve("resolv-egress.conf");
    }

    /** The compiled seccomp program; outside everything a sandbox can see. */
    Path seccompFilter() {
        return stateDir.resolve("rootfs").resolve("seccomp-" + seccomp.wireName() + ".bpf");
    }

    Path runtimeDir() {
        return stateDir.resolve("runtime");
    }

    public Path sessionsDir() {
        return stateDir.resolve("sessions");
    }
}
