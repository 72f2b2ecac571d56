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
final class ApiKeys {
    private ApiKeys() {}

    /** A key and whether it was just generated (and so must be shown once). */
    record Resolved(String key, boolean generated, Path file) {}

    static Resolved resolve(Optional<String> configured, Path dataDir) {
        if (configured.isPresent()) return new Resolved(configured.get(), false, null);
        Path file = dataDir.resolve("api-key");
        try {
            if (Files.exists(file)) {
                String key = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (key.length() >= 16) return new Resolved(key, false, file);
            }
            byte[] b = new byte[32];
            new SecureRandom().nextBytes(b);
            String key = "sk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
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
