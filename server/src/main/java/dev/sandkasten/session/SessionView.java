package dev.sandkasten.session;

import java.time.Instant;
import java.util.Map;

/** A read-only snapshot of a session, for listing and for the wire. */
public record SessionView(String id, String tenant, String image, SessionStatus status, String cwd, String workspaceId,
                          Instant createdAt, Instant expiresAt, Instant lastActivity, Map<String, String> labels) {}
