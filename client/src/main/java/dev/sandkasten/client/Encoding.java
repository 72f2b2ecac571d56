package dev.sandkasten.client;

/**
 * How a command's output is carried in text fields. {@link #UTF8} decodes it as text (invalid
 * bytes become U+FFFD); {@link #BASE64} keeps it byte-exact, to be decoded with
 * {@link java.util.Base64#getDecoder()}.
 */
public enum Encoding {
    /** Text; the default. */
    UTF8("utf8"),
    /** Byte-exact output, base64-encoded. */
    BASE64("base64");

    private final String wireName;

    Encoding(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire. */
    public String wireName() {
        return wireName;
    }
}
