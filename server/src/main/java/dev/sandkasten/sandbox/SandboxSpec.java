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
 */
public record SandboxSpec(String name, Image image, Map<String, String> env, CgroupLimits limits, NetworkMode network) {
    public SandboxSpec {
        env = Map.copyOf(env);
    }
}
