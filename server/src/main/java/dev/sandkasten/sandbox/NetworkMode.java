package dev.sandkasten.sandbox;

import java.util.Arrays;
import java.util.Optional;

/**
 * How a sandbox reaches the network. Only {@code none} exists yet: the sandbox gets its own
 * network namespace with just a loopback interface. Further modes (egress through a proxy, an
 * allow-list) plug in here and in {@link SandboxLauncher}.
 */
public enum NetworkMode {
    NONE("none");

    private final String wireName;

    NetworkMode(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<NetworkMode> fromWire(String s) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(s)).findFirst();
    }
}
