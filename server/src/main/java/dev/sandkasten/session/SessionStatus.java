package dev.sandkasten.session;

/** Life-cycle state of a session, as reported on the wire. */
public enum SessionStatus {
    RUNNING("running"),
    EXPIRED("expired"),
    DESTROYED("destroyed"),
    /** The sandbox died under the session (killed from outside, OOM); the session cannot run commands. */
    LOST("lost");

    private final String wireName;

    SessionStatus(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
