package dev.sandkasten.daemon;

/**
 * What {@link FutexHash#resize} did: the buckets the daemon's futex hash has now (0 if it was
 * left as it was) and, in words, what happened or why not. A type of its own, not nested, because
 * the jar holds two versions of {@link FutexHash} and both return it.
 */
record FutexHashSize(int buckets, String detail) {
    /** Buckets for a daemon that may hold {@code maxSessions} sessions: about one per thread it may park. */
    static int bucketsFor(int maxSessions) {
        long threads = 8L * Math.max(1, maxSessions);
        return (int) Math.min(1 << 16, Math.max(1024, Long.highestOneBit(threads - 1) << 1));
    }
}
