package dev.sandkasten.sandbox;

import dev.sandkasten.cgroup.CgroupLimits;
import java.util.Map;

/**
 * What one new sandbox should look like.
 *
 * @param name unique name, used for its directories and control groups
 * @param image the root file system to start from
 * @param env extra environment variables for every command in the session
 * @param limits resource limits of its control group
 * @param network network mode
 * @param workspace host directory to bind at /workspace; empty for a fresh one in the session's directory
 */
public record SandboxSpec(String name, Image image, Map<String, String> env, CgroupLimits limits, NetworkMode network,
                          java.util.Optional<java.nio.file.Path> workspace) {
    public SandboxSpec {
        env = Map.copyOf(env);
    }

    /** A sandbox with a fresh workspace of its own. */
    public SandboxSpec(String name, Image image, Map<String, String> env, CgroupLimits limits, NetworkMode network) {
        this(name, image, env, limits, network, java.util.Optional.empty());
    }
}
