package dev.sandkasten.config;

import dev.sandkasten.sandbox.NetworkMode;
import dev.sandkasten.sandbox.SeccompProfile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The daemon's settings, validated. See {@link ConfigLoader} for where each comes from and
 * {@code docs/configuration.md} for the full table.
 */
public record Config(
        String listenHost,
        int listenPort,
        Path dataDir,
        Optional<Path> runtimeDir,
        Optional<String> apiKey,
        String defaultImage,
        Duration sessionTtl,
        Duration sessionMaxTtl,
        int maxSessions,
        Duration execTimeout,
        Duration execMaxTimeout,
        int maxOutputBytes,
        int chunkSize,
        int maxChunkSize,
        long outputWindowBytes,
        long execLogMaxBytes,
        Duration heartbeat,
        Duration disconnectGrace,
        Duration maxDetachGrace,
        Duration killGrace,
        int execHistory,
        long memoryLimitBytes,
        int pidsLimit,
        double cpuLimit,
        int sandboxUid,
        String sandboxHostname,
        SeccompProfile seccompProfile,
        java.util.Set<NetworkMode> networkModes,
        java.util.Set<String> corsOrigins,
        int openFilesLimit,
        long fileSizeLimitBytes,
        long tmpfsSizeBytes,
        long maxBodyBytes,
        Duration reaperInterval,
        long maxFileBytes,
        long maxReadBytes,
        java.util.List<dev.sandkasten.tenant.TenantKey> tenants,
        java.util.List<String> egressDeny,
        DiskQuota diskQuota,
        int warmPoolSize,
        java.util.List<String> warmPoolImages) {

    /** True if the listen address is only reachable from this machine. */
    public boolean listensOnLoopback() {
        return listenHost.equals("localhost") || listenHost.startsWith("127.") || listenHost.equals("::1")
                || listenHost.equals("[::1]");
    }
}
