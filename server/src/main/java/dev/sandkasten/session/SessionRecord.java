package dev.sandkasten.session;

import dev.sandkasten.tenant.Tenant;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What the daemon writes into a session's directory when the session starts ({@code session.properties}),
 * so that after a crash or restart it can still answer for the session: a client asking gets
 * status {@code lost} (and 410 on use) rather than a bare 404. Only identity and labels are
 * kept; everything else died with the sandbox.
 */
final class SessionRecord {
    static final String FILE = "session.properties";
    private static final String LABEL = "label.";

    private SessionRecord() {}

    static void save(Path sessionDir, SessionView v) throws IOException {
        Properties p = new Properties();
        p.setProperty("id", v.id());
        p.setProperty("tenant", v.tenant());
        p.setProperty("image", v.image());
        p.setProperty("created_at", v.createdAt().toString());
        if (v.workspaceId() != null) p.setProperty("workspace_id", v.workspaceId());
        v.labels().forEach((k, val) -> p.setProperty(LABEL + k, val));
        try (OutputStream out = Files.newOutputStream(sessionDir.resolve(FILE))) {
            p.store(out, "sandkasten session record");
        }
    }

    /** The session as it is after its sandbox died with the daemon; empty if there is no readable record. */
    static Optional<SessionView> loadAsLost(Path sessionDir, Instant now) {
        Path file = sessionDir.resolve(FILE);
        if (!Files.isRegularFile(file)) return Optional.empty();
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            String id = p.getProperty("id");
            if (id == null || !id.equals(sessionDir.getFileName().toString())) return Optional.empty();
            Map<String, String> labels = new LinkedHashMap<>();
            for (String k : p.stringPropertyNames()) if (k.startsWith(LABEL)) labels.put(k.substring(LABEL.length()), p.getProperty(k));
            // Records written before tenants existed belong to the admin tenant, the only one then.
            return Optional.of(new SessionView(id, p.getProperty("tenant", Tenant.ADMIN), p.getProperty("image", ""), SessionStatus.LOST, "/workspace",
                    p.getProperty("workspace_id"), Instant.parse(p.getProperty("created_at")), now, now, labels));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
