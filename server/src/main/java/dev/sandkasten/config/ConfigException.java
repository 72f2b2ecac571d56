package dev.sandkasten.config;

/** A setting is missing, malformed or out of range; the message names the key and what is allowed. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
