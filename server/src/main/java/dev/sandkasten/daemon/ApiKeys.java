package dev.sandkasten.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * Where the API key comes from: the configuration if it names one, else a key generated on first
 * start and kept in the data directory with mode 0600.
 */
public final class ApiKeys {
    private ApiKeys() {}

    /** A key and whether it was just generated (and so must be shown once). */
    record Resolved(String key, boolean generated, Path file) {}

    /** A new key: 256 random bits, URL-safe. */
    static String generate() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return "sk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * {@code sandkasten key}: prints a new key for a tenant and the {@code key_sha256} line that
     * goes into the config, which never holds the key itself.
     */
    public static void printNewTenantKey(java.io.PrintStream out) {
        String key = generate();
        out.println("key:        " + key + "   (give this to the tenant; it is not stored anywhere)");
        out.println("key_sha256: " + java.util.HexFormat.of().formatHex(dev.sandkasten.tenant.TenantKeys.sha256(key)));
    }

    static Resolved resolve(Optional<String> configured, Path dataDir) {
        if (configured.isPresent()) return new Resolved(configured.get(), false, null);
        Path file = dataDir.resolve("api-key");
        try {
            if (Files.exists(file)) {
                String key = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (key.length() >= 16) return new Resolved(key, false, file);
            }
            String key = generate();
            Path tmp = dataDir.resolve("api-key.tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException e) {
                throw new IOException("api-key.tmp appeared concurrently", e);
            }
            Files.writeString(tmp, key + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return new Resolved(key, true, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the API key file " + file, e);
        }
    }
}
