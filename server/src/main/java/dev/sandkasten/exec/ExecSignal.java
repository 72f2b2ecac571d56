package dev.sandkasten.exec;

import java.util.Locale;
import java.util.Optional;

/** The signals a client may send to a command's process tree. A closed set, by design. */
public enum ExecSignal {
    HUP, INT, QUIT, KILL, USR1, USR2, TERM, CONT, STOP;

    /** {@code SIGINT}, {@code INT}, {@code sigint} and {@code int} all name {@link #INT}. */
    public static Optional<ExecSignal> parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.startsWith("SIG")) n = n.substring(3);
        for (ExecSignal s : values()) if (s.name().equals(n)) return Optional.of(s);
        return Optional.empty();
    }

    /** The conventional name, with the {@code SIG} prefix. */
    public String wireName() {
        return "SIG" + name();
    }
}
