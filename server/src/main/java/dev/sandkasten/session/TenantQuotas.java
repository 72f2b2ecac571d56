package dev.sandkasten.session;

import dev.sandkasten.tenant.Tenant;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts each tenant's live sessions and running or queued commands against its quotas. A
 * command counts against the tenant that owns its session, whoever started it, so an admin
 * acting on a tenant's session cannot push it past its limit unnoticed. Quotas come from the
 * configuration and do not change while the daemon runs.
 */
final class TenantQuotas {
    private final Map<String, Tenant> limits = new HashMap<>();
    private final Map<String, Integer> sessions = new HashMap<>();
    private final Map<String, Integer> execs = new HashMap<>();

    synchronized void acquireSession(Tenant tenant) {
        limits.putIfAbsent(tenant.name(), tenant);
        int n = sessions.getOrDefault(tenant.name(), 0);
        if (n >= tenant.maxSessions()) {
            throw new SessionException(SessionException.Reason.QUOTA, "tenant '" + tenant.name() + "' has "
                    + n + " live sessions, its limit; destroy one or retry later");
        }
        sessions.put(tenant.name(), n + 1);
    }

    synchronized void releaseSession(String tenant) {
        sessions.computeIfPresent(tenant, (k, n) -> n > 1 ? n - 1 : null);
    }

    synchronized void acquireExec(String tenant) {
        Tenant t = limits.get(tenant);
        int n = execs.getOrDefault(tenant, 0);
        if (t != null && n >= t.maxConcurrentExecs()) {
            throw new SessionException(SessionException.Reason.QUOTA, "tenant '" + tenant + "' has " + n
                    + " commands running or queued, its limit; wait for one to end or cancel one");
        }
        execs.put(tenant, n + 1);
    }

    synchronized void releaseExec(String tenant) {
        execs.computeIfPresent(tenant, (k, n) -> n > 1 ? n - 1 : null);
    }
}
