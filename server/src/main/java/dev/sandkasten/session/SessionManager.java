package dev.sandkasten.session;

import dev.sandkasten.cgroup.CgroupLimits;
import dev.sandkasten.cgroup.CgroupStats;
import dev.sandkasten.config.Config;
import dev.sandkasten.exec.Exec;
import dev.sandkasten.exec.ExecInfo;
import dev.sandkasten.exec.ExecSignal;
import dev.sandkasten.exec.ExecRequest;
import dev.sandkasten.exec.SessionShell;
import dev.sandkasten.image.ImageCatalog;
import dev.sandkasten.sandbox.Image;
import dev.sandkasten.sandbox.NetworkMode;
import dev.sandkasten.sandbox.SandboxLauncher;
import dev.sandkasten.sandbox.SandboxSpec;
import dev.sandkasten.tenant.Tenant;
import dev.sandkasten.workspace.WorkspaceStore;
import dev.sandkasten.workspace.WorkspaceStores;
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
    private final WorkspaceStores workspaces;
    private final TenantQuotas quotas = new TenantQuotas();
    /** Sandboxes started ahead of need; null when {@code warm_pool_size} is 0. */
    private final WarmPool pool;
    /** The image each live session runs on, held until the session has ended. */

    public SessionManager(Config config, ImageCatalog images, SandboxLauncher launcher, Path sessionsDir,
            WorkspaceStores workspaces) {
        this.workspaces = workspaces;
        this.config = config;
        this.images = images;
        this.launcher = launcher;
        this.sessionsDir = sessionsDir;
        this.slots = new Semaphore(config.maxSessions());
        this.ioThreads = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("sk-io-", 0).factory());
        this.shellOptions = new SessionShell.Options(config.outputWindowBytes(), config.execLogMaxBytes(), config.killGrace());
        this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sk-reaper").factory());
        // Only built-in images are pooled: a pooled sandbox holds no lease, and a stored image
        // must not be removed under one.
        Map<String, Image> builtIn = new java.util.HashMap<>();
        for (Image i : images.builtInImages()) builtIn.put(i.name(), i);
        for (String name : config.warmPoolImages()) {
            if (!builtIn.containsKey(name)) {
                throw new IllegalStateException("warm_pool_images names '" + name + "', which is not a built-in image ("
                        + String.join(", ", builtIn.keySet()) + ")");
            }
        }
        // With none named, the default image is pooled if it is built in; a stored default is not.
        List<String> pooled = !config.warmPoolImages().isEmpty() ? config.warmPoolImages()
                : builtIn.containsKey(config.defaultImage()) ? List.of(config.defaultImage()) : List.of();
        recoverLost(); // before the pool starts sandboxes in the same directory
        this.pool = config.warmPoolSize() == 0 || pooled.isEmpty() ? null : new WarmPool(pooled, config.warmPoolSize(),
                name -> {
                    String id = newId();
                    return new WarmPool.Warm(id, startShell(id, builtIn.get(name), Map.of(), NetworkMode.NONE,
                            Optional.empty()));
                },
                w -> {
                    w.shell().close();
                    launcher.removeSessionFiles(w.id());
                });
        long every = config.reaperInterval().toMillis();
        reaper.scheduleWithFixedDelay(this::reap, every, every, TimeUnit.MILLISECONDS);
    }

    /** Starts a session owned by {@code tenant}; throws QUOTA beyond the tenant's or UNAVAILABLE beyond the daemon's limit. */
    public Session create(Tenant tenant, SessionSpec spec) {
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
        try {
            quotas.acquireSession(tenant);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
        if (!slots.tryAcquire()) {
            lease.close();
            quotas.releaseSession(tenant.name());
            throw new SessionException(SessionException.Reason.UNAVAILABLE,
                    "the daemon is at its session limit (" + config.maxSessions() + "); destroy a session or retry later");
        }
        // A request that a pooled sandbox fits (no env, workspace or network of its own) takes one.
        Optional<WarmPool.Warm> warm = pool != null && spec.env().isEmpty() && spec.workspaceId().isEmpty()
                && network == NetworkMode.NONE ? pool.take(image.name()) : Optional.empty();
        String id = warm.map(WarmPool.Warm::id).orElseGet(SessionManager::newId);
        Optional<Path> workspace = Optional.empty();
        WorkspaceStore store = workspaces.of(tenant.name());
        try {
            if (spec.workspaceId().isPresent()) workspace = Optional.of(store.acquire(spec.workspaceId().get()));
            SessionShell shell = warm.isPresent() ? warm.get().shell()
                    : startShell(id, image, spec.env(), network, workspace);
            Session session = new Session(id, tenant.name(), image.name(), ttl, spec.labels(), shell, config.execHistory());
            session.workspaceId(spec.workspaceId().orElse(null));
            session.startDir(image.startDir());
            session.imageLease(lease);
            live.put(id, session);
            // Off the answer's path: a file write on the data directory's file system can stall
            // behind its journal, and the record only matters after a crash.
            SessionView record = session.view();
            ioThreads.execute(() -> {
                try {
                    if (live.containsKey(id)) SessionRecord.save(sessionsDir.resolve(id), record);
                } catch (java.nio.file.NoSuchFileException e) {
                    // the session ended meanwhile and its directory is gone: nothing to record
                } catch (IOException e) {
                    log.warn("could not write the record of session {}; after a restart it will be unknown: {}", id, e.toString());
                }
            });
            shell.lost().thenRun(() -> onLost(session));
            return session;
        } catch (RuntimeException e) {
            warm.ifPresent(w -> w.shell().close());
            lease.close();
            if (workspace.isPresent()) store.release(spec.workspaceId().get());
            slots.release();
            quotas.releaseSession(tenant.name());
            launcher.removeSessionFiles(id);
            throw e;
        }
    }

    private SessionShell startShell(String id, Image image, Map<String, String> env, NetworkMode network,
            Optional<Path> workspace) {
        CgroupLimits limits = new CgroupLimits(config.memoryLimitBytes(), config.pidsLimit(), config.cpuLimit());
        return SessionShell.start(new SandboxSpec(id, image, env, limits, network, workspace), launcher, ioThreads,
                shellOptions);
    }

    private void onLost(Session session) {
        if (session.status() != SessionStatus.RUNNING) return;
        session.status(SessionStatus.LOST);
        log.warn("session {} lost its sandbox", session.id());
        // Free the processes and cgroups now; the entry stays (status lost) until destroyed or expired.
        ioThreads.execute(() -> {
            session.shell().close();
            // Its sandbox is gone: the image may be removed (the session's own layer goes with the session).
            session.releaseImage();
        });
    }

    private static String newId() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return "sb_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * A live session of the tenant; throws NOT_FOUND (also for another tenant's session, which
     * must look exactly like one that does not exist) or GONE (for a session that ended recently).
     */
    public Session get(Tenant tenant, String id) {
        Session s = live.get(id);
        if (s != null && tenant.mayAccess(s.tenant())) return s;
        SessionView t = visibleTombstone(tenant, id, s);
        throw new SessionException(SessionException.Reason.GONE, "session " + id + " is " + t.status().wireName());
    }

    /**
     * The record of an ended session {@code tenant} may see, when {@code live} (the live
     * session of that id, if any) is not; NOT_FOUND otherwise, so other tenants' ids stay unknown.
     */
    private SessionView visibleTombstone(Tenant tenant, String id, Session live) {
        if (live == null) {
            synchronized (tombstones) {
                SessionView t = tombstones.get(id);
                if (t != null && tenant.mayAccess(t.tenant())) return t;
            }
        }
        throw new SessionException(SessionException.Reason.NOT_FOUND, "session " + id + " not found");
    }

    /**
     * The host directory of a running session's /workspace, for the file routes (which never open
     * it themselves; see {@code FileStore}). Throws like {@link #get} for a session that is not running.
     */
    public Path workspaceDir(Tenant tenant, String id) {
        Session s = get(tenant, id);
        if (s.status() != SessionStatus.RUNNING) {
            throw new SessionException(SessionException.Reason.GONE, "session " + id + " is " + s.status().wireName());
        }
        s.touch();
        return s.workspaceId() != null ? workspaces.of(s.tenant()).open(s.workspaceId())
                : launcher.ownWorkspace(id);
    }

    /** The images sessions can start from, for the image routes. */
    public ImageCatalog images() {
        return images;
    }

    /** The persistent workspaces of every tenant, for the workspace routes. */
    public WorkspaceStores workspaces() {
        return workspaces;
    }

    /**
     * Called once at start: every session directory left by an earlier run belongs to a session
     * whose sandbox died with that run. Each is remembered as {@code lost} (so clients get 410,
     * not 404) and its directory removed. Returns how many there were.
     */
    private int recoverLost() {
        if (!Files.isDirectory(sessionsDir)) return 0;
        int n = 0;
        try (var dirs = Files.list(sessionsDir)) {
            for (Path d : dirs.toList()) {
                SessionRecord.loadAsLost(d, Instant.now()).ifPresent(this::remember);
                launcher.removeSessionFiles(d.getFileName().toString());
                n++;
            }
        } catch (IOException e) {
            log.warn("could not list leftover sessions: {}", e.toString());
        }
        if (n > 0) log.info("{} session(s) from an earlier run are lost (their sandboxes ended with it)", n);
        return n;
    }

    /** A session's snapshot, live or recently ended, if the tenant may see it. */
    public SessionView view(Tenant tenant, String id) {
        Session s = live.get(id);
        if (s != null && tenant.mayAccess(s.tenant())) return s.view();
        return visibleTombstone(tenant, id, s);
    }

    /** The live sessions the tenant may see, oldest first. */
    public List<SessionView> list(Tenant tenant) {
        List<SessionView> out = new ArrayList<>();
        for (Session s : live.values()) if (tenant.mayAccess(s.tenant())) out.add(s.view());
        out.sort(Comparator.comparing(SessionView::createdAt));
        return out;
    }

    /**
     * Queues a command. It counts against the quota of the tenant that owns the session (an
     * admin acting on it included) until it ends.
     */
    public Exec exec(Tenant tenant, String id, ExecRequest request) {
        Session s = get(tenant, id);
        if (s.status() != SessionStatus.RUNNING) {
            throw new SessionException(SessionException.Reason.GONE, "session " + id + " is " + s.status().wireName()
                    + ": its sandbox died; create a new session");
        }
        quotas.acquireExec(s.tenant());
        Exec exec;
        try {
            exec = s.submit(request);
        } catch (RuntimeException e) {
            quotas.releaseExec(s.tenant());
            throw e;
        }
        exec.outcome().whenComplete((o, e) -> quotas.releaseExec(s.tenant()));
        return exec;
    }

    public void cancel(Tenant tenant, String id, String execId) {
        Exec exec = findExec(tenant, id, execId);
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
    public int signal(Tenant tenant, String id, String execId, ExecSignal signal) {
        Session s = get(tenant, id);
        Exec exec = findExec(tenant, id, execId);
        int n = exec.isDone() ? -1 : s.shell().signal(exec, signal);
        if (n < 0) {
            String state = exec.info().state().wireName();
            throw new SessionException(SessionException.Reason.EXEC_NOT_RUNNING, "exec " + execId + " is " + state
                    + (state.equals("queued") ? "; signal it once it runs, or cancel it" : "; there is nothing to signal"));
        }
        return n;
    }

    /** Sets the terminal size of a running PTY command; throws NO_PTY or EXEC_NOT_RUNNING. */
    public void resize(Tenant tenant, String id, String execId, int cols, int rows) {
        Session s = get(tenant, id);
        Exec exec = findExec(tenant, id, execId);
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
    public Exec findExec(Tenant tenant, String id, String execId) {
        return get(tenant, id).exec(execId).orElseThrow(() -> new SessionException(SessionException.Reason.EXEC_NOT_FOUND,
                "exec " + execId + " not found in session " + id + " (finished execs are kept for the last "
                        + config.execHistory() + " commands)"));
    }

    /** Snapshots of a session's queued, running and recently finished execs, oldest first. */
    public List<ExecInfo> execs(Tenant tenant, String id) {
        List<ExecInfo> out = new ArrayList<>();
        for (Exec e : get(tenant, id).execs()) out.add(e.info());
        return out;
    }

    public CgroupStats stats(Tenant tenant, String id) {
        Session s = get(tenant, id);
        if (s.status() != SessionStatus.RUNNING) {
            throw new SessionException(SessionException.Reason.GONE, "session " + id + " is " + s.status().wireName());
        }
        return s.shell().stats();
    }

    public void destroy(Tenant tenant, String id) {
        end(get(tenant, id), SessionStatus.DESTROYED);
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
        launcher.removeSessionFiles(s.id());
        // Released only now: the image may be removed once no sandbox can be using it.
        s.releaseImage();
        if (s.workspaceId() != null) workspaces.of(s.tenant()).release(s.workspaceId());
        slots.release();
        quotas.releaseSession(s.tenant());
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

    /** Pooled sandboxes ready to be handed out. */
    public int warmReady() {
        return pool == null ? 0 : pool.readyCount();
    }

    public int liveCount() {
        return live.size();
    }

    /** Destroys every session; used at shutdown. */
    @Override
    public void close() {
        reaper.shutdownNow();
        if (pool != null) pool.close();
        for (Session s : List.copyOf(live.values())) {
            try {
                end(s, SessionStatus.DESTROYED);
            } catch (RuntimeException e) {
                log.error("could not destroy session {} at shutdown", s.id(), e);
            }
        }
        ioThreads.shutdownNow();
    }
}
