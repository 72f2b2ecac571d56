package dev.sandkasten.client;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A handle on a persistent workspace: a directory the daemon keeps until it is deleted, mounted
 * at {@code /workspace} by every session created with its id
 * ({@link CreateSessionOptions.Builder#workspaceId}). Its files can be read and written without
 * a session through {@link #files()}; writing creates the workspace if it does not exist yet.
 * Get one from {@link SandboxClient#workspace(String)}; no request is made until it is used.
 *
 * <p>Any number of sessions may use a workspace at once; they share it live, and concurrent
 * writes to one file are not coordinated. A handle is immutable and safe to share between threads.
 */
public final class Workspace {
    private final Transport transport;
    private final String id;
    private final SandboxFiles files;

    /** The daemon's rule for workspace ids. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    Workspace(Transport transport, String id) {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("workspace id '" + id + "' is not valid: use 1 to 64 letters, digits,"
                    + " '_', '-' and '.', starting with a letter or digit");
        }
        this.transport = transport;
        this.id = id;
        this.files = new SandboxFiles(transport, "/v1/workspaces/" + Transport.segment(id));
    }

    /** The workspace's id. */
    public String id() {
        return id;
    }

    /** Its files, without a session: paths are relative to its root (seen as {@code /workspace} in sessions). */
    public SandboxFiles files() {
        return files;
    }

    /**
     * Deletes the workspace and everything in it.
     *
     * @throws NotFoundException no such workspace
     * @throws ConflictException a live session uses it
     */
    public void delete() {
        transport.call(transport.request("DELETE", "/v1/workspaces/" + Transport.segment(id), null,
                transport.requestTimeout()), n -> n);
    }

    @Override
    public String toString() {
        return "Workspace[" + id + "]";
    }
}
