package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.exec.ExecInfo;
import dev.sandkasten.session.SessionView;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** JSON shapes of the wire contract that more than one route returns. */
final class Wire {
    private Wire() {}

    static ObjectNode session(SessionView v) {
        ObjectNode n = Json.object();
        n.put("id", v.id());
        n.put("tenant", v.tenant());
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

    static ObjectNode exec(ExecInfo e) {
        ObjectNode n = Json.object();
        n.put("exec_id", e.id());
        n.put("cmd", e.cmd());
        n.put("cmd_truncated", e.cmdTruncated());
        n.put("state", e.state().wireName());
        if (e.exitCode().isPresent()) n.put("exit_code", e.exitCode().getAsInt());
        else n.putNull("exit_code");
        n.put("cwd", e.cwd().orElse(null));
        n.put("created_at", time(e.createdAt()));
        n.put("started_at", e.startedAt().map(Wire::time).orElse(null));
        n.put("finished_at", e.finishedAt().map(Wire::time).orElse(null));
        n.put("duration_ms", e.durationMs().orElse(null));
        n.put("timeout_ms", e.timeoutMs());
        n.put("stdout_bytes", e.stdoutBytes());
        n.put("stderr_bytes", e.stderrBytes());
        n.put("background", e.background());
        n.put("pty", e.pty());
        n.put("state_lost", e.stateLost());
        return n;
    }

    /** RFC 3339 in UTC with millisecond precision. */
    static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
