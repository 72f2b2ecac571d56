package dev.sandkasten.sandbox;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A root file system a session can start from.
 *
 * <p>The built-in images ({@link Kind#BUILT_IN}) are served from the host's own system
 * directories, mounted read-only; {@code requiredPrograms} are checked at start so a missing
 * interpreter fails loudly instead of inside a user's command, and {@code extraPath} is appended
 * to the sandbox's PATH (after the system directories, so a real program always wins).
 *
 * <p>Built and imported images have a {@code rootfs} of their own under the data directory; a
 * session sees it through a copy-on-write overlay, runs as root of its user namespace (host uid
 * {@code sandbox_uid}, no capabilities), and starts with the image's {@code env} and
 * {@code workingDir}.
 *
 * @param rootfs the image's root directory on the host; empty for the built-in images
 * @param env variables the image sets (Docker's {@code Env}), before the session's own
 * @param workingDir where the session's shell starts (Docker's {@code WorkingDir}); empty for /workspace
 */
public record Image(String name, String description, Kind kind, List<String> requiredPrograms, List<String> extraPath,
                    Optional<Path> rootfs, Map<String, String> env, Optional<String> workingDir) {
    /** Where an image comes from. */
    public enum Kind {
        BUILT_IN("built-in"), BUILT("built"), IMPORTED("imported");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    public Image {
        requiredPrograms = List.copyOf(requiredPrograms);
        extraPath = List.copyOf(extraPath);
        // Order matters to nobody, but a stable order keeps bubblewrap's command line reproducible.
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        if (rootfs.isEmpty() != (kind == Kind.BUILT_IN)) {
            throw new IllegalArgumentException("only built and imported images have a root file system of their own");
        }
    }

    /** A built-in image served from the host's system directories. */
    public Image(String name, String description, List<String> requiredPrograms, List<String> extraPath) {
        this(name, description, Kind.BUILT_IN, requiredPrograms, extraPath, Optional.empty(), Map.of(), Optional.empty());
    }

    /** The directory the session's shell starts in. */
    public String startDir() {
        return workingDir.orElse("/workspace");
    }
}
