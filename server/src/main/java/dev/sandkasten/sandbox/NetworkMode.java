package dev.sandkasten.sandbox;

import java.util.Arrays;
import java.util.Optional;

/**
 * How a sandbox reaches the network. Every sandbox has its own network namespace. With
 * {@code none} it holds only a loopback interface. With {@code egress}, user-mode networking
 * (slirp4netns) gives it outbound access: connections leave through the host's stack as
 * ordinary sockets of the slirp process, and the host's loopback (where the daemon listens) is
 * unreachable. There is deliberately no mode that shares the host's network.
 */
public enum NetworkMode {
    NONE("none"),
    EGRESS("egress");

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
