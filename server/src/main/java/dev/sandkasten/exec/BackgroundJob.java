package dev.sandkasten.exec;

import dev.sandkasten.cgroup.CommandGroup;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One background command after its launch: it runs in a subshell of the session's shell, moved
 * into a kill group of its own, and this waits (on a virtual thread of its own) for its end
 * record, its timeout, a cancel, or the sandbox's death. On a timeout or cancel only its group is
 * killed: the shell and the foreground command are spared. Then it ends the exec as the session's
 * worker ends a foreground one: output finished, outcome delivered, leftovers tidied.
 */
final class BackgroundJob {
    private static final Logger log = LoggerFactory.getLogger(BackgroundJob.class);

    private final Exec exec;
    private final long number;
    private final CommandGroup group;
    private final Path controlDir;
    private final List<OutputPump> pumps;
    private final BackgroundDrain drain;
    private final CompletableFuture<Void> sandboxLost;
    private final Duration killGrace;
    private final CompletableFuture<Integer> ended = new CompletableFuture<>();
    private long startedNanos;
    private String startCwd;
    /** The subshell that waits for the job and reports its end; signals spare it (and its child, the job's shell). */
    private volatile long wrapperPid = -1;

    BackgroundJob(Exec exec, long number, CommandGroup group, Path controlDir, List<OutputPump> pumps,
                  BackgroundDrain drain, CompletableFuture<Void> sandboxLost, Duration killGrace) {
        this.exec = exec;
        this.number = number;
        this.group = group;
        this.controlDir = controlDir;
        this.pumps = pumps;
        this.drain = drain;
        this.sandboxLost = sandboxLost;
        this.killGrace = killGrace;
    }

    long number() {
        return number;
    }

    Exec exec() {
        return exec;
    }

    /**
     * Sends a signal to the job's processes, as a foreground command's get it: not to the
     * subshell that reports the job's end, nor to the subshell that runs its script (the
     * counterpart of the session's shell), only to what they started. -1 once it has ended.
     */
    int signal(ExecSignal signal) {
        return group.signalAllExcept(shells(), signal.name(), () -> !exec.isDone());
    }

    /** The job's processes but its two shells (see {@link #signal}). */
    List<Long> processes() {
        List<Long> pids = group.pids();
        pids.removeAll(shells());
        return pids;
    }

    /**
     * The wrapper subshell and, if bash forked one, the inner subshell: a child of the wrapper
     * with the wrapper's own command line (a forked bash keeps it). Bash 5.2 does not always fork
     * the inner subshell, and then the wrapper's child is already the user's program, which must
     * get the signal.
     */
    private java.util.Set<Long> shells() {
        long wrapper = wrapperPid;
        java.util.Set<Long> shells = new java.util.HashSet<>();
        ProcessHandle.of(wrapper).ifPresent(w -> {
            shells.add(wrapper);
            java.util.Optional<String> cmdline = w.info().commandLine();
            w.children().forEach(c -> {
                if (cmdline.isPresent() && c.info().commandLine().equals(cmdline)) shells.add(c.pid());
            });
        });
        return shells;
    }

    /** The job's end record arrived. */
    void ended(int exitCode) {
        ended.complete(exitCode);
    }

    /**
     * Starts waiting for the job's end; the command runs from now on, in {@code cwd}, and
     * {@code wrapper} (or -1) is the subshell that will report its end.
     */
    void watch(String cwd, long wrapper, Runnable onDone) {
        startedNanos = System.nanoTime();
        startCwd = cwd;
        wrapperPid = wrapper;
        Thread.ofVirtual().name("job-" + exec.id()).start(() -> {
            try {
                exec.complete(await());
            } finally {
                exec.output().compact();
                onDone.run();
            }
        });
    }

    private ExecOutcome await() {
        String killReason = null;
        try {
            long wait = exec.timeout().toNanos() - (System.nanoTime() - startedNanos);
            CompletableFuture.anyOf(ended, exec.cancelRequest(), sandboxLost).get(Math.max(0, wait), TimeUnit.NANOSECONDS);
            if (!ended.isDone() && !sandboxLost.isDone()) killReason = exec.cancelRequest().join();
        } catch (TimeoutException e) {
            killReason = "timeout";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // none of the futures fails
        }
        if (killReason != null && !sandboxLost.isDone()) kill();
        long durationMs = (System.nanoTime() - startedNanos) / 1_000_000;
        finishOutput();
        tidy();
        if (sandboxLost.isDone() && !ended.isDone()) return new ExecOutcome.SandboxLost(durationMs);
        if ("timeout".equals(killReason)) return new ExecOutcome.TimedOut(durationMs, false);
        if (killReason != null) return new ExecOutcome.Cancelled(killReason, durationMs, false);
        return new ExecOutcome.Completed(ended.join(), startCwd, durationMs, false);
    }

    /** Kills the job's group (never the shell) and waits briefly for it to be empty. */
    private void kill() {
        exec.output().drain();
        try {
            group.killAll();
            long deadline = System.nanoTime() + killGrace.toNanos();
            while (!group.isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
        } catch (RuntimeException e) {
            log.debug("killing background exec {}: {}", exec.id(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void finishOutput() {
        for (OutputPump pump : pumps) {
            try {
                InputStream stillOpen = pump.finish();
                if (stillOpen != null) drain.adopt(stillOpen);
            } catch (IOException e) {
                log.debug("output of background exec {}: {}", exec.id(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        exec.output().finish();
    }

    /**
     * Jobs the command left running keep running in the session's group (like a foreground
     * command's leftovers); its own group and files go.
     */
    private void tidy() {
        if (sandboxLost.isDone()) return;
        try {
            if (!group.isEmpty()) group.evictAllExcept(java.util.Set.of());
            group.remove();
            for (String f : List.of("c." + number, "o." + number, "e." + number, "i." + number, "t." + number)) {
                Files.deleteIfExists(controlDir.resolve(f));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("tidying after background exec {}: {}", exec.id(), e.toString());
        }
    }
}
