package dev.sandkasten.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kill group of one command: the shell is moved in before the command starts, so everything
 * the command forks (including {@code setsid} children, which escape process groups) lands here
 * and can be killed as a whole while the shell itself is spared.
 */
public final class CommandGroup {
    private final Path group;
    private final Path parent;

    CommandGroup(Path group, Path parent) {
        this.group = group;
        this.parent = parent;
    }

    public void enter(long pid) {
        CgroupFiles.moveProcess(group, pid);
    }

    /** Moves the process back to the session's group. */
    public void leave(long pid) {
        CgroupFiles.moveProcess(parent, pid);
    }

    /**
     * Freezes the group so nothing can fork while we look, kills every process in it except
     * {@code spare}, and thaws it again (the spared shell must keep running).
     */
    public void killAllExcept(long spare) {
        Path freeze = group.resolve("cgroup.freeze");
        boolean frozen = false;
        try {
            CgroupFiles.write(freeze, "1");
            frozen = awaitFrozen();
        } catch (IOException e) {
            // without freezer we still kill in rounds below
        }
        try {
            for (int round = 0; round < 50; round++) {
                var pids = CgroupFiles.pids(group);
                pids.remove(spare);
                if (pids.isEmpty()) break;
                CgroupFiles.killAll(pids, spare);
                if (frozen) break;
            }
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

    /** Removes the group if it is empty; returns false if background processes still live in it. */
    public boolean removeIfEmpty() {
        if (!CgroupFiles.pids(group).isEmpty()) return false;
        return CgroupFiles.rmdirTree(group);
    }
}
