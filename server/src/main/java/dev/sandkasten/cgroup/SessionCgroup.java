package dev.sandkasten.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The control groups of one session: the group in the cgroup2 tree (which, on pure v2, also holds
 * the limits) with its command group {@code cmd} inside, and, on hybrid hosts, one group per v1
 * controller. The sandbox launcher joins the command group and the v1 groups before it executes
 * bubblewrap, so every process of the session is accounted and limited, and the shell is born in
 * the command group: moving a process between cgroups can cost a kernel RCU grace period
 * (~10 ms), which session creation would otherwise pay twice.
 */
public final class SessionCgroup {
    private final CgroupLayout layout;
    private final Path group;
    private final Path commands;
    private final List<Path> limitGroups;

    SessionCgroup(CgroupLayout layout, Path group, List<Path> limitGroups) {
        this.layout = layout;
        this.group = group;
        this.commands = group.resolve(COMMAND_GROUP);
        this.limitGroups = List.copyOf(limitGroups);
    }

    /** Name of the command group inside the session's group. */
    static final String COMMAND_GROUP = "cmd";

    /** The {@code cgroup.procs} files a launcher writes its own pid to. */
    public List<Path> joinFiles() {
        List<Path> files = new ArrayList<>();
        files.add(commands.resolve("cgroup.procs"));
        for (Path g : limitGroups) files.add(g.resolve("cgroup.procs"));
        return files;
    }

    /**
     * The {@code cgroup.procs} file a host-side helper of the session (its network) joins: the
     * session's group, outside the command group, so that killing a command spares it and
     * ending the session kills it.
     */
    public Path helperJoinFile() {
        return group.resolve("cgroup.procs");
    }

    /** Host pids of every process of the session. */
    public List<Long> pids() {
        List<Long> all = CgroupFiles.pids(commands);
        all.addAll(CgroupFiles.pids(group));
        return all;
    }

    /**
     * The group the sandbox and its shell live in, so that whatever a command forks lands there
     * and can be killed as a whole. Background jobs are moved out after their command ends (see
     * {@link CommandGroup#evictAllExcept}), so a later timeout does not kill them.
     */
    public CommandGroup commandGroup() {
        return new CommandGroup(commands, group);
    }

    /**
     * A new kill group of its own for one background command, beside the command group: killing
     * it spares the shell and whatever runs in the foreground.
     */
    public CommandGroup jobGroup(String name) {
        Path g = group.resolve(name);
        CgroupFiles.mkdir(g);
        return new CommandGroup(g, group);
    }

    public CgroupStats stats() {
        return switch (layout) {
            case CgroupLayout.V2 v2 -> new CgroupStats(
                    CgroupFiles.readLong(group.resolve("memory.current"), 0),
                    CgroupFiles.readLong(group.resolve("memory.max"), 0),
                    CgroupFiles.readKey(group.resolve("cpu.stat"), "usage_usec", 0),
                    CgroupFiles.readLong(group.resolve("pids.current"), 0));
            case CgroupLayout.Hybrid h -> new CgroupStats(
                    CgroupFiles.readLong(limitGroup(h.memory()).resolve("memory.usage_in_bytes"), 0),
                    CgroupFiles.readLong(limitGroup(h.memory()).resolve("memory.limit_in_bytes"), 0),
                    CgroupFiles.readLong(limitGroup(h.cpuacct()).resolve("cpuacct.usage"), 0) / 1000,
                    CgroupFiles.readLong(limitGroup(h.pids()).resolve("pids.current"), 0));
        };
    }

    private Path limitGroup(Path controllerRoot) {
        for (Path g : limitGroups) if (g.startsWith(controllerRoot)) return g;
        throw new IllegalStateException("no group under " + controllerRoot);
    }

    /** Kills every process of the session, in every command group. */
    public void killAll() {
        Path kill = group.resolve("cgroup.kill");
        if (Files.exists(kill)) {
            try {
                CgroupFiles.write(kill, "1");
                return;
            } catch (IOException e) {
                // older kernels: fall back to freezing and killing one by one
            }
        }
        try (var children = Files.list(group)) {
            for (Path g : children.filter(Files::isDirectory).toList()) new CommandGroup(g, group).killAllExcept(java.util.Set.of());
        } catch (IOException e) {
            new CommandGroup(commands, group).killAllExcept(java.util.Set.of());
        }
        new CommandGroup(group, group).killAllExcept(java.util.Set.of());
    }

    /** True while any process of the session is alive. */
    public boolean populated() {
        try {
            for (String line : Files.readAllLines(group.resolve("cgroup.events"))) {
                if (line.equals("populated 1")) return true;
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** Kills what is left and removes every group; returns false if a group could not be removed. */
    public boolean destroy() {
        killAll();
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (populated() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean ok = CgroupFiles.rmdirTree(group);
        for (Path g : limitGroups) ok &= CgroupFiles.rmdirTree(g);
        return ok;
    }
}
