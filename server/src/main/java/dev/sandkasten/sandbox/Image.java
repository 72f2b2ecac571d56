package dev.sandkasten.sandbox;

import java.util.List;

/**
 * A root file system a session can start from. Both built-in images are served from the host's
 * own system directories, mounted read-only; {@code requiredPrograms} are checked at start so a
 * missing interpreter fails loudly instead of inside a user's command. {@code extraPath} is
 * appended to the sandbox's PATH (after the system directories, so a real program always wins).
 */
public record Image(String name, String description, List<String> requiredPrograms, List<String> extraPath) {
    public Image {
        requiredPrograms = List.copyOf(requiredPrograms);
        extraPath = List.copyOf(extraPath);
    }
}
