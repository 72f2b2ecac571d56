package dev.sandkasten.cgroup;

/**
 * Resource limits applied to one session's control group.
 *
 * @param memoryBytes hard memory limit in bytes (the OOM killer acts beyond it)
 * @param pids maximum number of processes and threads
 * @param cpus CPU bandwidth in cores, for example {@code 1.0} or {@code 0.5}
 */
public record CgroupLimits(long memoryBytes, int pids, double cpus) {
    public CgroupLimits {
        if (memoryBytes < 16L << 20) throw new IllegalArgumentException("memory limit must be at least 16 MiB");
        if (pids < 8) throw new IllegalArgumentException("pids limit must be at least 8");
        if (cpus < 0.01) throw new IllegalArgumentException("cpu limit must be at least 0.01");
    }

    /** CFS quota in microseconds for the standard 100 ms period. */
    long cpuQuotaMicros() {
        return Math.max(1000L, Math.round(cpus * CFS_PERIOD_MICROS));
    }

    static final long CFS_PERIOD_MICROS = 100_000L;
}
