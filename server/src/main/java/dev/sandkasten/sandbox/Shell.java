package dev.sandkasten.sandbox;

/** Quoting for POSIX shell and for bash, the two shells the daemon writes command lines for. */
public final class Shell {
    private Shell() {}

    /** Single-quotes a string for any POSIX shell. */
    public static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
