package dev.sandkasten.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The kill group of a session's commands: the sandbox starts here (bubblewrap, the supervisor
 * and the shell), so everything a command forks (including {@code setsid} children, which escape
 * process groups) lands here too and can be killed as a whole while the shell and its ancestors
 * are spared. No cgroup write is needed on the exec path.
 */
public final class CommandGroup {
    private final Path group;
    private final Path parent;

    CommandGroup(Path group, Path parent) {
        this.group = group;
        this.parent = parent;
    }

    /** Host pids of the processes in the group. */
    public List<Long> pids() {
        return CgroupFiles.pids(group);
    }

    /** Whether any process other than {@code spared} is in the group. */
    public boolean holdsOthersThan(Set<Long> spared) {
        for (long pid : pids()) if (!spared.contains(pid)) return true;
        return false;
    }

    /**
     * Moves every process except {@code spared} to the session's group: background jobs a
     * finished command left behind keep running there, out of reach of the next command's kill.
     * Frozen while moving, so a job cannot fork a child that stays behind.
     */
    public void evictAllExcept(Set<Long> spared) {
        whileFrozen(frozen -> {
            for (int round = 0; round < 10; round++) {
                var pids = CgroupFiles.pids(group);
                pids.removeAll(spared);
                if (pids.isEmpty()) break;
                for (long pid : pids) CgroupFiles.moveProcess(parent, pid);
            }
        });
    }

    /**
     * Moves every process except {@code spared} into {@code target}, frozen so that nothing forks
     * a child that stays behind: how a background command gets a kill group of its own.
     */
    public void moveAllExceptTo(Set<Long> spared, CommandGroup target) {
        whileFrozen(frozen -> {
            for (int round = 0; round < 10; round++) {
                var pids = CgroupFiles.pids(group);
                pids.removeAll(spared);
                if (pids.isEmpty()) break;
                for (long pid : pids) CgroupFiles.moveProcess(target.group, pid);
            }
        });
    }

    /**
     * Sends signal {@code name} (as {@code kill -s} spells it, e.g. {@code INT}) to every process
     * in the group except {@code spared}, with the group frozen so that a child forked meanwhile
     * is not missed. {@code stillWanted} is asked once frozen: the group may have moved on to
     * another command in between. Returns how many processes were signalled (-1: not wanted).
     */
    public int signalAllExcept(Set<Long> spared, String name, java.util.function.BooleanSupplier stillWanted) {
        int[] count = {-1};
        whileFrozen(frozen -> {
            if (!stillWanted.getAsBoolean()) return;
            var pids = CgroupFiles.pids(group);
            pids.removeAll(spared);
            count[0] = pids.size();
            Signals.send(pids, name);
        });
        return count[0];
    }

    /** Kills every process in the group. */
    public void killAll() {
        killAllExcept(Set.of());
    }

    public boolean isEmpty() {
        return pids().isEmpty();
    }

    /** Removes the group, which must be empty; false if it is not (or is gone already). */
    public boolean remove() {
        return CgroupFiles.rmdirTree(group);
    }

    /**
     * Freezes the group so nothing can fork while we look, kills every process in it except
     * {@code spared}, and thaws it again (the spared shell must keep running).
     */
    public void killAllExcept(Set<Long> spared) {
        whileFrozen(frozen -> {
            for (int round = 0; round < 50; round++) {
                var pids = CgroupFiles.pids(group);
                pids.removeAll(spared);
                if (pids.isEmpty()) break;
                CgroupFiles.killAll(pids);
                if (frozen) break;
            }
        });
    }

    /** Runs {@code action} with the group frozen (told whether freezing worked), then thaws it. */
    private void whileFrozen(java.util.function.Consumer<Boolean> action) {
        Path freeze = group.resolve("cgroup.freeze");
        boolean frozen = false;
        try {
            CgroupFiles.write(freeze, "1");
            frozen = awaitFrozen();
        } catch (IOException e) {
            // no freezer: the action works in rounds instead
        }
        try {
            action.accept(frozen);
        } finally {
            try {
                CgroupFiles.write(freeze, "0");
            } catch (IOException e) {
                // the group may be gone already
            }
        }
    }

    private boolean awaitFrozen() {
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                for (String line : Files.readAllLines(group.resolve("cgroup.events"))) {
                    if (line.equals("frozen 1")) return true;
                }
                Thread.sleep(1);
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

}
