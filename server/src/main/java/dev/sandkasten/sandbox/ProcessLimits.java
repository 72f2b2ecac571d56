package dev.sandkasten.sandbox;

/**
 * Limits every sandbox gets besides its cgroup limits: resource limits inherited by each of its
 * processes (set as both soft and hard limits before the sandbox drops privileges, so nothing
 * inside can raise them), and the size of its in-memory file systems.
 *
 * @param openFiles RLIMIT_NOFILE: open descriptors per process
 * @param fileSizeBytes RLIMIT_FSIZE: the largest file a process may write (beyond it, SIGXFSZ or EFBIG)
 * @param tmpfsBytes size of each of /tmp, /var and /dev/shm (their pages also count against the memory limit)
 */
public record ProcessLimits(int openFiles, long fileSizeBytes, long tmpfsBytes) {
    public ProcessLimits {
        if (openFiles < 64) throw new IllegalArgumentException("open files limit must be at least 64");
        if (fileSizeBytes < 1 << 20) throw new IllegalArgumentException("file size limit must be at least 1 MiB");
        if (tmpfsBytes < 1 << 20) throw new IllegalArgumentException("tmpfs size must be at least 1 MiB");
    }
}
