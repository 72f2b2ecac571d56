package dev.sandkasten.sandbox;

import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mounts of workspace file systems. Before the {@link DiskVolume}, {@code workspace_quota}
 * made each workspace an ext4 file system in an image file of its own, loop-mounted over its
 * {@code files} directory; such a workspace keeps its image, and is mounted whenever it is used.
 * Whatever is left mounted below the data directory (by a daemon that was killed) is unmounted
 * at the next start.
 */
public final class QuotaDisk {
    private static final Logger log = LoggerFactory.getLogger(QuotaDisk.class);

    private QuotaDisk() {}

    /** Mounts the ext4 {@code image} at {@code mountPoint}; nothing to do if something is mounted there already. */
    public static void mount(Path image, Path mountPoint) throws IOException {
        if (MountTable.isMountPoint(mountPoint)) return;
        HostCommand.run("mount", "-o", "loop,nosuid,nodev,noatime", image.toString(), mountPoint.toString());
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

    /** Unmounts every mount at or below {@code dir}; failures are logged. */
    public static void unmountAllBelow(Path dir) {
        unmountAllBelow(dir, null);
    }

    /**
     * The same, but a mount exactly at {@code keep} stays: at start, the disk volume a killed run
     * left mounted is used as it is rather than unmounted while its dying sandboxes still hold it.
     */
    public static void unmountAllBelow(Path dir, Path keep) {
        try {
            MountTable.unmountBelow(dir, keep);
        } catch (IOException e) {
            log.warn("{}", e.getMessage());
        }
    }
}
