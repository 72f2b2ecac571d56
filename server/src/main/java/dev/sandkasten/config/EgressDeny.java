package dev.sandkasten.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code egress_deny} setting: IPv4 networks an {@code egress} session may not reach. The
 * word {@code private} stands for the networks that are never the public internet (private,
 * shared and link-local ranges, where cloud metadata services and the local network live);
 * {@code none} denies nothing beyond what is always denied (the host's loopback and addresses).
 */
final class EgressDeny {
    static final List<String> PRIVATE = List.of(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
            "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4");
    private static final Pattern CIDR = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?:/(\\d{1,2}))?");

    private EgressDeny() {}

    static List<String> parse(String value) {
        Set<String> out = new LinkedHashSet<>();
        for (String item : value.split(",")) {
            String t = item.trim();
            if (t.isEmpty() || t.equals("none")) continue;
            if (t.equals("private")) {
                out.addAll(PRIVATE);
                continue;
            }
            out.add(normalise(t));
        }
        return new ArrayList<>(out);
    }

    /** {@code a.b.c.d/n} with the host bits cleared, so the kernel takes it as written. */
    private static String normalise(String cidr) {
        Matcher m = CIDR.matcher(cidr);
        if (!m.matches()) {
            throw new ConfigException("egress_deny lists '" + cidr + "'; expected private, none, or IPv4 networks such as 203.0.113.0/24");
        }
        long addr = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) throw new ConfigException("egress_deny: '" + cidr + "' is not an IPv4 address");
            addr = (addr << 8) | octet;
        }
        int bits = m.group(5) == null ? 32 : Integer.parseInt(m.group(5));
        if (bits > 32) throw new ConfigException("egress_deny: '" + cidr + "' has a prefix longer than 32 bits");
        long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
        addr &= mask;
        return (addr >>> 24) + "." + ((addr >>> 16) & 255) + "." + ((addr >>> 8) & 255) + "." + (addr & 255) + "/" + bits;
    }
}
