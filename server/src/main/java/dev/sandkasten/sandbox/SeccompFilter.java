package dev.sandkasten.sandbox;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Compiles a {@link SeccompProfile} into the classic-BPF program bubblewrap installs with
 * {@code --seccomp FD} just before it executes the sandbox's first process. Written out here
 * rather than through libseccomp because the program is small, fixed and testable, and the
 * daemon then needs no native library. x86_64 only: other architectures number their system
 * calls differently, and a wrong table would silently deny the wrong calls.
 *
 * <p>Denied calls fail with EPERM, as if the sandbox lacked the privilege, which programs handle
 * (they probe, say, io_uring or user namespaces and fall back). Calls from another ABI (i386 via
 * {@code int 0x80}, x32) are denied as a whole, so the table cannot be bypassed through them.
 */
public final class SeccompFilter {
    // seccomp_data offsets and return values (linux/seccomp.h, linux/audit.h).
    private static final int OFFSET_NR = 0;
    private static final int OFFSET_ARCH = 4;
    private static final int OFFSET_ARG0_LOW = 16;
    private static final int OFFSET_ARG1_LOW = 24;
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final int RET_ALLOW = 0x7FFF0000;
    private static final int RET_ERRNO = 0x00050000;
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;

    // Classic BPF opcodes (linux/filter.h).
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short JSET_K = 0x45;
    private static final short RET_K = 0x06;

    /** x86_64 numbers of the calls every profile denies. */
    private static final int[] DENIED = {
        101, // ptrace
        310, 311, // process_vm_readv, process_vm_writev
        312, // kcmp
        321, // bpf
        298, // perf_event_open
        323, // userfaultfd
        248, 249, 250, // add_key, request_key, keyctl
        246, 320, // kexec_load, kexec_file_load
        175, 313, 176, // init_module, finit_module, delete_module
        165, 166, 155, // mount, umount2, pivot_root
        428, 429, 430, 431, 432, 433, 442, // open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr
        303, 304, // name_to_handle_at, open_by_handle_at
        167, 168, // swapon, swapoff
        169, // reboot
        163, // acct
        103, // syslog
        153, // vhangup
        172, 173, // iopl, ioperm
        179, // quotactl
        212, // lookup_dcookie
        134, // uselib
        159, 164, 227, 305, // adjtimex, settimeofday, clock_settime, clock_adjtime
        425, 426, 427, // io_uring_setup, io_uring_enter, io_uring_register
    };

    private static final int NR_IOCTL = 16;
    /**
     * ioctl requests every profile denies: those creating a btrfs subvolume or snapshot
     * (SNAP_CREATE, SUBVOL_CREATE and their v2s). Inside a {@link DiskVolume} a new subvolume
     * would be outside its parent's quota. The kernel reads the request as 32 bits, so the low
     * half of the register is what counts.
     */
    private static final int[] DENIED_IOCTLS = {0x50009401, 0x5000940e, 0x50009417, 0x50009418};

    /** x86_64 numbers of the calls {@code strict} denies as well. */
    private static final int[] DENIED_STRICT = {
        272, // unshare
        308, // setns
    };
    private static final int NR_CLONE = 56;
    private static final int NR_CLONE3 = 435;
    /** CLONE_NEWTIME | NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
    private static final int CLONE_NEW_NAMESPACES = 0x00000080 | 0x00020000 | 0x02000000 | 0x04000000
            | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

    private SeccompFilter() {}

    /** Whether filters can be built for the machine the daemon runs on. */
    public static boolean supported() {
        String arch = System.getProperty("os.arch");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** The BPF program for {@code profile}, as bubblewrap reads it: an array of struct sock_filter. */
    public static byte[] compile(SeccompProfile profile) {
        if (profile == SeccompProfile.NONE) throw new IllegalArgumentException("the none profile has no filter");
        List<int[]> denied = new ArrayList<>();
        for (int nr : DENIED) denied.add(new int[] {nr});
        boolean strict = profile == SeccompProfile.STRICT;
        if (strict) for (int nr : DENIED_STRICT) denied.add(new int[] {nr});

        Program p = new Program();
        p.add(LD_W_ABS, 0, 0, OFFSET_ARCH);
        p.add(JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
        p.add(RET_K, 0, 0, RET_ERRNO | ENOSYS);
        p.add(LD_W_ABS, 0, 0, OFFSET_NR);
        p.add(JGE_K, 0, 1, X32_SYSCALL_BIT);
        p.add(RET_K, 0, 0, RET_ERRNO | ENOSYS);
        if (strict) {
            // clone3 passes its flags in memory a filter cannot read: answer ENOSYS, and libc
            // falls back to clone, whose flags are in a register.
            p.add(JEQ_K, 0, 1, NR_CLONE3);
            p.add(RET_K, 0, 0, RET_ERRNO | ENOSYS);
            p.add(JEQ_K, 0, 3, NR_CLONE);
            p.add(LD_W_ABS, 0, 0, OFFSET_ARG0_LOW);
            p.add(JSET_K, 0, 1, CLONE_NEW_NAMESPACES);
            p.add(RET_K, 0, 0, RET_ERRNO | EPERM);
            p.add(LD_W_ABS, 0, 0, OFFSET_NR); // the clone check replaced the accumulator
        }
        // ioctl is allowed but for the requests listed: compare those, then answer at once.
        int k = DENIED_IOCTLS.length;
        p.add(JEQ_K, 0, k + 3, NR_IOCTL);
        p.add(LD_W_ABS, 0, 0, OFFSET_ARG1_LOW);
        for (int i = 0; i < k; i++) p.add(JEQ_K, k - i, 0, DENIED_IOCTLS[i]);
        p.add(RET_K, 0, 0, RET_ALLOW);
        p.add(RET_K, 0, 0, RET_ERRNO | EPERM);
        // One comparison per denied call, each jumping forward to the shared EPERM at the end.
        int n = denied.size();
        for (int i = 0; i < n; i++) {
            int toDeny = (n - 1 - i) + 1; // the remaining comparisons, then the allow
            p.add(JEQ_K, toDeny, 0, denied.get(i)[0]);
        }
        p.add(RET_K, 0, 0, RET_ALLOW);
        p.add(RET_K, 0, 0, RET_ERRNO | EPERM);
        return p.bytes();
    }

    /** struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, little-endian as on x86_64. */
    private static final class Program {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void add(short code, int jt, int jf, int k) {
            if (jt > 255 || jf > 255) throw new IllegalStateException("BPF jump too far");
            out.write(code & 0xFF);
            out.write((code >> 8) & 0xFF);
            out.write(jt);
            out.write(jf);
            for (int i = 0; i < 4; i++) out.write((k >>> (8 * i)) & 0xFF);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
