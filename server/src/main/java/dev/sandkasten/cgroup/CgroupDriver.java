package dev.sandkasten.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and cleans up the per-session control groups of one daemon. All groups live under a
 * base name owned by this daemon, so that leftovers of a crashed run can be found and removed at
 * start without touching anything else on the host.
 */
public final class CgroupDriver {
    private static final Logger log = LoggerFactory.getLogger(CgroupDriver.class);

    private final CgroupLayout layout;
    private final String base;

    public CgroupDriver(CgroupLayout layout, String base) {
        this.layout = layout;
        this.base = base;
    }

    public CgroupLayout layout() {
        return layout;
    }

    /** Prepares the base groups; on pure v2 enables the controllers sessions need. */
    public void init() {
        for (Path dir : baseDirs()) CgroupFiles.mkdir(dir);
        if (layout instanceof CgroupLayout.V2 v2) {
            enableControllers(v2.root());
            enableControllers(v2.root().resolve(base));
        }
    }

    private static void enableControllers(Path group) {
        try {
            CgroupFiles.write(group.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
        } catch (IOException e) {
            throw new CgroupException("cannot enable memory, pids and cpu controllers in " + group
                    + " (is the daemon running as root, or in a delegated cgroup?)", e);
        }
    }

    /** Kills and removes every group a previous run of this daemon left behind. */
    public void removeStale() {
        for (Path dir : baseDirs()) {
            try (var groups = Files.list(dir)) {
                for (Path g : groups.filter(Files::isDirectory).toList()) {
                    killTree(g);
                    if (!CgroupFiles.rmdirTree(g)) log.warn("could not remove stale cgroup {}", g);
                }
            } catch (IOException e) {
                log.warn("could not list {}: {}", dir, e.toString());
            }
        }
    }

    /**
     * Removes the daemon's own groups at shutdown, once every session has ended; a group that
     * still holds a process is left (and logged), to be removed by the next start's {@link #removeStale}.
     */
    public void removeBase() {
        for (Path dir : baseDirs()) {
            if (!CgroupFiles.rmdirTree(dir)) log.warn("could not remove cgroup {}", dir);
        }
    }

    private void killTree(Path group) {
        Path kill = group.resolve("cgroup.kill");
        if (Files.exists(kill)) {
            try {
                CgroupFiles.write(kill, "1");
                return;
            } catch (IOException e) {
                // fall back to killing pid by pid
            }
        }
        try (var walk = Files.walk(group)) {
            for (Path g : walk.filter(Files::isDirectory).toList()) CgroupFiles.killAll(CgroupFiles.pids(g));
        } catch (IOException e) {
            log.warn("could not walk {}: {}", group, e.toString());
        }
    }

    /** Creates the groups of a new session and applies its limits. */
    public SessionCgroup create(String name, CgroupLimits limits) {
        Path killGroup = layout.killTreeRoot().resolve(base).resolve(name);
        List<Path> limitGroups = new ArrayList<>();
        try {
            CgroupFiles.mkdir(killGroup);
            CgroupFiles.mkdir(killGroup.resolve(SessionCgroup.COMMAND_GROUP));
            switch (layout) {
                case CgroupLayout.V2 v2 -> {
                    CgroupFiles.write(killGroup.resolve("memory.max"), Long.toString(limits.memoryBytes()));
                    writeIfPresent(killGroup.resolve("memory.swap.max"), "0");
                    CgroupFiles.write(killGroup.resolve("pids.max"), Integer.toString(limits.pids()));
                    CgroupFiles.write(killGroup.resolve("cpu.max"),
                            limits.cpuQuotaMicros() + " " + CgroupLimits.CFS_PERIOD_MICROS);
                }
                case CgroupLayout.Hybrid h -> {
                    Path memory = h.memory().resolve(base).resolve(name);
                    Path pids = h.pids().resolve(base).resolve(name);
                    Path cpu = h.cpu().resolve(base).resolve(name);
                    Path cpuacct = h.cpuacct().resolve(base).resolve(name);
                    for (Path g : List.of(memory, pids, cpu, cpuacct)) {
                        if (!limitGroups.contains(g)) {
                            CgroupFiles.mkdir(g);
                            limitGroups.add(g);
                        }
                    }
                    CgroupFiles.write(memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
                    writeIfPresent(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(limits.memoryBytes()));
                    CgroupFiles.write(pids.resolve("pids.max"), Integer.toString(limits.pids()));
                    CgroupFiles.write(cpu.resolve("cpu.cfs_period_us"), Long.toString(CgroupLimits.CFS_PERIOD_MICROS));
                    CgroupFiles.write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuQuotaMicros()));
                }
            }
        } catch (IOException | CgroupException e) {
            SessionCgroup partial = new SessionCgroup(layout, killGroup, limitGroups);
            partial.destroy();
            throw e instanceof CgroupException ce ? ce : new CgroupException("cannot set limits for " + name, e);
        }
        return new SessionCgroup(layout, killGroup, limitGroups);
    }

    private static void writeIfPresent(Path file, String value) {
        if (!Files.exists(file)) return;
        try {
            CgroupFiles.write(file, value);
        } catch (IOException e) {
            log.debug("optional cgroup file {} not written: {}", file, e.toString());
        }
    }

    private List<Path> baseDirs() {
        List<Path> dirs = new ArrayList<>();
        dirs.add(layout.killTreeRoot().resolve(base));
        if (layout instanceof CgroupLayout.Hybrid h) {
            for (Path root : List.of(h.memory(), h.pids(), h.cpu(), h.cpuacct())) {
                Path d = root.resolve(base);
                if (!dirs.contains(d)) dirs.add(d);
            }
        }
        return dirs;
    }
}
