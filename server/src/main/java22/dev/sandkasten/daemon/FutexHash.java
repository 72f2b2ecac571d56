package dev.sandkasten.daemon;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Sizes the daemon's futex hash table for its thread count (see the Java 21 version in
 * {@code src/main/java} for why). This one calls {@code prctl(PR_FUTEX_HASH)} through the foreign
 * function API; the jar's manifest enables native access for it.
 */
final class FutexHash {
    private static final int PR_FUTEX_HASH = 78;
    private static final long PR_FUTEX_HASH_SET_SLOTS = 1;
    private static final long PR_FUTEX_HASH_GET_SLOTS = 2;
    private static final int EINVAL = 22;

    private FutexHash() {}

    /** Asks the kernel for a private futex hash of {@code buckets} (a power of two) buckets. */
    static FutexHashSize resize(int buckets) {
        try {
            Linker linker = Linker.nativeLinker();
            MemorySegment symbol = linker.defaultLookup().find("prctl").orElse(null);
            if (symbol == null) return new FutexHashSize(0, "left at the kernel's size: the C library has no prctl");
            // prctl is variadic: the arguments after the option are passed as such.
            MethodHandle prctl = linker.downcallHandle(symbol,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                    Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
            StructLayout stateLayout = Linker.Option.captureStateLayout();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(stateLayout);
                int before = (int) prctl.invokeExact(state, PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0L, 0L, 0L);
                int rc = (int) prctl.invokeExact(state, PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, (long) buckets, 0L, 0L);
                if (rc != 0) {
                    int errno = state.get(ValueLayout.JAVA_INT,
                            stateLayout.byteOffset(MemoryLayout.PathElement.groupElement("errno")));
                    return new FutexHashSize(0, errno == EINVAL
                            ? "left as it is: this kernel has no private futex hash (it came with Linux 6.16)"
                            : "left at the kernel's size: prctl(PR_FUTEX_HASH) failed with errno " + errno);
                }
                int now = (int) prctl.invokeExact(state, PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0L, 0L, 0L);
                return new FutexHashSize(now, now + " buckets (the kernel's default gave " + before + ")");
            }
        } catch (IllegalCallerException e) {
            return new FutexHashSize(0, "left at the kernel's size: native access is not enabled for the daemon "
                    + "(run it with java -jar, or add --enable-native-access=ALL-UNNAMED)");
        } catch (Error e) {
            throw e;
        } catch (Throwable e) {
            // What a downcall may throw besides: the daemon works without the bigger table.
            return new FutexHashSize(0, "left at the kernel's size: " + e);
        }
    }
}
