package dev.sandkasten.client;

/**
 * {@code 429 QUOTA_EXCEEDED}: the API key's tenant is at one of its quotas (sessions, or commands
 * running at once); the message names which. Destroy sessions or wait for commands to end; the
 * quotas are set in the daemon's tenants configuration.
 */
public class QuotaExceededException extends ApiException {
    public QuotaExceededException(int status, String code, String message) {
        super(status, code, message);
    }
}
