package dev.sandkasten.config;

import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes in bytes as people write them in the configuration and on the command line:
 * {@code 1048576}, {@code 512m}, {@code 1GiB}, {@code 2 TB}. Every unit is a binary multiple
 * (a {@code k} is 1024), as the limits these sizes set are counted by the kernel in pages.
 */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(?i)\\s*(\\d{1,19})\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\\s*");

    private ByteSize() {}

    /** The size {@code text} stands for, or empty if it is not a size or does not fit in a long. */
    public static OptionalLong parse(String text) {
        if (text == null) return OptionalLong.empty();
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) return OptionalLong.empty();
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // 19 digits beyond Long.MAX_VALUE
        }
        int shift = switch (m.group(2) == null ? 'b' : m.group(2).toLowerCase(Locale.ROOT).charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) return OptionalLong.empty();
        return OptionalLong.of(n << shift);
    }
}
