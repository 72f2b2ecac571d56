package dev.sandkasten.tenant;

import java.util.HexFormat;

/** A tenant and the SHA-256 digest of its API key (32 bytes). */
public record TenantKey(Tenant tenant, byte[] sha256) {
    public TenantKey {
        if (sha256.length != 32) throw new IllegalArgumentException("a SHA-256 digest has 32 bytes");
        sha256 = sha256.clone();
    }

    /** Parses a digest written as 64 hex digits, as {@code sandkasten key} prints it. */
    public static byte[] parseDigest(String hex) {
        String h = hex.trim();
        if (!h.matches("[0-9a-fA-F]{64}")) throw new IllegalArgumentException("key_sha256 must be 64 hex digits");
        return HexFormat.of().parseHex(h);
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }
}
