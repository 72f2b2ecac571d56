package dev.sandkasten.config;

/**
 * The disk quota of sessions and workspaces ({@code workspace_quota}) and the size of the volume
 * they all live in ({@code disk_volume_size}).
 *
 * @param bytes the most each session, and each persistent workspace, may hold; 0 for no quota
 * @param volumeBytes the size of a new volume; 0 for half the data directory's free space
 * @param required true if either was configured: then a host that cannot give quotas stops the
 *     daemon from starting, while with the defaults it only warns and runs without
 */
public record DiskQuota(long bytes, long volumeBytes, boolean required) {
    public boolean enabled() {
        return bytes > 0;
    }
}
