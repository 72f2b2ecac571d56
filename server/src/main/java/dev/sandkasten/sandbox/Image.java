package dev.sandkasten.sandbox;

import java.util.List;

/**
 * A root file system a session can start from. Both built-in images are served from the host's
 * own system directories, mounted read-only; {@code requiredPrograms} are checked at start so a
 * missing interpreter fails loudly instead of inside a user's command.
 */
public record Image(String name, String description, List<String> requiredPrograms) {}
