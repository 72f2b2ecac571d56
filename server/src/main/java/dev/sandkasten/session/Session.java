package dev.sandkasten.session;

import dev.sandkasten.exec.Exec;
import dev.sandkasten.exec.ExecOutcome;
import dev.sandkasten.exec.ExecRequest;
import dev.sandkasten.exec.SessionShell;
import dev.sandkasten.image.ImageCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One session: an id, a lease, and the persistent shell in its sandbox. Every exec extends the
 * lease. Its commands are resources: queued and running ones, and the last {@code history}
 * finished ones, can be looked up by exec id (to list, attach to or cancel them).
 */
public final class Session {
    private final String id;
    private final String tenant;
    private final String image;
    private final Instant createdAt;
    private final Duration ttl;
    private final Map<String, String> labels;
    private final SessionShell shell;
    private final int history;
    /** Every listed exec in submission order; guarded by itself. */
    private final LinkedHashMap<String, Exec> execs = new LinkedHashMap<>();
    private final Map<String, Exec> active = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean ending = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile SessionStatus status = SessionStatus.RUNNING;
    private volatile Instant lastActivity;
    private volatile Instant expiresAt;
    private volatile String cwd = "/workspace";
    /** Where the shell starts, and where a replaced shell is again: the image's working directory. */
    private volatile String startDir = "/workspace";
    private volatile String workspaceId;
    /** Keeps a stored image from being removed while the sandbox may use it. */
    private volatile ImageCatalog.Lease imageLease;

    Session(String id, String tenant, String image, Duration ttl, Map<String, String> labels, SessionShell shell,
            int history) {
        this.id = id;
        this.tenant = tenant;
        this.history = history;
        this.image = image;
        this.ttl = ttl;
        this.labels = Map.copyOf(labels);
        this.shell = shell;
        this.createdAt = Instant.now();
        touch();
    }

    /** The persistent workspace mounted at /workspace, or null for a session-own one. */
    public String workspaceId() {
        return workspaceId;
    }

    void workspaceId(String id) {
        workspaceId = id;
    }

    void imageLease(ImageCatalog.Lease lease) {
        imageLease = lease;
    }

    /** Lets the image go: the sandbox that used it is gone. Closing a lease twice is harmless. */
    void releaseImage() {
        ImageCatalog.Lease lease = imageLease;
        if (lease != null) lease.close();
    }

    void startDir(String dir) {
        startDir = dir;
        cwd = dir;
    }

    public String id() {
        return id;
    }

    /** The name of the tenant that owns the session. */
    public String tenant() {
        return tenant;
    }

    public SessionStatus status() {
        return status;
    }

    void status(SessionStatus s) {
        status = s;
    }

    /** Claims the right to end this session; true for exactly one caller. */
    boolean markEnding() {
        return ending.compareAndSet(false, true);
    }

    SessionShell shell() {
        return shell;
    }

    Instant expiresAt() {
        return expiresAt;
    }

    /** True while a command is queued or running, which keeps the reaper away. */
    boolean busy() {
        return !active.isEmpty();
    }

    void touch() {
        Instant now = Instant.now();
        lastActivity = now;
        expiresAt = now.plus(ttl);
    }

    Exec submit(ExecRequest request) {
        touch();
        Exec exec = shell.submit(request);
        active.put(exec.id(), exec);
        synchronized (execs) {
            execs.put(exec.id(), exec);
        }
        exec.outcome().whenComplete((outcome, error) -> {
            active.remove(exec.id());
            forgetOldExecs();
            if (outcome instanceof ExecOutcome.Completed c) cwd = c.cwd();
            else if (outcome != null && outcome.stateLost()) cwd = startDir;
            touch();
        });
        return exec;
    }

    /** A listed exec: queued, running, or among the last finished ones. */
    Optional<Exec> exec(String execId) {
        synchronized (execs) {
            return Optional.ofNullable(execs.get(execId));
        }
    }

    /** Every listed exec, oldest first. */
    List<Exec> execs() {
        synchronized (execs) {
            return new ArrayList<>(execs.values());
        }
    }

    /** Keeps the last {@code history} finished execs; queued and running ones always stay. */
    private void forgetOldExecs() {
        synchronized (execs) {
            int finished = 0;
            for (Exec e : execs.values()) if (e.isDone()) finished++;
            for (var it = execs.values().iterator(); it.hasNext() && finished > history; ) {
                Exec e = it.next();
                if (e.isDone()) {
                    it.remove();
                    e.shutdown();
                    finished--;
                }
            }
        }
    }

    /** Ends every exec's output and input (the session is gone): attached readers see the end. */
    void closeExecs() {
        for (Exec e : execs()) e.shutdown();
    }

    public SessionView view() {
        return new SessionView(id, tenant, image, status, cwd, workspaceId, createdAt, expiresAt, lastActivity, labels);
    }
}
