package dev.sandkasten.exec;

import dev.sandkasten.cgroup.CommandGroup;
import dev.sandkasten.sandbox.FileTrees;
import dev.sandkasten.sandbox.Sandbox;
import dev.sandkasten.sandbox.SandboxLauncher;
import dev.sandkasten.sandbox.SandboxSpec;
import dev.sandkasten.sandbox.SandboxStartException;
import dev.sandkasten.sandbox.Shell;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistent shell of one session and the queue in front of it. Commands run one at a time
 * in arrival order (a fair semaphore); each one is written to a command file, sourced by the
 * shell with its stdout and stderr on fresh FIFOs, and ends when the shell's completion record
 * arrives on the control FIFO. A timeout or cancel kills the command's cgroup; if the shell does
 * not report back within the kill grace, the shell itself is replaced and the outcome says so.
 */
public final class SessionShell implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionShell.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * FIFO pairs made before the sandbox starts: few, because each costs ~35 µs even on a tmpfs
     * and session creation waits for them. A command that ran to its end with nothing left
     * holding its FIFOs hands its number (and so its FIFOs) to the next command, so a session
     * that runs one command after another needs no more; commands whose FIFOs are still held
     * (background jobs) use new numbers, whose FIFOs come in batches of {@link #FIFO_BATCH},
     * made in the background ahead of need.
     */
    private static final int FIFO_INITIAL = 4;
    private static final int FIFO_BATCH = 16;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    /** What the driver of the running command waits for. */
    private sealed interface Signal {
        record FromShell(ControlRecord record) implements Signal {}
        record Cancel(Exec exec, String reason) implements Signal {}
        record SandboxGone() implements Signal {}
    }

    /**
     * Settings shared by every session's shell.
     *
     * @param outputWindowBytes output kept in memory per command (and backpressure distance)
     * @param outputLogMaxBytes output kept on disk per command (head and tail)
     * @param killGrace how long a killed command's shell may take to report back
     */
    public record Options(long outputWindowBytes, long outputLogMaxBytes, Duration killGrace) {}

    private final Sandbox sandbox;
    private final SandboxLauncher launcher;
    private final ExecutorService ioThreads;
    private final Options options;
    private final BackgroundDrain backgroundDrain;
    private final LinkedBlockingQueue<Exec> queue = new LinkedBlockingQueue<>();
    private Thread worker;
    private final LinkedBlockingQueue<Signal> signals = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    private final CommandGroup group;
    private volatile long shellPid = -1;
    /** The shell and its ancestors (supervisor, bubblewrap): spared when a command is killed. */
    private volatile Set<Long> spared = Set.of();
    private volatile Exec running;
    private long nextCommand;
    /** The command whose files and leftover jobs still need tidying, or -1. */
    private long untidyCommand = -1;
    /** Whether the untidy command's FIFOs were left with no writer, so its number can be reused. */
    private boolean untidyReusable;
    /** A finished command's number whose FIFOs are free for the next command, or -1. */
    private long reusableCommand = -1;
    /** o.N and e.N exist for every N below this. */
    private long fifosReady;
    /** ... and below this once the refill in flight is done. */
    private long fifosPlanned;
    private final Object fifoLock = new Object();
    /** Launched background commands by command number, until they end. */
    private final Map<Long, BackgroundJob> jobs = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile CompletableFuture<Void> refill = CompletableFuture.completedFuture(null);

    private SessionShell(Sandbox sandbox, SandboxLauncher launcher, ExecutorService ioThreads, Options options) {
        this.sandbox = sandbox;
        this.launcher = launcher;
        this.ioThreads = ioThreads;
        this.options = options;
        this.backgroundDrain = new BackgroundDrain(ioThreads);
        this.group = sandbox.cgroup().commandGroup();
    }

    /** Launches the sandbox and waits until its shell reports ready. */
    public static SessionShell start(SandboxSpec spec, SandboxLauncher launcher, ExecutorService ioThreads, Options options) {
        List<String> fifos = fifoNames(0, FIFO_INITIAL);
        Sandbox sandbox = launcher.launch(spec, fifos);
        SessionShell shell = new SessionShell(sandbox, launcher, ioThreads, options);
        shell.fifosReady = FIFO_INITIAL;
        shell.fifosPlanned = FIFO_INITIAL;
        try {
            shell.awaitFirstReady();
            launcher.connect(sandbox, spec.network());
        } catch (RuntimeException | IOException e) {
            String diagnostics = readLog(sandbox.logFile());
            shell.close();
            log.error("sandbox {} did not start: {} {}", spec.name(), e.getMessage(), diagnostics);
            throw new SandboxStartException("the sandbox did not start", e);
        }
        return shell;
    }

    private void awaitFirstReady() {
        ioThreads.execute(new ControlReader(sandbox.controlDir().resolve("ctl"), this::onRecord, this::markLost));
        sandbox.onExit().thenRun(this::markLost);
        try {
            Signal s = signals.poll(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (s instanceof Signal.FromShell(ControlRecord.Ready(long pid))) {
                adoptShell(pid);
                // A platform thread: the worker does file I/O on every command (command file, shell
                // stdin), and on a virtual thread each such call made the scheduler compensate with
                // another carrier, which cost ~0.8 ms per exec. It sleeps in queue.take() when idle.
                worker = Thread.ofPlatform().name("session-" + sandbox.name()).daemon().stackSize(256 * 1024)
                        .start(this::work);
                return;
            }
            throw new IllegalStateException(s == null ? "no ready record within " + READY_TIMEOUT : "unexpected " + s);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        }
    }

    /** Background jobs report their end at any time; everything else is for the worker. */
    private void onRecord(ControlRecord r) {
        if (r instanceof ControlRecord.JobEnded(long id, int exitCode)) {
            BackgroundJob job = jobs.get(id);
            if (job != null) job.ended(exitCode);
        } else {
            signals.add(new Signal.FromShell(r));
        }
    }

    private void markLost() {
        if (lost.complete(null)) signals.add(new Signal.SandboxGone());
    }

    /** Completes when the sandbox has died; the session is then unusable. */
    public CompletableFuture<Void> lost() {
        return lost;
    }

    public boolean isLost() {
        return lost.isDone();
    }

    /** The command running now, if any. */
    public Exec running() {
        return running;
    }

    /**
     * Queues a command. Commands run in the order they were submitted, one at a time, on the
     * session's worker thread; the caller reads output and outcome from the returned {@link Exec}.
     */
    public Exec submit(ExecRequest request) {
        String id = newExecId();
        ExecOutput output = new ExecOutput(options.outputWindowBytes(), sandbox.outputDir().resolve(id + ".log"),
                options.outputLogMaxBytes());
        Exec exec = new Exec(id, request, output);
        exec.cancelRequest().thenAccept(reason -> signals.add(new Signal.Cancel(exec, reason)));
        queue.add(exec);
        return exec;
    }

    private static String newExecId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return "ex_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The session's worker: takes commands in arrival order and runs each to its end. */
    private void work() {
        try {
            while (true) {
                Exec exec = queue.take();
                ExecOutcome outcome;
                if (exec.cancelRequest().isDone()) {
                    outcome = new ExecOutcome.Cancelled(exec.cancelRequest().join(), 0, false);
                } else if (isLost()) {
                    outcome = new ExecOutcome.SandboxLost(0);
                } else if (exec.background()) {
                    exec.markStarted();
                    outcome = launchSafely(exec);
                    if (outcome == null) continue; // running: its BackgroundJob ends it
                } else {
                    running = exec;
                    exec.markStarted();
                    outcome = runSafely(exec);
                    running = null;
                }
                exec.output().finish();
                exec.complete(outcome);
                // Off the caller's clock, but before the next command starts.
                if (untidyCommand >= 0 && !isLost()) tidyAfterCommand(exec);
                exec.output().compact();
            }
        } catch (InterruptedException e) {
            // the session is closing: end whatever is still queued
            for (Exec left; (left = queue.poll()) != null; ) {
                left.output().finish();
                left.complete(new ExecOutcome.SandboxLost(0));
            }
        }
    }

    private ExecOutcome runSafely(Exec exec) {
        try {
            return runOne(exec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ExecOutcome.SandboxLost(0);
        } catch (Exception e) {
            if (isLost()) {
                log.debug("exec {} ended with its sandbox: {}", exec.id(), e.toString());
            } else {
                log.error("exec {} failed; closing its sandbox", exec.id(), e);
                close();
            }
            return new ExecOutcome.SandboxLost(0);
        }
    }

    private ExecOutcome launchSafely(Exec exec) {
        try {
            return launch(exec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ExecOutcome.SandboxLost(0);
        } catch (Exception e) {
            if (isLost()) {
                log.debug("background exec {} ended with its sandbox: {}", exec.id(), e.toString());
            } else {
                log.error("background exec {} failed to start; closing its sandbox", exec.id(), e);
                close();
            }
            return new ExecOutcome.SandboxLost(0);
        }
    }

    /**
     * Starts a background command: the idle shell forks it as a subshell, so it starts with the
     * session's state as the commands before it left it (cwd, variables, functions), and reports
     * at once; the worker then moves the subshell into a kill group of its own. Returns null once
     * it runs (its {@link BackgroundJob} ends it), or the outcome of a launch that failed.
     */
    private ExecOutcome launch(Exec exec) throws Exception {
        long n = nextCommand++;
        ensureFifos(n);
        Path ctl = sandbox.controlDir();
        writeCommand(exec.request(), n);
        String input = openStdin(exec, n);
        OutputPump out = new OutputPump(ctl.resolve("o." + n), StdStream.STDOUT, exec.output());
        OutputPump err = new OutputPump(ctl.resolve("e." + n), StdStream.STDERR, exec.output());
        CommandGroup jobGroup = sandbox.cgroup().jobGroup("job." + n);
        BackgroundJob job = new BackgroundJob(exec, n, jobGroup, ctl, List.of(out, err), backgroundDrain, lost,
                options.killGrace());
        jobs.put(n, job);
        out.start(ioThreads);
        err.start(ioThreads);
        String dir = Sandbox.INNER_CONTROL_DIR;
        // The job runs in an inner subshell that takes back the default SIGINT and SIGQUIT, which
        // bash ignores in asynchronous commands: a signal request must be able to interrupt it.
        sandbox.sendLine("{ ( trap - INT QUIT; . " + dir + "/c." + n + " ); __sk_end " + n + " $?; } <" + input
                + " >" + dir + "/o." + n
                + " 2>" + dir + "/e." + n + " & __sk_bg " + n + " $!");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            long wait = deadline - System.nanoTime();
            Signal s = wait > 0 ? signals.poll(wait, TimeUnit.NANOSECONDS) : null;
            if (s instanceof Signal.FromShell(ControlRecord.Done(long id, int code, String cwd)) && id == n) {
                group.moveAllExceptTo(spared, jobGroup);
                job.watch(cwd, childOfShell(jobGroup.pids()), () -> jobs.remove(n));
                return null;
            }
            if (s instanceof Signal.Cancel || s instanceof Signal.FromShell(ControlRecord.Done d)) continue;
            // No report: the shell died or hangs while forking a subshell. Undo what may have started.
            jobs.remove(n);
            jobGroup.killAll();
            boolean stateLost = true;
            if (s instanceof Signal.FromShell(ControlRecord.Ready(long pid))) adoptShell(pid);
            else if (s instanceof Signal.FromShell(ControlRecord.ShellExited x)) awaitReady();
            else if (s == null) replaceShell(shellPid);
            else stateLost = !isLost();
            for (OutputPump pump : List.of(out, err)) {
                InputStream stillOpen = pump.finish();
                if (stillOpen != null) backgroundDrain.adopt(stillOpen);
            }
            jobGroup.remove();
            if (isLost()) return new ExecOutcome.SandboxLost(0);
            return new ExecOutcome.Cancelled("the shell ended while starting the command", 0, stateLost);
        }
    }

    /**
     * Writes the file the shell sources, {@code c.N}. For a PTY command that file starts
     * {@code script(1)}, which runs a child bash on a new pseudo-terminal, sets its size and
     * sources the command itself from {@code t.N}; stdout and stderr of everything on the
     * terminal come out merged on script's stdout.
     */
    private void writeCommand(ExecRequest r, long n) throws IOException {
        Path ctl = sandbox.controlDir();
        if (r.pty().isEmpty()) {
            Files.writeString(ctl.resolve("c." + n), script(r), StandardCharsets.UTF_8);
            return;
        }
        ExecRequest.Pty pty = r.pty().get();
        Files.writeString(ctl.resolve("t." + n), script(r), StandardCharsets.UTF_8);
        String inner = "stty cols " + pty.cols() + " rows " + pty.rows() + " 2>/dev/null; . " + Sandbox.INNER_CONTROL_DIR + "/t." + n;
        Files.writeString(ctl.resolve("c." + n), "TERM=xterm-256color SHELL=/bin/bash script -qfec " + Shell.quote(inner)
                + " /dev/null\n", StandardCharsets.UTF_8);
    }

    /**
     * Sets the terminal size of a running PTY command; false if its terminal is not there
     * (not opened yet, or gone).
     */
    public boolean resize(Exec exec, int cols, int rows) {
        List<Long> pids;
        if (running == exec) {
            pids = group.pids();
            pids.removeAll(spared);
        } else {
            pids = jobs.values().stream().filter(j -> j.exec() == exec).findFirst().map(BackgroundJob::processes)
                    .orElse(List.of());
        }
        return Terminal.resize(pids, cols, rows);
    }

    /** Of {@code pids}, the one whose parent is the shell (a background job's wrapper), or -1. */
    private long childOfShell(List<Long> pids) {
        long shell = shellPid;
        for (long pid : pids) {
            if (ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L) == shell) return pid;
        }
        return -1;
    }

    /**
     * Sends {@code signal} to a running command's processes, never to the shell: for a foreground
     * command everything in the command group but the shell and its ancestors, for a background
     * one its job group. Returns how many processes got it, or -1 if the command is not running.
     */
    public int signal(Exec exec, ExecSignal signal) {
        if (running == exec) return group.signalAllExcept(spared, signal.name(), () -> running == exec);
        for (BackgroundJob job : jobs.values()) {
            if (job.exec() == exec) return job.signal(signal);
        }
        return -1;
    }

    /**
     * The path the command reads its input from: /dev/null, or a FIFO {@code i.N} made for it
     * (by the daemon, like every FIFO, so the sandbox cannot swap it) and connected to its
     * {@link StdinPipe} before the shell opens it.
     */
    private String openStdin(Exec exec, long n) throws IOException {
        if (exec.stdin().isEmpty()) return "/dev/null";
        launcher.makeFifos(sandbox, List.of("i." + n)); // made on demand: few commands want input
        exec.stdin().get().open(sandbox.controlDir().resolve("i." + n));
        return Sandbox.INNER_CONTROL_DIR + "/i." + n;
    }

    private ExecOutcome runOne(Exec exec) throws Exception {
        long n = reusableCommand >= 0 ? reusableCommand : nextCommand++;
        reusableCommand = -1;
        ensureFifos(n);
        Path ctl = sandbox.controlDir();
        writeCommand(exec.request(), n);
        String input = openStdin(exec, n);
        Set<Long> keep = spared;
        long shell = shellPid;
        OutputPump out = new OutputPump(ctl.resolve("o." + n), StdStream.STDOUT, exec.output());
        OutputPump err = new OutputPump(ctl.resolve("e." + n), StdStream.STDERR, exec.output());
        out.start(ioThreads);
        err.start(ioThreads);

        String dir = Sandbox.INNER_CONTROL_DIR;
        long started = System.nanoTime();
        boolean sent = true;
        try {
            sandbox.sendLine(". " + dir + "/c." + n + " <" + input + " >" + dir + "/o." + n + " 2>" + dir + "/e." + n
                    + "; __sk_done " + n + " $?");
        } catch (IOException e) {
            sent = false;
            markLost();
        }

        long deadline = started + exec.request().timeout().toNanos();
        String killReason = null;
        long killDeadline = 0;
        boolean stateLost = false;
        boolean gone = !sent;
        int exitCode = -1;
        String cwd = "/workspace";
        while (!gone) {
            long wait = (killReason == null ? deadline : killDeadline) - System.nanoTime();
            // After a kill, wake often and kill again: the shell may have been about to fork the
            // command's first process when the kill came, and that process must not live on.
            if (killReason != null) wait = Math.min(wait, RE_KILL_INTERVAL_NANOS);
            Signal s = wait > 0 ? signals.poll(wait, TimeUnit.NANOSECONDS) : null;
            if (s == null) {
                if (killReason == null) {
                    killReason = TIMEOUT;
                    exec.output().drain();
                    group.killAllExcept(keep);
                    killDeadline = System.nanoTime() + options.killGrace().toNanos();
                    continue;
                }
                if (System.nanoTime() < killDeadline) {
                    group.killAllExcept(keep);
                    continue;
                }
                // The command's processes are dead but the shell did not report: it is stuck itself.
                stateLost = true;
                gone = !replaceShell(shell);
                break;
            }
            if (s instanceof Signal.FromShell(ControlRecord.Done(long id, int code, String dirAfter))) {
                if (id != n) continue;
                exitCode = code;
                cwd = dirAfter;
                break;
            } else if (s instanceof Signal.FromShell(ControlRecord.ShellExited(int status))) {
                exitCode = status;
                stateLost = true;
                gone = !awaitReady();
                break;
            } else if (s instanceof Signal.FromShell(ControlRecord.Ready(long pid))) {
                // A shell we did not know had exited: take the new one.
                adoptShell(pid);
                stateLost = true;
                break;
            } else if (s instanceof Signal.Cancel(Exec target, String reason)) {
                if (target != exec || killReason != null) continue;
                killReason = reason;
                exec.output().drain();
                group.killAllExcept(keep);
                killDeadline = System.nanoTime() + options.killGrace().toNanos();
            } else if (s instanceof Signal.SandboxGone) {
                gone = true;
            }
        }
        long durationMs = (System.nanoTime() - started) / 1_000_000;

        boolean unheld = true;
        for (OutputPump pump : List.of(out, err)) {
            InputStream stillOpen = pump.finish();
            if (stillOpen != null) backgroundDrain.adopt(stillOpen);
            unheld &= pump.sawEnd();
        }
        untidyCommand = n;
        // A killed command's shell may still report about it later; its number is not reused.
        untidyReusable = unheld && !gone && killReason == null && !stateLost;

        if (gone) return new ExecOutcome.SandboxLost(durationMs);
        if (TIMEOUT.equals(killReason)) return new ExecOutcome.TimedOut(durationMs, stateLost);
        if (killReason != null) return new ExecOutcome.Cancelled(killReason, durationMs, stateLost);
        return new ExecOutcome.Completed(exitCode, cwd, durationMs, stateLost);
    }

    private static final String TIMEOUT = "timeout";
    private static final long RE_KILL_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * Moves background jobs the command left behind out of the command group (so the next
     * command's kill spares them) and removes its files.
     */
    private void tidyAfterCommand(Exec exec) {
        try {
            if (group.holdsOthersThan(spared)) group.evictAllExcept(spared);
            Path ctl = sandbox.controlDir();
            long n = untidyCommand;
            untidyCommand = -1;
            List<String> files = untidyReusable ? List.of("c." + n, "i." + n, "t." + n)
                    : List.of("c." + n, "o." + n, "e." + n, "i." + n, "t." + n);
            for (String f : files) Files.deleteIfExists(ctl.resolve(f));
            if (untidyReusable) reusableCommand = n;
        } catch (IOException | RuntimeException e) {
            if (isLost()) return;
            log.error("cleaning up after exec {} failed; closing its sandbox", exec.id(), e);
            close();
        }
    }

    /** Kills a stuck shell; the supervisor starts a fresh one. Returns false if none came up. */
    private boolean replaceShell(long stuck) throws InterruptedException {
        log.info("shell of sandbox {} did not respond after its command was killed; replacing it", sandbox.name());
        ProcessHandle.of(stuck).ifPresent(ProcessHandle::destroyForcibly);
        // Whatever the stuck shell started dies with it; only the supervisor and bubblewrap stay.
        Set<Long> ancestors = new HashSet<>(spared);
        ancestors.remove(stuck);
        group.killAllExcept(ancestors);
        return awaitReady();
    }

    /** Waits for the supervisor's next shell to report ready. */
    private boolean awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            long wait = deadline - System.nanoTime();
            Signal s = wait > 0 ? signals.poll(wait, TimeUnit.NANOSECONDS) : null;
            if (s == null || s instanceof Signal.SandboxGone) {
                markLost();
                return false;
            }
            if (s instanceof Signal.FromShell(ControlRecord.Ready(long pid))) {
                adoptShell(pid);
                return true;
            }
        }
    }

    /**
     * Takes a freshly started shell (born in the command group, like every process of the
     * sandbox): records its host pid and the set a command kill must spare, the shell and the
     * ancestors that keep the sandbox alive.
     */
    private void adoptShell(long nsPid) {
        long pid = hostPid(nsPid);
        Set<Long> keep = new HashSet<>();
        keep.add(pid);
        List<Long> members = group.pids();
        for (var p = ProcessHandle.of(pid).flatMap(ProcessHandle::parent); p.isPresent(); p = p.get().parent()) {
            if (!members.contains(p.get().pid())) break;
            keep.add(p.get().pid());
        }
        shellPid = pid;
        spared = Set.copyOf(keep);
    }

    /** The host pid of the process with pid {@code nsPid} in the sandbox's pid namespace. */
    private long hostPid(long nsPid) {
        for (long pid : group.pids()) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (!line.startsWith("NSpid:")) continue;
                    String[] f = line.substring(6).trim().split("\\s+");
                    if (f.length > 1 && Long.parseLong(f[f.length - 1]) == nsPid) return pid;
                }
            } catch (IOException | NumberFormatException e) {
                // exited meanwhile
            }
        }
        throw new IllegalStateException("shell pid " + nsPid + " not found in the sandbox's cgroup");
    }

    private String script(ExecRequest r) {
        if (!r.isolated()) return r.cmd();
        StringBuilder s = new StringBuilder("(\n");
        r.cwd().ifPresent(d -> s.append("cd -- ").append(Shell.quote(d)).append(" || builtin exit 1\n"));
        for (Map.Entry<String, String> e : r.env().entrySet()) {
            s.append("export ").append(e.getKey()).append('=').append(Shell.quote(e.getValue())).append('\n');
        }
        return s.append(r.cmd()).append("\n)\n").toString();
    }

    private void ensureFifos(long n) throws IOException, InterruptedException {
        if (refill.isDone() && !refill.isCompletedExceptionally()) fifosReady = fifosPlanned;
        if (n + 2 >= fifosPlanned && refill.isDone()) {
            long from = fifosPlanned;
            synchronized (fifoLock) {
                if (isLost()) throw new IOException("the sandbox is closing");
                fifosPlanned += FIFO_BATCH;
                refill = CompletableFuture.runAsync(() -> {
                    try {
                        launcher.makeFifos(sandbox, fifoNames(from, FIFO_BATCH));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, ioThreads);
            }
        }
        if (n >= fifosReady) {
            try {
                refill.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("cannot create output FIFOs", e.getCause());
            }
            fifosReady = fifosPlanned;
        }
    }

    private static List<String> fifoNames(long from, int count) {
        List<String> names = new ArrayList<>(count * 2);
        for (long i = from; i < from + count; i++) {
            names.add("o." + i);
            names.add("e." + i);
        }
        return names;
    }

    /** Resource use of the session, from its cgroups. */
    public dev.sandkasten.cgroup.CgroupStats stats() {
        return sandbox.cgroup().stats();
    }

    /**
     * Kills everything in the sandbox and removes its groups; queued commands end as lost. Returns
     * once no FIFO is being made any more, so the caller may remove the session's directory.
     */
    @Override
    public void close() {
        markLost();
        if (worker != null) worker.interrupt();
        Exec r = running;
        if (r != null) r.output().close();
        sandbox.close();
        // A FIFO batch still being made would refill the control directory while the caller
        // removes it; mkfifo is quick, so wait for it. No new batch starts once lost is set.
        CompletableFuture<Void> pending;
        synchronized (fifoLock) {
            pending = refill;
        }
        try {
            pending.handle((ok, e) -> null).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("FIFO refill of sandbox {} did not finish: {}", sandbox.name(), e.toString());
        }
        try {
            FileTrees.deleteTree(sandbox.controlDir());
        } catch (IOException e) {
            log.warn("could not remove the control directory of sandbox {}: {}", sandbox.name(), e.toString());
        }
    }

    private static String readLog(Path file) {
        try {
            String s = Files.readString(file);
            return s.length() > 2000 ? s.substring(0, 2000) : s;
        } catch (IOException e) {
            return "";
        }
    }
}
