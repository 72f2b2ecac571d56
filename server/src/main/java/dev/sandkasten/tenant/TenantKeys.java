package dev.sandkasten.tenant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the tenant of a presented API key. The key's digest is compared with every tenant's with
 * {@link MessageDigest#isEqual}, without stopping at a match, so the time taken says nothing about
 * which key (or how much of one) matched.
 */
public final class TenantKeys {
    private final List<TenantKey> keys;

    public TenantKeys(List<TenantKey> keys) {
        Set<String> names = new HashSet<>();
        List<byte[]> digests = new ArrayList<>();
        for (TenantKey k : keys) {
            if (!names.add(k.tenant().name())) {
                throw new IllegalArgumentException("two tenants are named '" + k.tenant().name() + "'");
            }
            for (byte[] d : digests) {
                if (MessageDigest.isEqual(d, k.sha256())) {
                    throw new IllegalArgumentException("tenant '" + k.tenant().name() + "' has the key of another tenant");
                }
            }
            digests.add(k.sha256());
        }
        this.keys = List.copyOf(keys);
    }

    public Optional<Tenant> authenticate(String presentedKey) {
        byte[] digest = sha256(presentedKey);
        Tenant found = null;
        for (TenantKey k : keys) {
            if (MessageDigest.isEqual(digest, k.sha256()) && found == null) found = k.tenant();
        }
        return Optional.ofNullable(found);
    }

    public static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
