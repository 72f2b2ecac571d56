package dev.sandkasten.client;

/**
 * {@code 404}: no such session ({@code SESSION_NOT_FOUND}), or no such route or running command
 * ({@code NOT_FOUND}). The daemon remembers ended sessions for an hour; after that, and for ids
 * it never issued, it answers 404.
 */
public class NotFoundException extends ApiException {
    public NotFoundException(int status, String code, String message) {
        super(status, code, message);
    }
}
