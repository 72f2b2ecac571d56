package dev.sandkasten.cgroup;

/** A point-in-time reading of one session's resource use. */
public record CgroupStats(long memoryBytes, long memoryLimit, long cpuUsageMicros, long pids) {}
