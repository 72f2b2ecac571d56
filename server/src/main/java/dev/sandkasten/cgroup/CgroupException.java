package dev.sandkasten.cgroup;

/** A cgroup operation failed in a way the caller cannot repair (missing permission, gone hierarchy). */
public final class CgroupException extends RuntimeException {
    public CgroupException(String message, Throwable cause) {
        super(message, cause);
    }

    public CgroupException(String message) {
        super(message);
    }
}
