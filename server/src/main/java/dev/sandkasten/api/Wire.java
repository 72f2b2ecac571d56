package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.session.SessionView;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** JSON shapes of the wire contract that more than one route returns. */
final class Wire {
    private Wire() {}

    static ObjectNode session(SessionView v) {
        ObjectNode n = Json.object();
        n.put("id", v.id());
        n.put("image", v.image());
        n.put("status", v.status().wireName());
        n.put("cwd", v.cwd());
        n.put("workspace_id", v.workspaceId());
        n.put("created_at", time(v.createdAt()));
        n.put("expires_at", time(v.expiresAt()));
        n.put("last_activity", time(v.lastActivity()));
        ObjectNode labels = n.putObject("labels");
        v.labels().forEach(labels::put);
        return n;
    }

    /** RFC 3339 in UTC with millisecond precision. */
    static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
