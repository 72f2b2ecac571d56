package dev.sandkasten.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the daemon's API (docs/api.md) and their mapping to this SDK's records.
 * Mapping is written out by hand rather than bound by reflection, so that a field the daemon adds
 * or omits never breaks a client.
 */
final class Wire {
    static final ObjectMapper JSON = new ObjectMapper();

    private Wire() {}

    static ObjectNode createSessionBody(CreateSessionOptions o) {
        ObjectNode n = JSON.createObjectNode();
        if (o.image() != null) n.put("image", o.image());
        if (o.ttlSeconds() != null) n.put("ttl_seconds", o.ttlSeconds());
        if (!o.env().isEmpty()) n.set("env", map(o.env()));
        if (!o.labels().isEmpty()) n.set("labels", map(o.labels()));
        if (o.network() != null) n.put("network", o.network());
        if (o.workspaceId() != null) n.put("workspace_id", o.workspaceId());
        return n;
    }

    static ObjectNode execBody(String cmd, ExecOptions o) {
        ObjectNode n = JSON.createObjectNode();
        n.put("cmd", cmd);
        if (o.timeoutMs() != null) n.put("timeout_ms", o.timeoutMs());
        if (o.rawOutput() != null) n.put("raw_output", o.rawOutput());
        if (!o.env().isEmpty()) n.set("env", map(o.env()));
        if (o.cwd() != null) n.put("cwd", o.cwd());
        if (o.encoding() != null) n.put("encoding", o.encoding().wireName());
        if (o.chunkSize() != null) n.put("chunk_size", o.chunkSize());
        if (o.stdin()) n.put("stdin", true);
        if (o.pty()) n.put("pty", true);
        if (o.cols() != null) n.put("cols", o.cols());
        if (o.rows() != null) n.put("rows", o.rows());
        return n;
    }

    /** A streaming exec's body: as {@link #execBody}, with the detach grace that lets the stream resume. */
    static ObjectNode streamBody(String cmd, ExecOptions o, long detachGraceMs) {
        ObjectNode n = execBody(cmd, o);
        n.put("detach_grace_ms", detachGraceMs);
        return n;
    }

    static ObjectNode backgroundBody(String cmd, ExecOptions o) {
        ObjectNode n = execBody(cmd, o);
        n.put("background", true);
        return n;
    }

    static ObjectNode stdinBody(String text, byte[] bytes, int offset, int length, boolean close) {
        ObjectNode n = JSON.createObjectNode();
        if (text != null) {
            n.put("data", text);
        } else if (bytes != null) {
            n.put("data", java.util.Base64.getEncoder().encodeToString(
                    java.util.Arrays.copyOfRange(bytes, offset, offset + length)));
            n.put("encoding", "base64");
        }
        if (close) n.put("close", true);
        return n;
    }

    static ExecInfo execInfo(JsonNode n) {
        String id = text(n, "exec_id");
        if (id == null) throw unexpected("an exec with an exec_id", n);
        JsonNode exit = n.get("exit_code");
        return new ExecInfo(id, text(n, "cmd"), n.path("cmd_truncated").asBoolean(),
                ExecState.fromWire(text(n, "state")), exit == null || !exit.isNumber() ? null : exit.asInt(),
                text(n, "cwd"), instant(n, "created_at"), instant(n, "started_at"), instant(n, "finished_at"),
                longOrNull(n, "duration_ms"), longOrNull(n, "timeout_ms"), n.path("stdout_bytes").asLong(),
                n.path("stderr_bytes").asLong(), n.path("background").asBoolean(), n.path("pty").asBoolean(),
                n.path("state_lost").asBoolean());
    }

    static List<ExecInfo> execList(JsonNode n) {
        if (!n.isArray()) throw unexpected("a JSON array of execs", n);
        List<ExecInfo> out = new ArrayList<>(n.size());
        for (JsonNode e : n) out.add(execInfo(e));
        return List.copyOf(out);
    }

    static FileEntry fileEntry(JsonNode n) {
        String path = text(n, "path");
        if (path == null) throw unexpected("a file entry with a path", n);
        return new FileEntry(text(n, "name"), path, FileType.fromWire(text(n, "type")), n.path("size").asLong(),
                instant(n, "modified_at"), text(n, "mode"));
    }

    static List<FileEntry> fileList(JsonNode n) {
        JsonNode entries = n.get("entries");
        if (entries == null || !entries.isArray()) throw unexpected("a directory listing with entries", n);
        List<FileEntry> out = new ArrayList<>(entries.size());
        for (JsonNode e : entries) out.add(fileEntry(e));
        return List.copyOf(out);
    }

    static WriteResult fileWritten(JsonNode n) {
        String path = text(n, "path");
        if (path == null) throw unexpected("a written file's path", n);
        return new WriteResult(path, n.path("size").asLong());
    }

    static List<WorkspaceInfo> workspaceList(JsonNode n) {
        JsonNode list = n.get("workspaces");
        if (list == null || !list.isArray()) throw unexpected("a list of workspaces", n);
        List<WorkspaceInfo> out = new ArrayList<>(list.size());
        for (JsonNode w : list) {
            JsonNode sessions = w.get("sessions");
            out.add(new WorkspaceInfo(text(w, "id"), instant(w, "created_at"),
                    sessions != null && sessions.isNumber() ? sessions.asInt() : null));
        }
        return List.copyOf(out);
    }

    private static ObjectNode map(Map<String, String> m) {
        ObjectNode n = JSON.createObjectNode();
        m.forEach(n::put);
        return n;
    }

    static SessionInfo sessionInfo(JsonNode n) {
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode l = n.path("labels");
        l.properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return new SessionInfo(text(n, "id"), text(n, "image"), SessionStatus.fromWire(text(n, "status")),
                text(n, "cwd"), text(n, "workspace_id"), instant(n, "created_at"), instant(n, "expires_at"),
                instant(n, "last_activity"), labels);
    }

    static List<SessionInfo> sessionList(JsonNode n) {
        if (!n.isArray()) throw unexpected("a JSON array of sessions", n);
        List<SessionInfo> out = new ArrayList<>(n.size());
        for (JsonNode s : n) out.add(sessionInfo(s));
        return List.copyOf(out);
    }

    static SessionStats stats(JsonNode n) {
        return new SessionStats(n.path("memory_bytes").asLong(), n.path("memory_limit").asLong(),
                n.path("cpu_usage_usec").asLong(), longOrNull(n, "pids"));
    }

    static ExecResult execResult(JsonNode n) {
        if (!n.has("exit_code")) throw unexpected("an exec result with exit_code", n);
        return new ExecResult(n.path("output").asText(""), n.path("exit_code").asInt(), text(n, "cwd"),
                n.path("duration_ms").asLong(), n.path("truncated").asBoolean(), n.path("stdout").asText(""),
                n.path("stderr").asText(""), text(n, "exec_id"), n.path("state_lost").asBoolean(),
                "base64".equals(text(n, "encoding")) ? Encoding.BASE64 : Encoding.UTF8,
                n.path("omitted_bytes").asLong());
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static Long longOrNull(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isNumber() ? null : v.asLong();
    }

    private static Instant instant(JsonNode n, String field) {
        String s = text(n, field);
        if (s == null) return null;
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw unexpected("an RFC 3339 time in " + field, n);
        }
    }

    static SandkastenException unexpected(String expected, JsonNode got) {
        String shown = String.valueOf(got);
        if (shown.length() > 200) shown = shown.substring(0, 200) + "...";
        return new SandkastenException("expected " + expected + " from the daemon but got " + shown
                + "; is the base URL pointing at a Sandkasten daemon?");
    }
}
