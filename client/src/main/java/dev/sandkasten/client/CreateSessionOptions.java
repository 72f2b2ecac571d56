package dev.sandkasten.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What to create a session with. Every field is optional; a {@code null} field leaves the choice
 * to the daemon (image {@code python}, its configured lease). Build one with {@link #builder()}:
 * <pre>{@code
 * CreateSessionOptions.builder().image("base").ttlSeconds(600).label("team", "search").build()
 * }</pre>
 *
 * @param image      {@code "base"} or {@code "python"}
 * @param ttlSeconds lease in seconds; each command extends it by this much
 * @param env        variables exported in the session's shell
 * @param labels     free-form labels, returned with the session's info
 * @param network     network mode: {@code "none"} (loopback only), or {@code "egress"} where the daemon allows it
 * @param workspaceId a persistent workspace to mount at {@code /workspace} (created if it does not
 *                    exist yet), so files outlive the session; see {@link Workspace}
 */
public record CreateSessionOptions(String image, Integer ttlSeconds, Map<String, String> env,
                                   Map<String, String> labels, String network, String workspaceId) {
    /** No options: the daemon's defaults. */
    public static final CreateSessionOptions DEFAULTS = new CreateSessionOptions(null, null, null, null, null, null);

    public CreateSessionOptions {
        env = env == null ? Map.of() : Map.copyOf(env);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        if (ttlSeconds != null && ttlSeconds < 1) throw new IllegalArgumentException("ttlSeconds must be at least 1");
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link CreateSessionOptions}; every setter is optional. */
    public static final class Builder {
        private String image;
        private Integer ttlSeconds;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> labels = new LinkedHashMap<>();
        private String network;
        private String workspaceId;

        private Builder() {}

        /** The image, {@code "base"} or {@code "python"}. */
        public Builder image(String image) {
            this.image = Objects.requireNonNull(image, "image");
            return this;
        }

        /** The lease in seconds (at least 1, at most the daemon's maximum). */
        public Builder ttlSeconds(int ttlSeconds) {
            this.ttlSeconds = ttlSeconds;
            return this;
        }

        /** Adds variables exported in the session's shell. */
        public Builder env(Map<String, String> env) {
            this.env.putAll(env);
            return this;
        }

        /** Adds one variable exported in the session's shell. */
        public Builder env(String name, String value) {
            this.env.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Adds labels. */
        public Builder labels(Map<String, String> labels) {
            this.labels.putAll(labels);
            return this;
        }

        /** Adds one label. */
        public Builder label(String name, String value) {
            this.labels.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** The network mode, for example {@code "none"}. */
        public Builder network(String network) {
            this.network = Objects.requireNonNull(network, "network");
            return this;
        }

        /**
         * A persistent workspace to mount at {@code /workspace}, created if it does not exist yet:
         * its files outlive the session, and later sessions with the same id see them.
         */
        public Builder workspaceId(String workspaceId) {
            this.workspaceId = Objects.requireNonNull(workspaceId, "workspaceId");
            return this;
        }

        public CreateSessionOptions build() {
            return new CreateSessionOptions(image, ttlSeconds, env, labels, network, workspaceId);
        }
    }
}
