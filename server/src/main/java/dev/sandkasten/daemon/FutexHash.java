package dev.sandkasten.daemon;

/**
 * Sizes the daemon's futex hash table for its thread count. Since Linux 6.16 a multi-threaded
 * process gets a hash of its own with 4 buckets per CPU, at least 16, and keeps it small: on a
 * two-core host every parked platform thread of a daemon with 1,000 sessions lands in one of 16
 * chains, and every wake-up walks one (a futex round trip between two threads went from 11 to 39
 * µs beside 3,000 parked threads, and futex_wake was 17% of the daemon's CPU while 1,000 streams
 * ran). Only Java 22 and newer can make the system call, with the foreign function API; this is
 * the Java 21 version, which reports that, and {@code src/main/java22} holds the one that acts
 * (the jar is multi-release).
 */
final class FutexHash {
    private FutexHash() {}

    /** Asks the kernel for a private futex hash of {@code buckets} (a power of two) buckets. */
    static FutexHashSize resize(int buckets) {
        return new FutexHashSize(0, "left at the kernel's size: setting it needs Java 22 or newer (this is Java "
                + Runtime.version().feature() + ")");
    }
}
