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
        return n;
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
