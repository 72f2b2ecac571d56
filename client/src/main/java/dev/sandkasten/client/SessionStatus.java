package dev.sandkasten.client;

/**
 * Where a session is in its life. Only {@link #RUNNING} sessions accept commands; the others are
 * remembered by the daemon for an hour so a client can find out what happened.
 */
public enum SessionStatus {
    /** Accepting commands. */
    RUNNING("running"),
    /** Its lease ran out and the daemon destroyed it. */
    EXPIRED("expired"),
    /** Destroyed on request. */
    DESTROYED("destroyed"),
    /** Its sandbox died (killed from outside, or out of memory). */
    LOST("lost"),
    /** A status this SDK version does not know yet. */
    UNKNOWN("unknown");

    private final String wireName;

    SessionStatus(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire, for example {@code "running"}. */
    public String wireName() {
        return wireName;
    }

    static SessionStatus fromWire(String name) {
        for (SessionStatus s : values()) {
            if (s.wireName.equals(name)) return s;
        }
        return UNKNOWN;
    }
}
