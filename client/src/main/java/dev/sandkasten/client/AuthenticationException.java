package dev.sandkasten.client;

/**
 * {@code 401 UNAUTHORIZED}: the API key is missing or wrong. Pass the daemon's key to
 * {@link SandboxClient.Builder#apiKey(String)} or set {@code SANDKASTEN_API_KEY}.
 */
public class AuthenticationException extends ApiException {
    public AuthenticationException(int status, String code, String message) {
        super(status, code, message);
    }
}
