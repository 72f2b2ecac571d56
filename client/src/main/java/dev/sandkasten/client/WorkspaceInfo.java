package dev.sandkasten.client;

import java.time.Instant;

/**
 * A persistent workspace as {@link SandboxClient#listWorkspaces()} reports it.
 *
 * @param id        its id, as given to {@link CreateSessionOptions.Builder#workspaceId}
 * @param createdAt when it was created
 * @param sessions  how many live sessions use it now, or {@code null} if the daemon did not say
 */
public record WorkspaceInfo(String id, Instant createdAt, Integer sessions) {}
