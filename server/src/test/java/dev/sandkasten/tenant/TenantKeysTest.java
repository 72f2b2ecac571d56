package dev.sandkasten.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TenantKeysTest {
    private static TenantKey key(String name, String key) {
        return new TenantKey(new Tenant(name, false, 10, 10), TenantKeys.sha256(key));
    }

    @Test
    void eachKeyFindsItsOwnTenantAndNothingElseMatches() {
        TenantKeys keys = new TenantKeys(List.of(key("a", "key-of-a-0123456789"), key("b", "key-of-b-0123456789")));
        assertThat(keys.authenticate("key-of-a-0123456789")).map(Tenant::name).contains("a");
        assertThat(keys.authenticate("key-of-b-0123456789")).map(Tenant::name).contains("b");
        assertThat(keys.authenticate("key-of-a-012345678")).isEmpty();
        assertThat(keys.authenticate("")).isEmpty();
    }

    @Test
    void duplicateNamesOrKeysAreRefused() {
        assertThatThrownBy(() -> new TenantKeys(List.of(key("a", "k1-0123456789abcdef"), key("a", "k2-0123456789abcdef"))))
                .hasMessageContaining("two tenants are named 'a'");
        assertThatThrownBy(() -> new TenantKeys(List.of(key("a", "same-0123456789abcdef"), key("b", "same-0123456789abcdef"))))
                .hasMessageContaining("has the key of another tenant");
    }

    @Test
    void accessFollowsOwnershipUnlessAdmin() {
        assertThat(new Tenant("a", false, 1, 1).mayAccess("a")).isTrue();
        assertThat(new Tenant("a", false, 1, 1).mayAccess("b")).isFalse();
        assertThat(Tenant.builtInAdmin().mayAccess("b")).isTrue();
        assertThatThrownBy(() -> new Tenant("Bad Name", false, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
