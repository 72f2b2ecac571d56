package dev.sandkasten.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kill group of a session's commands: the shell lives here, so everything a command forks
 * (including {@code setsid} children, which escape process groups) lands here too and can be
 * killed as a whole while the shell itself is spared. Moving the shell in once, instead of per
 * command, keeps cgroup writes off the exec path.
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

    /** Number of processes in the group. */
    public int size() {
        return CgroupFiles.pids(group).size();
    }

    /**
     * Moves every process except {@code spare} to the session's group: background jobs a finished
     * command left behind keep running there, out of reach of the next command's kill. Frozen
     * while moving, so a job cannot fork a child that stays behind.
     */
    public void evictAllExcept(long spare) {
        whileFrozen(frozen -> {
            for (int round = 0; round < 10; round++) {
                var pids = CgroupFiles.pids(group);
                pids.remove(spare);
                if (pids.isEmpty()) break;
                for (long pid : pids) CgroupFiles.moveProcess(parent, pid);
            }
        });
    }

    /**
     * Freezes the group so nothing can fork while we look, kills every process in it except
     * {@code spare}, and thaws it again (the spared shell must keep running).
     */
    public void killAllExcept(long spare) {
        whileFrozen(frozen -> {
            for (int round = 0; round < 50; round++) {
                var pids = CgroupFiles.pids(group);
                pids.remove(spare);
                if (pids.isEmpty()) break;
                CgroupFiles.killAll(pids, spare);
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
