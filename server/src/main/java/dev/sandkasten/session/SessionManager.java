package dev.sandkasten.session;

import dev.sandkasten.cgroup.CgroupLimits;
import dev.sandkasten.cgroup.CgroupStats;
import dev.sandkasten.config.Config;
import dev.sandkasten.exec.Exec;
import dev.sandkasten.exec.ExecInfo;
import dev.sandkasten.exec.ExecSignal;
import dev.sandkasten.exec.ExecRequest;
import dev.sandkasten.exec.SessionShell;
import dev.sandkasten.sandbox.FileTrees;
import dev.sandkasten.image.ImageCatalog;
import dev.sandkasten.sandbox.Image;
import dev.sandkasten.sandbox.NetworkMode;
import dev.sandkasten.sandbox.SandboxLauncher;
import dev.sandkasten.sandbox.SandboxSpec;
import dev.sandkasten.workspace.WorkspaceStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, finds, lists and destroys sessions, and reaps the expired ones. Ended sessions are
 * remembered for a while as tombstones, so a client asking after one learns that it ended (and
 * how) instead of getting a bare 404.
 */
public final class SessionManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionManager.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_TOMBSTONES = 10_000;
    private static final Duration TOMBSTONE_AGE = Duration.ofHours(1);

    private final Config config;
    private final ImageCatalog images;
    private final SandboxLauncher launcher;
    private final Path sessionsDir;
    private final ExecutorService ioThreads;
    private final SessionShell.Options shellOptions;
    private final Map<String, Session> live = new ConcurrentHashMap<>();
    private final Map<String, SessionView> tombstones = new LinkedHashMap<>();
    private final Semaphore slots;
    private final ScheduledExecutorService reaper;
    private final WorkspaceStore workspaces;
    /** The image each live session runs on, held until the session has ended. */
    private final Map<String, ImageCatalog.Lease> imageLeases = new ConcurrentHashMap<>();

    public SessionManager(Config config, ImageCatalog images, SandboxLauncher launcher, Path sessionsDir) {
        this(config, images, launcher, sessionsDir, new WorkspaceStore(sessionsDir.resolveSibling("workspaces"), config.sandboxUid()));
    }

    public SessionManager(Config config, ImageCatalog images, SandboxLauncher launcher, Path sessionsDir, WorkspaceStore workspaces) {
        this.workspaces = workspaces;
        this.config = config;
        this.images = images;
        this.launcher = launcher;
        this.sessionsDir = sessionsDir;
        this.slots = new Semaphore(config.maxSessions());
        this.ioThreads = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("sk-io-", 0).factory());
        this.shellOptions = new SessionShell.Options(config.outputWindowBytes(), config.execLogMaxBytes(), config.killGrace());
        this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sk-reaper").factory());
        long every = config.reaperInterval().toMillis();
        reaper.scheduleWithFixedDelay(this::reap, every, every, TimeUnit.MILLISECONDS);
    }

    public Session create(SessionSpec spec) {
        String imageName = spec.image().orElse(config.defaultImage());
        Duration ttl = spec.ttl().orElse(config.sessionTtl());
        if (ttl.compareTo(config.sessionMaxTtl()) > 0) {
            throw new SessionException(SessionException.Reason.INVALID,
                    "ttl_seconds must be at most " + config.sessionMaxTtl().toSeconds());
        }
        NetworkMode network = NetworkMode.fromWire(spec.network().orElse("none"))
                .filter(config.networkModes()::contains).orElseThrow(() ->
                new SessionException(SessionException.Reason.INVALID, "network mode '" + spec.network().get()
                        + "' is not available on this daemon; it allows: " + config.networkModes().stream()
                        .map(NetworkMode::wireName).sorted().collect(java.util.stream.Collectors.joining(", "))));
        if (spec.workspaceId().isPresent() && !WorkspaceStore.validId(spec.workspaceId().get())) {
            throw new SessionException(SessionException.Reason.INVALID, "workspace_id must be 1 to 64 characters of "
                    + "letters, digits, '_', '-' and '.', starting with a letter or digit");
        }
        ImageCatalog.Lease lease;
        try {
            lease = images.acquire(imageName).orElseThrow(() -> new SessionException(SessionException.Reason.INVALID,
                    "unknown image '" + imageName + "'; available: " + String.join(", ", images.names())));
        } catch (ImageCatalog.UnusableImageException e) {
            throw new SessionException(SessionException.Reason.INVALID, e.getMessage());
        }
        Image image = lease.image();
        if (!slots.tryAcquire()) {
            lease.close();
            throw new SessionException(SessionException.Reason.UNAVAILABLE,
                    "the daemon is at its session limit (" + config.maxSessions() + "); destroy a session or retry later");
        }
        String id = newId();
        Optional<Path> workspace = Optional.empty();
        try {
            if (spec.workspaceId().isPresent()) workspace = Optional.of(workspaces.acquire(spec.workspaceId().get()));
            CgroupLimits limits = new CgroupLimits(config.memoryLimitBytes(), config.pidsLimit(), config.cpuLimit());
            SessionShell shell = SessionShell.start(new SandboxSpec(id, image, spec.env(), limits, network, workspace),
                    launcher, ioThreads, shellOptions);
            Session session = new Session(id, image.name(), ttl, spec.labels(), shell, config.execHistory());
            session.workspaceId(spec.workspaceId().orElse(null));
            session.startDir(image.startDir());
            try {
                SessionRecord.save(sessionsDir.resolve(id), session.view());
            } catch (IOException e) {
                log.warn("could not write the record of session {}; after a restart it will be unknown: {}", id, e.toString());
            }
            imageLeases.put(id, lease);
            live.put(id, session);
            shell.lost().thenRun(() -> onLost(session));
            return session;
        } catch (RuntimeException e) {
            imageLeases.remove(id);
            lease.close();
            if (workspace.isPresent()) workspaces.release(spec.workspaceId().get());
            slots.release();
            deleteDir(sessionsDir.resolve(id));
            throw e;
        }
    }

    private void onLost(Session session) {
        if (session.status() != SessionStatus.RUNNING) return;
        session.status(SessionStatus.LOST);
        log.warn("session {} lost its sandbox", session.id());
        // Free the processes and cgroups now; the entry stays (status lost) until destroyed or expired.
        ioThreads.execute(() -> {
            session.shell().close();
            // Its sandbox is gone: the image may be removed (the session's own layer goes with the session).
            ImageCatalog.Lease lease = imageLeases.get(session.id());
            if (lease != null) lease.close();
        });
    }

    private static String newId() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return "sb_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A live session; throws NOT_FOUND or GONE (for a session that ended recently). */
    public Session get(String id) {
        Session s = live.get(id);
        if (s != null) return s;
        synchronized (tombstones) {
            SessionView t = tombstones.get(id);
            if (t != null) throw new SessionException(SessionException.Reason.GONE,
                    "session " + id + " is " + t.status().wireName());
        }
        throw new SessionException(SessionException.Reason.NOT_FOUND, "session " + id + " not found");
    }

    /**
     * The host directory of a running session's /workspace, for the file routes (which never open
     * it themselves; see {@code FileStore}). Throws like {@link #get} for a session that is not running.
     */
    public Path workspaceDir(String id) {
        Session s = get(id);
        if (s.status() != SessionStatus.RUNNING) {
            throw new SessionException(SessionException.Reason.GONE, "session " + id + " is " + s.status().wireName());
        }
        s.touch();
        return s.workspaceId() != null ? workspaces.open(s.workspaceId()) : sessionsDir.resolve(id).resolve("workspace");
    }

    /** The images sessions can start from, for the image routes. */
    public ImageCatalog images() {
        return images;
    }

    /** The persistent workspaces, for the workspace routes. */
    public WorkspaceStore workspaces() {
        return workspaces;
    }

    /**
     * Called once at start: every session directory left by an earlier run belongs to a session
     * whose sandbox died with that run. Each is remembered as {@code lost} (so clients get 410,
     * not 404) and its directory removed. Returns how many there were.
     */
    public int recoverLost() {
        if (!Files.isDirectory(sessionsDir)) return 0;
        int n = 0;
        try (var dirs = Files.list(sessionsDir)) {
            for (Path d : dirs.toList()) {
                SessionRecord.loadAsLost(d, Instant.now()).ifPresent(this::remember);
                deleteDir(d);
                n++;
            }
        } catch (IOException e) {
            log.warn("could not list leftover sessions: {}", e.toString());
        }
        if (n > 0) log.info("{} session(s) from an earlier run are lost (their sandboxes ended with it)", n);
        return n;
    }

    /** A session's snapshot, live or recently ended. */
    public SessionView view(String id) {
        Session s = live.get(id);
        if (s != null) return s.view();
        synchronized (tombstones) {
            SessionView t = tombstones.get(id);
            if (t != null) return t;
        }
        throw new SessionException(SessionException.Reason.NOT_FOUND, "session " + id + " not found");
    }

    public List<SessionView> list() {
        List<SessionView> out = new ArrayList<>();
        for (Session s : live.values()) out.add(s.view());
        out.sort(Comparator.comparing(SessionView::createdAt));
        return out;
    }

    public Exec exec(String id, ExecRequest request) {
        Session s = get(id);
        if (s.status() != SessionStatus.RUNNING) {
            throw new SessionException(SessionException.Reason.GONE, "session " + id + " is " + s.status().wireName()
                    + ": its sandbox died; create a new session");
        }
        return s.submit(request);
    }

    public void cancel(String id, String execId) {
        Exec exec = findExec(id, execId);
        if (exec.isDone()) {
            throw new SessionException(SessionException.Reason.EXEC_FINISHED, "exec " + execId + " has already ended ("
                    + exec.info().state().wireName() + "); there is nothing to cancel");
        }
        exec.cancel("cancelled by request");
    }

    /**
     * Sends a signal to a running command's process tree (not to the shell); returns how many
     * processes got it. Throws EXEC_NOT_RUNNING for a queued or finished command.
     */
    public int signal(String id, String execId, ExecSignal signal) {
        Session s = get(id);
        Exec exec = findExec(id, execId);
        int n = exec.isDone() ? -1 : s.shell().signal(exec, signal);
        if (n < 0) {
            String state = exec.info().state().wireName();
            throw new SessionException(SessionException.Reason.EXEC_NOT_RUNNING, "exec " + execId + " is " + state
                    + (state.equals("queued") ? "; signal it once it runs, or cancel it" : "; there is nothing to signal"));
        }
        return n;
    }

    /** Sets the terminal size of a running PTY command; throws NO_PTY or EXEC_NOT_RUNNING. */
    public void resize(String id, String execId, int cols, int rows) {
        Session s = get(id);
        Exec exec = findExec(id, execId);
        if (!exec.pty()) {
            throw new SessionException(SessionException.Reason.NO_PTY, "exec " + execId
                    + " was not started with \"pty\": true; it has no terminal to resize");
        }
        if (exec.isDone() || !s.shell().resize(exec, cols, rows)) {
            String state = exec.info().state().wireName();
            throw new SessionException(SessionException.Reason.EXEC_NOT_RUNNING, "exec " + execId + " is " + state
                    + (state.equals("running") ? " but its terminal is not open yet; retry" : "; it has no terminal now"));
        }
    }

    /** A queued, running or recently finished exec of a session; throws EXEC_NOT_FOUND if there is none. */
    public Exec findExec(String id, String execId) {
        return get(id).exec(execId).orElseThrow(() -> new SessionException(SessionException.Reason.EXEC_NOT_FOUND,
                "exec " + execId + " not found in session " + id + " (finished execs are kept for the last "
                        + config.execHistory() + " commands)"));
    }

    /** Snapshots of a session's queued, running and recently finished execs, oldest first. */
    public List<ExecInfo> execs(String id) {
        List<ExecInfo> out = new ArrayList<>();
        for (Exec e : get(id).execs()) out.add(e.info());
        return out;
    }

    public CgroupStats stats(String id) {
        Session s = get(id);
        if (s.status() != SessionStatus.RUNNING) {
            throw new SessionException(SessionException.Reason.GONE, "session " + id + " is " + s.status().wireName());
        }
        return s.shell().stats();
    }

    public void destroy(String id) {
        end(get(id), SessionStatus.DESTROYED);
    }

    private void end(Session s, SessionStatus why) {
        if (!s.markEnding()) return; // someone else (reaper or another request) is ending it
        SessionStatus before = s.status();
        s.status(before == SessionStatus.LOST && why == SessionStatus.EXPIRED ? SessionStatus.LOST : why);
        // Tombstone first, so that a client asking meanwhile sees the new status and never a 404.
        remember(s.view());
        live.remove(s.id(), s);
        Exec running = s.shell().running();
        s.shell().close();
        if (running != null) {
            try {
                running.outcome().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                log.warn("exec {} of session {} did not wind down", running.id(), s.id());
            }
        }
        s.closeExecs();
        deleteDir(sessionsDir.resolve(s.id()));
        // Released only now: the image may be removed once no sandbox can be using it.
        ImageCatalog.Lease lease = imageLeases.remove(s.id());
        if (lease != null) lease.close();
        if (s.workspaceId() != null) workspaces.release(s.workspaceId());
        slots.release();
    }

    private void remember(SessionView v) {
        synchronized (tombstones) {
            tombstones.put(v.id(), v);
            Instant cutoff = Instant.now().minus(TOMBSTONE_AGE);
            var it = tombstones.values().iterator();
            while (it.hasNext()) {
                SessionView t = it.next();
                if (tombstones.size() > MAX_TOMBSTONES || t.lastActivity().isBefore(cutoff)) it.remove();
                else break;
            }
        }
    }

    private void reap() {
        Instant now = Instant.now();
        for (Session s : live.values()) {
            if (!s.busy() && now.isAfter(s.expiresAt())) {
                try {
                    log.info("session {} expired", s.id());
                    end(s, SessionStatus.EXPIRED);
                } catch (RuntimeException e) {
                    log.error("could not reap session {}", s.id(), e);
                }
            }
        }
    }

    public int liveCount() {
        return live.size();
    }

    /** Destroys every session; used at shutdown. */
    @Override
    public void close() {
        reaper.shutdownNow();
        for (Session s : List.copyOf(live.values())) {
            try {
                end(s, SessionStatus.DESTROYED);
            } catch (RuntimeException e) {
                log.error("could not destroy session {} at shutdown", s.id(), e);
            }
        }
        ioThreads.shutdownNow();
    }

    static void deleteDir(Path dir) {
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException e) {
            log.warn("could not remove {}: {}", dir, e.toString());
        }
    }
}
