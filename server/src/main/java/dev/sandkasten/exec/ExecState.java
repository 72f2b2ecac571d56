package dev.sandkasten.exec;

/** Where a command is in its life. A closed set; the wire names are part of the API. */
public enum ExecState {
    QUEUED("queued"),
    RUNNING("running"),
    EXITED("exited"),
    TIMED_OUT("timed_out"),
    CANCELLED("cancelled"),
    LOST("lost");

    private final String wireName;

    ExecState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** True once the command has ended, however it ended. */
    public boolean ended() {
        return this != QUEUED && this != RUNNING;
    }

    static ExecState of(ExecOutcome outcome) {
        return switch (outcome) {
            case ExecOutcome.Completed c -> EXITED;
            case ExecOutcome.TimedOut t -> TIMED_OUT;
            case ExecOutcome.Cancelled c -> CANCELLED;
            case ExecOutcome.SandboxLost l -> LOST;
        };
    }
}
