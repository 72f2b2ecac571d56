package dev.sandkasten.sandbox;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk sessions and workspaces write to, with a quota on each: one btrfs file system in a
 * sparse image file ({@code <data dir>/volume.img}), loop-mounted {@code nosuid,nodev} at
 * {@code <data dir>/volume}. Every session's writable directories (its own /workspace and the
 * upper layer of its image) and every persistent workspace are a subvolume of their own, whose
 * qgroup limit is the quota: a write past it fails with EDQUOT ("Disk quota exceeded"), in the
 * sandbox and through the file routes alike. The volume's size bounds all of them together, so
 * sessions cannot fill the host's disk either.
 *
 * <p>Why btrfs: ext4 and XFS project quotas would do the same, but need the kernel's quota
 * support ({@code CONFIG_QUOTA}), which kernels built for VMs (Firecracker's among them) often
 * leave out; btrfs keeps its qgroups itself. A subvolume costs two short {@code btrfs} runs
 * (~3 ms of CPU), so they are made ahead in the background, in batches, and a create only
 * renames one into place. With a quota of 0 the subvolumes have no limit.
 * Sandboxes are denied the ioctls that create subvolumes ({@link SeccompFilter}): a nested
 * subvolume would have a qgroup of its own, outside the limit.
 */
public final class DiskVolume implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DiskVolume.class);
    /** Subvolumes kept ready (refilled when half are taken); more than a burst of creates takes between two refills. */
    private static final int SPARES = 16;
    /** The smallest volume worth making: btrfs itself takes ~100 MiB of a small one. */
    private static final long MIN_SIZE = 256L << 20;

    private final Path mountPoint;
    private final long quotaBytes;
    private final LinkedBlockingQueue<Path> spares = new LinkedBlockingQueue<>();
    private final AtomicLong names = new AtomicLong();
    private final Thread refiller;
    private volatile boolean closed;

    private DiskVolume(Path mountPoint, long quotaBytes) {
        this.mountPoint = mountPoint;
        this.quotaBytes = quotaBytes;
        this.refiller = Thread.ofPlatform().daemon().name("sk-volume").unstarted(this::refill);
    }

    /**
     * Mounts the data directory's volume, making it first if there is none. {@code sizeBytes} is
     * the size of a new volume, 0 for half the free space of the data directory's file system;
     * a larger size than an existing volume's grows it. A volume still mounted (by a run that was
     * killed) is used as it is. What an earlier run left in it is removed: its sessions'
     * subvolumes (their sandboxes are gone), and its spares unless made with the same quota.
     *
     * @throws IOException if the volume cannot be made or mounted (the message says why)
     */
    public static DiskVolume open(Path dataDir, long quotaBytes, long sizeBytes) throws IOException {
        Path image = image(dataDir);
        Path mountPoint = mountPoint(dataDir);
        if (quotaBytes < 0) throw new IllegalArgumentException("quota " + quotaBytes);
        Files.createDirectories(mountPoint);
        if (!MountTable.isMountPoint(mountPoint)) {
            if (!Files.exists(image)) make(image, sizeBytes > 0 ? sizeBytes : Files.getFileStore(dataDir).getUsableSpace() / 2);
            HostCommand.run("mount", "-t", "btrfs", "-o", "loop,nosuid,nodev,noatime,discard=async", image.toString(), mountPoint.toString());
        }
        if (sizeBytes > Files.size(image)) {
            setLength(image, sizeBytes);
            HostCommand.run("losetup", "--set-capacity", loopDevice(mountPoint));
            HostCommand.run("btrfs", "filesystem", "resize", "max", mountPoint.toString());
            log.info("disk volume grown to {} MiB", sizeBytes >> 20);
        }
        HostCommand.run("btrfs", "quota", "enable", mountPoint.toString());
        DiskVolume v = new DiskVolume(mountPoint, quotaBytes);
        Files.setPosixFilePermissions(mountPoint, PosixFilePermissions.fromString("rwx--x--x"));
        v.createDirectories(mountPoint.resolve("spare"));
        v.createDirectories(mountPoint.resolve("sessions"));
        // Spares of the same quota are kept (their names start with it), the rest removed.
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(mountPoint.resolve("spare"))) {
            for (Path p : ds) {
                String[] name = p.getFileName().toString().split("-", 2);
                if (name.length == 2 && name[0].equals(Long.toString(quotaBytes)) && name[1].matches("\\d{1,18}")) {
                    v.spares.add(p);
                    v.names.accumulateAndGet(Long.parseLong(name[1]), Math::max);
                } else {
                    v.releaseQuietly(p);
                }
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(mountPoint.resolve("sessions"))) {
            for (Path p : ds) v.releaseQuietly(p);
        }
        v.refiller.start();
        return v;
    }

    /** Whether the data directory has a volume (made by an earlier run). */
    public static boolean exists(Path dataDir) {
        return Files.exists(image(dataDir));
    }

    private static Path image(Path dataDir) {
        return dataDir.resolve("volume.img");
    }

    /** Where the volume of a data directory is mounted. */
    public static Path mountPoint(Path dataDir) {
        return dataDir.resolve("volume");
    }

    private static void make(Path image, long bytes) throws IOException {
        if (bytes < MIN_SIZE) {
            throw new IOException("not enough free disk for the sessions' volume: " + (bytes >> 20) + " MiB, at least "
                    + (MIN_SIZE >> 20) + " MiB is needed; free some space or set disk_volume_size");
        }
        Path tmp = image.resolveSibling(image.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        setLength(tmp, bytes);
        HostCommand.run("mkfs.btrfs", "-q", "-f", tmp.toString());
        Files.move(tmp, image, StandardCopyOption.ATOMIC_MOVE);
        log.info("made the disk volume {} ({} MiB)", image, bytes >> 20);
    }

    /** Makes {@code file} that long, sparse: the added length takes no disk until written. */
    private static void setLength(Path file, long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
    }

    private static String loopDevice(Path mountPoint) throws IOException {
        String source = HostCommand.run("findmnt", "-n", "-o", "SOURCE", "--mountpoint", mountPoint.toString());
        if (!source.startsWith("/dev/loop")) throw new IOException(mountPoint + " is not loop-mounted: " + source);
        return source;
    }

    /** The directory the volume is mounted at. */
    public Path root() {
        return mountPoint;
    }

    /**
     * A new, empty subvolume with the quota at {@code relative} below the volume (for example
     * {@code sessions/<id>}), its missing parents made as root-owned plain directories. The
     * subvolume's root directory is root's with mode 0711, like the data directory's own.
     */
    public Path claim(String relative) throws IOException {
        Path target = mountPoint.resolve(relative).normalize();
        if (!target.startsWith(mountPoint) || target.equals(mountPoint)) throw new IllegalArgumentException(relative);
        createDirectories(target.getParent());
        Path spare = spares.poll();
        if (spare == null) spare = makeSpares(1).get(0);
        Files.move(spare, target, StandardCopyOption.ATOMIC_MOVE);
        synchronized (spares) {
            spares.notifyAll();
        }
        return target;
    }

    /**
     * Removes a subvolume {@link #claim}ed earlier and what it holds, file by file and then the
     * subvolume itself with rmdir: no program to run, which for the few files a session usually
     * leaves is far cheaper than {@code btrfs subvolume delete}. Nothing to do if it is gone.
     */
    public void release(Path subvolume) throws IOException {
        Path p = subvolume.normalize();
        if (!p.startsWith(mountPoint) || p.equals(mountPoint)) throw new IllegalArgumentException(subvolume + " is not in the volume");
        FileTrees.deleteTree(p);
    }

    private void releaseQuietly(Path subvolume) {
        try {
            release(subvolume);
        } catch (IOException e) {
            log.warn("could not remove {} (left by an earlier run): {}", subvolume, e.getMessage());
        }
    }

    private void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return;
        createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            return; // made by a concurrent claim
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    }

    /**
     * Makes {@code n} subvolumes with the quota in {@code spare/}, in one run of a shell (each
     * run of a program from the JVM costs more than the two btrfs runs per subvolume themselves).
     */
    private List<Path> makeSpares(int n) throws IOException {
        List<Path> made = new ArrayList<>();
        for (int i = 0; i < n; i++) made.add(mountPoint.resolve("spare").resolve(quotaBytes + "-" + names.incrementAndGet()));
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", """
                q=$1; shift
                for p; do
                  btrfs subvolume create "$p" >/dev/null && btrfs qgroup limit "$q" "$p" && chmod 0711 "$p" || exit 1
                done""", "sk-spares", quotaBytes > 0 ? Long.toString(quotaBytes) : "none"));
        for (Path p : made) cmd.add(p.toString());
        try {
            HostCommand.run(cmd);
        } catch (IOException e) {
            for (Path p : made) releaseQuietly(p);
            throw e;
        }
        return made;
    }

    /** Keeps {@link #SPARES} subvolumes ready; a failure is logged and retried a little later. */
    private void refill() {
        while (!closed) {
            try {
                int missing;
                synchronized (spares) {
                    while (!closed && spares.size() >= SPARES / 2) spares.wait();
                    missing = SPARES - spares.size();
                }
                if (!closed) spares.addAll(makeSpares(missing));
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                log.warn("could not make spare subvolumes: {}", e.getMessage());
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    /**
     * Stops making spares. The volume stays mounted until the daemon unmounts everything below
     * its data directory.
     */
    @Override
    public void close() {
        closed = true;
        refiller.interrupt();
        try {
            refiller.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
