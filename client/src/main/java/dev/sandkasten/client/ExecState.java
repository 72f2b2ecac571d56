package dev.sandkasten.client;

/** Where a command is in its life; see {@link ExecInfo#state()}. */
public enum ExecState {
    /** Waiting for the session's earlier commands to finish. */
    QUEUED("queued"),
    /** Running now. */
    RUNNING("running"),
    /** Ran to its end ({@code exit N} included); {@link ExecInfo#exitCode()} says how. */
    EXITED("exited"),
    /** Killed at its timeout. */
    TIMED_OUT("timed_out"),
    /** Killed by a cancel, or because its streaming client went away and did not come back in time. */
    CANCELLED("cancelled"),
    /** Its sandbox died. */
    LOST("lost"),
    /** A state this SDK version does not know yet. */
    UNKNOWN("unknown");

    private final String wireName;

    ExecState(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire, for example {@code "timed_out"}. */
    public String wireName() {
        return wireName;
    }

    /** True once the command has ended, one way or another (not queued, not running). */
    public boolean isFinished() {
        return this != QUEUED && this != RUNNING;
    }

    static ExecState fromWire(String name) {
        for (ExecState s : values()) {
            if (s.wireName.equals(name)) return s;
        }
        return UNKNOWN;
    }
}
