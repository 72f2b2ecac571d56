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
 */
public record SessionSpec(Optional<String> image, Optional<Duration> ttl, Map<String, String> env,
                          Map<String, String> labels, Optional<String> network) {
    public SessionSpec {
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
    }
}
