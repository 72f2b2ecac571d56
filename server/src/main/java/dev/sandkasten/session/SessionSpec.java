package dev.sandkasten.session;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What a client asked for when creating a session; absent values take the daemon's defaults.
 *
 * @param image image name
 * @param ttl lease length, extended by every exec
 * @param env environment for every command
 * @param labels free-form labels echoed back in listings
 * @param network network mode name
 * @param workspaceId persistent workspace to mount at /workspace
 */
public record SessionSpec(Optional<String> image, Optional<Duration> ttl, Map<String, String> env,
                          Map<String, String> labels, Optional<String> network, Optional<String> workspaceId) {
    public SessionSpec {
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
    }

    /** A session with a fresh workspace of its own. */
    public SessionSpec(Optional<String> image, Optional<Duration> ttl, Map<String, String> env,
                       Map<String, String> labels, Optional<String> network) {
        this(image, ttl, env, labels, network, Optional.empty());
    }
}
