package dev.sandkasten.tenant;

import java.util.regex.Pattern;

/**
 * A tenant: the owner of sessions and workspaces, with its quotas. The key of the daemon's own
 * {@code api_key} (configured or generated) belongs to the built-in admin tenant {@value #ADMIN}.
 *
 * @param name unique name; sessions and workspaces are recorded as owned by it
 * @param admin sees and may act on every tenant's sessions and workspaces
 * @param maxSessions live sessions at once (the daemon-wide {@code max_sessions} applies too)
 * @param maxConcurrentExecs commands running or queued at once across the tenant's sessions
 */
public record Tenant(String name, boolean admin, int maxSessions, int maxConcurrentExecs) {
    public static final String ADMIN = "admin";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

    public Tenant {
        if (!validName(name)) throw new IllegalArgumentException("invalid tenant name '" + name + "'");
        if (maxSessions < 1 || maxConcurrentExecs < 1) throw new IllegalArgumentException("quotas must be at least 1");
    }

    /** The admin tenant of the daemon's own key, with no quotas of its own. */
    public static Tenant builtInAdmin() {
        return new Tenant(ADMIN, true, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Whether this tenant may see and act on something owned by {@code owner}. */
    public boolean mayAccess(String owner) {
        return admin || name.equals(owner);
    }
}
