package dev.sandkasten.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Runs the compiled programs through a small classic-BPF interpreter and checks each verdict. */
class SeccompFilterTest {
    private static final int X86_64 = 0xC000003E;
    private static final int I386 = 0x40000003;
    private static final int ALLOW = 0x7FFF0000;
    private static final int EPERM = 0x00050001;
    private static final int ENOSYS = 0x00050026;

    /** Executes the program on a seccomp_data of (nr, arch, arg0) and returns what it returns. */
    private static int run(byte[] program, int nr, int arch, long arg0) {
        return run(program, nr, arch, arg0, 0);
    }

    private static int run(byte[] program, int nr, int arch, long arg0, long arg1) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, arch).putLong(16, arg0).putLong(24, arg1);
        ByteBuffer p = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        int acc = 0;
        int pc = 0;
        for (int steps = 0; steps < 10_000; steps++) {
            int base = pc * 8;
            int code = p.getShort(base) & 0xFFFF;
            int jt = p.get(base + 2) & 0xFF;
            int jf = p.get(base + 3) & 0xFF;
            int k = p.getInt(base + 4);
            switch (code) {
                case 0x20 -> { acc = data.getInt(k); pc++; }
                case 0x15 -> pc += 1 + (acc == k ? jt : jf);
                case 0x35 -> pc += 1 + (Integer.compareUnsigned(acc, k) >= 0 ? jt : jf);
                case 0x45 -> pc += 1 + ((acc & k) != 0 ? jt : jf);
                case 0x06 -> {
                    return k;
                }
                default -> throw new AssertionError("unexpected opcode " + code);
            }
            assertThat(pc * 8).as("jump inside the program").isLessThan(program.length);
        }
        throw new AssertionError("program did not return");
    }

    @Test
    void defaultDeniesKernelAttackSurfaceAndAllowsTheRest() {
        byte[] f = SeccompFilter.compile(SeccompProfile.DEFAULT);
        assertThat(f.length % 8).isZero();
        for (int nr : new int[] {101, 321, 298, 323, 250, 165, 166, 155, 304, 175, 313, 246, 425, 442}) {
            assertThat(run(f, nr, X86_64, 0)).as("syscall %d", nr).isEqualTo(EPERM);
        }
        for (int nr : new int[] {0, 1, 2, 39, 56, 57, 59, 61, 272, 308, 435}) {
            assertThat(run(f, nr, X86_64, 0)).as("syscall %d", nr).isEqualTo(ALLOW);
        }
        assertThat(run(f, 39, I386, 0)).as("another ABI").isEqualTo(ENOSYS);
        assertThat(run(f, 0x40000000 + 39, X86_64, 0)).as("x32").isEqualTo(ENOSYS);
    }

    @Test
    void strictAlsoDeniesNamespacesButNotPlainClones() {
        byte[] f = SeccompFilter.compile(SeccompProfile.STRICT);
        assertThat(run(f, 272, X86_64, 0)).as("unshare").isEqualTo(EPERM);
        assertThat(run(f, 308, X86_64, 0)).as("setns").isEqualTo(EPERM);
        assertThat(run(f, 435, X86_64, 0)).as("clone3").isEqualTo(ENOSYS);
        assertThat(run(f, 56, X86_64, 0x10000000L)).as("clone(CLONE_NEWUSER)").isEqualTo(EPERM);
        // What fork() and pthread_create() pass: SIGCHLD, or the thread flags.
        assertThat(run(f, 56, X86_64, 17)).as("fork-like clone").isEqualTo(ALLOW);
        assertThat(run(f, 56, X86_64, 0x3D0F00)).as("thread clone").isEqualTo(ALLOW);
        assertThat(run(f, 101, X86_64, 0)).as("ptrace").isEqualTo(EPERM);
        assertThat(run(f, 1, X86_64, 0)).as("write").isEqualTo(ALLOW);
    }

    @Test
    void everyProfileDeniesCreatingBtrfsSubvolumesButNoOtherIoctl() {
        for (SeccompProfile profile : new SeccompProfile[] {SeccompProfile.DEFAULT, SeccompProfile.STRICT}) {
            byte[] f = SeccompFilter.compile(profile);
            for (long request : new long[] {0x50009401L, 0x5000940eL, 0x50009417L, 0x50009418L, 0xFFFFFFFF5000940eL}) {
                assertThat(run(f, 16, X86_64, 3, request)).as("%s ioctl %x", profile, request).isEqualTo(EPERM);
            }
            // TCGETS, FIONREAD, FICLONE (cp --reflink): allowed.
            for (long request : new long[] {0x5401L, 0x541BL, 0x40049409L}) {
                assertThat(run(f, 16, X86_64, 3, request)).as("%s ioctl %x", profile, request).isEqualTo(ALLOW);
            }
            assertThat(run(f, 101, X86_64, 0, 0x5000940eL)).as("ptrace after the ioctl check").isEqualTo(EPERM);
        }
    }

    @Test
    void noneHasNoProgram() {
        assertThatThrownBy(() -> SeccompFilter.compile(SeccompProfile.NONE)).isInstanceOf(IllegalArgumentException.class);
    }
}
