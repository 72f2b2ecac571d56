package dev.sandkasten.client;

/**
 * Resource use of a session's sandbox, read from its cgroup.
 *
 * @param memoryBytes  memory in use, in bytes
 * @param memoryLimit  the session's memory limit, in bytes
 * @param cpuUsageUsec CPU time used so far, in microseconds
 * @param pids         processes and threads alive in the sandbox, or {@code null} when the daemon
 *                     could not count them (as {@code None} in Python and {@code null} in TypeScript)
 */
public record SessionStats(long memoryBytes, long memoryLimit, long cpuUsageUsec, Long pids) {}
