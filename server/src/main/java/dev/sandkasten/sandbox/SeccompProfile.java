package dev.sandkasten.sandbox;

import java.util.Arrays;
import java.util.Optional;

/**
 * Which system calls a sandbox may not make (see {@link SeccompFilter}). {@code default} denies
 * the calls that attack the kernel or other processes and that no ordinary program needs;
 * {@code strict} also denies creating or entering namespaces; {@code none} installs no filter and
 * leaves only the namespaces, the dropped capabilities and no_new_privs.
 */
public enum SeccompProfile {
    NONE("none"),
    DEFAULT("default"),
    STRICT("strict");

    private final String wireName;

    SeccompProfile(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<SeccompProfile> fromWire(String name) {
        return Arrays.stream(values()).filter(p -> p.wireName.equals(name)).findFirst();
    }
}
