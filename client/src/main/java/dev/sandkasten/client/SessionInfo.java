package dev.sandkasten.client;

import java.time.Instant;
import java.util.Map;

/**
 * A snapshot of a session as the daemon reported it: id, image, status, the shell's working
 * directory, its lease, and the labels it was created with. It is not updated; ask
 * {@link Session#info()} again for a fresh one.
 *
 * @param id           the session id ({@code sb_...})
 * @param image        the image it runs, for example {@code python}
 * @param status       running, or how it ended
 * @param cwd          the shell's working directory after the last command
 * @param workspaceId  the workspace mounted at {@code /workspace}, or {@code null}
 * @param createdAt    when it was created
 * @param expiresAt    when its lease runs out (each command extends it)
 * @param lastActivity when it last ran a command
 * @param labels       the labels it was created with (never {@code null})
 */
public record SessionInfo(String id, String image, SessionStatus status, String cwd, String workspaceId,
                          Instant createdAt, Instant expiresAt, Instant lastActivity, Map<String, String> labels) {
    public SessionInfo {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
