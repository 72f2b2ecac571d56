package dev.sandkasten.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A workspace's disk quota: a sparse file holding an ext4 file system of the quota's size,
 * loop-mounted over the workspace directory. The kernel then enforces the size (a full
 * workspace fails writes with ENOSPC, inside the sandbox and through the file routes alike), it
 * costs disk only for what is written, and it needs nothing of the host's file system (no
 * project quotas, no special mount options). The price is time: making the file system takes
 * ~150 ms and mounting it ~100 ms, so this is opt-in ({@code workspace_quota}).
 *
 * <p>The file system's root belongs to the sandbox uid, mounted {@code nosuid,nodev}.
 */
public final class QuotaDisk {
    private static final Logger log = LoggerFactory.getLogger(QuotaDisk.class);

    private final long bytes;
    private final int ownerUid;

    /** @param bytes the size of each workspace's file system; @param ownerUid the host uid that owns its root */
    public QuotaDisk(long bytes, int ownerUid) {
        this.bytes = bytes;
        this.ownerUid = ownerUid;
    }

    /**
     * Mounts {@code image} (made first if missing) at {@code mountPoint}, an existing empty
     * directory. Nothing to do if something is mounted there already.
     */
    public void mount(Path image, Path mountPoint) throws IOException {
        if (MountTable.isMountPoint(mountPoint)) return;
        boolean made = !Files.exists(image);
        if (made) {
            Path tmp = image.resolveSibling(image.getFileName() + ".new");
            Files.deleteIfExists(tmp);
            try (var f = new java.io.RandomAccessFile(tmp.toFile(), "rw")) {
                f.setLength(bytes);
            }
            run("mkfs.ext4", "-q", "-F", "-m", "0", "-E",
                    "lazy_itable_init=1,lazy_journal_init=1,root_owner=" + ownerUid + ":" + ownerUid, tmp.toString());
            Files.move(tmp, image, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        run("mount", "-o", "loop,nosuid,nodev,noatime", image.toString(), mountPoint.toString());
        // mkfs leaves an empty root-owned lost+found, which only confuses a workspace's user.
        Path lostFound = mountPoint.resolve("lost+found");
        if (made && Files.isDirectory(lostFound, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var entries = Files.list(lostFound)) {
                if (entries.findAny().isEmpty()) Files.delete(lostFound);
            }
        }
    }

    /** Unmounts whatever is mounted at {@code mountPoint}, if anything; a failure is logged. */
    public static void unmount(Path mountPoint) {
        if (!MountTable.isMountPoint(mountPoint)) return;
        try {
            MountTable.unmount(mountPoint);
        } catch (IOException e) {
            log.warn("could not unmount {}: {}", mountPoint, e.getMessage());
        }
    }

    /** Unmounts every mount at or below {@code dir} (those left by an earlier run); failures are logged. */
    public static void unmountAllBelow(Path dir) {
        try {
            MountTable.unmountBelow(dir);
        } catch (IOException e) {
            log.warn("{}", e.getMessage());
        }
    }

    private static void run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(cmd[0] + " did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + cmd[0], e);
        }
        if (p.exitValue() != 0) throw new IOException(cmd[0] + " failed: " + out);
    }
}
