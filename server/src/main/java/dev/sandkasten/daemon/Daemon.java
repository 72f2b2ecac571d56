package dev.sandkasten.daemon;

import dev.sandkasten.api.HttpApi;
import dev.sandkasten.api.TransportErrors;
import dev.sandkasten.cgroup.CgroupDriver;
import dev.sandkasten.cgroup.CgroupLayout;
import dev.sandkasten.config.Config;
import dev.sandkasten.config.ConfigException;
import dev.sandkasten.config.DiskQuota;
import dev.sandkasten.image.ImageCatalog;
import dev.sandkasten.image.ImageStore;
import dev.sandkasten.sandbox.ControlRoot;
import dev.sandkasten.sandbox.DiskVolume;
import dev.sandkasten.sandbox.FileTrees;
import dev.sandkasten.sandbox.Image;
import dev.sandkasten.sandbox.RootfsLayout;
import dev.sandkasten.files.FileStore;
import dev.sandkasten.sandbox.FileHelper;
import dev.sandkasten.sandbox.SandboxLauncher;
import dev.sandkasten.sandbox.NetworkMode;
import dev.sandkasten.sandbox.ProcessLimits;
import dev.sandkasten.sandbox.QuotaDisk;
import dev.sandkasten.sandbox.SandboxSettings;
import dev.sandkasten.session.SessionManager;
import dev.sandkasten.tenant.Tenant;
import dev.sandkasten.tenant.TenantKey;
import dev.sandkasten.tenant.TenantKeys;
import dev.sandkasten.workspace.WorkspaceStores;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running daemon: the object graph built by hand from a {@link Config}. Tests start it
 * in-process on a free port; {@code Main} starts it for {@code sandkasten serve}.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final SessionManager sessions;
    private final HttpApi api;
    private final WebServer server;
    private final String apiKey;
    private final CgroupDriver cgroups;
    private final Path controlRoot;
    private final Path dataDir;
    private final DiskVolume volume;

    private Daemon(SessionManager sessions, HttpApi api, WebServer server, String apiKey, CgroupDriver cgroups,
            Path controlRoot, Path dataDir, DiskVolume volume) {
        this.sessions = sessions;
        this.api = api;
        this.server = server;
        this.apiKey = apiKey;
        this.cgroups = cgroups;
        this.controlRoot = controlRoot;
        this.dataDir = dataDir;
        this.volume = volume;
    }

    public static Daemon start(Config config) {
        // First: every wait and wake-up of the daemon's threads from here on goes through this table.
        log.info("futex hash: {}", FutexHash.resize(FutexHashSize.bucketsFor(config.maxSessions())).detail());
        boolean root = "root".equals(System.getProperty("user.name"));
        ApiKeys.Resolved key = ApiKeys.resolve(config.apiKey(), prepareDataDir(config.dataDir()));
        if (!config.listensOnLoopback() && config.apiKey().isEmpty()) {
            throw new ConfigException("refusing to listen on " + config.listenHost() + " without a configured API key: "
                    + "set SANDKASTEN_API_KEY or api_key in the config file, or listen on 127.0.0.1");
        }
        Prerequisites.Programs programs = Prerequisites.ensure(root, config.networkModes().contains(NetworkMode.EGRESS),
                config.diskQuota().enabled());

        Path controlRoot = ControlRoot.prepare(config.runtimeDir(), config.dataDir(), cgroupName(config.dataDir()));
        log.info("control files: {}", controlRoot);
        CgroupLayout layout = CgroupLayout.detect();
        CgroupDriver cgroups = new CgroupDriver(layout, cgroupName(config.dataDir()));
        cgroups.init();
        cgroups.removeStale();
        log.info("cgroups: {}", layout.describe());

        SandboxSettings settings = new SandboxSettings(config.dataDir(), controlRoot, config.sandboxUid(), config.sandboxHostname(),
                config.seccompProfile(),
                new ProcessLimits(config.openFilesLimit(), config.fileSizeLimitBytes(), config.tmpfsSizeBytes()),
                config.egressDeny());
        new RootfsLayout(settings).write();
        ImageStore store = ImageStore.in(config.dataDir());
        store.prepare();
        store.tidy();
        store.reown(config.sandboxUid());
        ImageCatalog images = ImageCatalog.withStore(store);
        for (Image image : images.builtInImages()) {
            List<String> missing = ImageCatalog.missingPrograms(image);
            if (!missing.isEmpty()) log.warn("image {} lacks {} on this host", image.name(), missing);
        }
        // File systems an earlier run left mounted (it was killed): unmount, then start clean;
        // its disk volume is used as it is.
        QuotaDisk.unmountAllBelow(config.dataDir(), DiskVolume.mountPoint(config.dataDir()));
        DiskVolume volume = openVolume(config.dataDir(), config.diskQuota(), root);
        SandboxLauncher launcher = new SandboxLauncher(settings, cgroups, programs.bwrap(), programs.setpriv(),
                programs.prlimit(), programs.slirp4netns(), volume);
        SessionManager sessions = new SessionManager(config, images, launcher, settings.sessionsDir(),
                new WorkspaceStores(config.dataDir(), config.sandboxUid(), volume));
        FileStore files = new FileStore(new FileHelper(settings, programs.bwrap(), programs.setpriv()));
        HttpApi api = new HttpApi(config, sessions, files, tenantKeys(key.key(), config));
        WebServer server;
        try {
            server = WebServer.builder()
                    .host(config.listenHost())
                    .port(config.listenPort())
                    .maxPayloadSize(Math.max(config.maxBodyBytes(), config.maxFileBytes() + (1L << 20)))
                    .directHandlers(TransportErrors.handlers())
                    .routing(api::routing)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            api.close();
            sessions.close();
            if (volume != null) volume.close();
            QuotaDisk.unmountAllBelow(config.dataDir());
            cgroups.removeBase();
            deleteControlRoot(controlRoot);
            throw e;
        }
        if (key.generated()) {
            System.out.println("sandkasten: generated an API key (stored with mode 0600 in " + key.file() + "):");
            System.out.println("  " + key.key());
        } else if (key.file() != null) {
            System.out.println("sandkasten: API key is in " + key.file());
        }
        log.info("listening on http://{}:{}", config.listenHost(), server.port());
        return new Daemon(sessions, api, server, key.key(), cgroups, controlRoot, config.dataDir(), volume);
    }

    public int port() {
        return server.port();
    }

    public String apiKey() {
        return apiKey;
    }

    public SessionManager sessions() {
        return sessions;
    }

    /** Where this run keeps the sessions' control directories. */
    public Path controlRoot() {
        return controlRoot;
    }

    @Override
    public void close() {
        server.stop();
        api.close();
        sessions.close();
        if (volume != null) volume.close();
        QuotaDisk.unmountAllBelow(dataDir);
        cgroups.removeBase();
        deleteControlRoot(controlRoot);
    }

    /** The admin tenant of the daemon's own key, then the configured tenants. */
    private static TenantKeys tenantKeys(String adminKey, Config config) {
        List<TenantKey> all = new java.util.ArrayList<>();
        all.add(new TenantKey(Tenant.builtInAdmin(), TenantKeys.sha256(adminKey)));
        all.addAll(config.tenants());
        try {
            return new TenantKeys(all);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage().replace("another tenant", "another tenant (or the api_key)"));
        }
    }

    /**
     * The volume that gives sessions and workspaces their disk quota, or null without one: when
     * {@code workspace_quota} is 0 and there is no volume yet, or when this host cannot mount it
     * and the quota was left at its default (then a warning says that sessions can fill the disk;
     * {@code doctor} says why). A volume that exists is always mounted, whatever the setting now,
     * since workspaces may live in it; if it cannot be, the daemon does not start.
     */
    private static DiskVolume openVolume(Path dataDir, DiskQuota quota, boolean root) {
        boolean exists = DiskVolume.exists(dataDir);
        if (!quota.enabled() && !exists) {
            log.warn("workspace_quota is 0: sessions and workspaces can fill the data directory's disk");
            return null;
        }
        try {
            if (!root) throw new IOException("mounting the sessions' volume needs root");
            DiskVolume volume = DiskVolume.open(dataDir, quota.bytes(), quota.volumeBytes());
            if (quota.enabled()) {
                log.info("disk quota: {} MiB per session and per workspace, in {}", quota.bytes() >> 20, volume.root());
            } else {
                log.warn("workspace_quota is 0: new sessions and workspaces have no disk quota, and can fill {}", volume.root());
            }
            return volume;
        } catch (IOException e) {
            if (exists) {
                throw new ConfigException("cannot mount the disk volume " + DiskVolume.mountPoint(dataDir)
                        + ", which holds the sessions' and workspaces' files: " + e.getMessage() + "; run ./sandkasten doctor");
            }
            if (quota.required()) {
                throw new ConfigException("cannot give sessions their disk quota (workspace_quota): " + e.getMessage()
                        + "; run ./sandkasten doctor, or set workspace_quota: 0 to run without");
            }
            log.warn("no disk quotas, so sessions and workspaces can fill the data directory's disk: {} "
                    + "(./sandkasten doctor says more)", e.getMessage());
            return null;
        }
    }

    private static void deleteControlRoot(Path dir) {
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException e) {
            log.warn("could not remove {}: {}", dir, e.toString());
        }
    }

    private static Path prepareDataDir(Path dir) {
        try {
            Files.createDirectories(dir);
            // Others may traverse (the sandbox uid must reach its bind-mount sources) but not list or read.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dir, e);
        }
        requireTraversable(dir.toAbsolutePath());
        return dir;
    }

    /**
     * Bubblewrap runs as the unprivileged sandbox uid and must reach its bind-mount sources below
     * the data directory; a directory above it that others may not search (a 0700 home or
     * {@code mktemp -d} directory) would make every session fail to start, so say so at start.
     */
    private static void requireTraversable(Path dir) {
        for (Path p = dir.getParent(); p != null; p = p.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    throw new ConfigException("the data directory " + dir + " is below " + p + ", which other users may "
                            + "not enter (mode without o+x), so sandboxes could not reach their files: "
                            + "choose a data directory elsewhere, or chmod o+x " + p);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot check the permissions of " + p, e);
            }
        }
    }

    /**
     * The name of this daemon's cgroups: one per data directory, so that two daemons on a host
     * (tests, benchmarks) never clean up each other's groups.
     */
    public static String cgroupName(Path dataDir) {
        return "sandkasten-" + shortHash(dataDir.toAbsolutePath().toString());
    }

    private static String shortHash(String s) {
        return HexFormat.of().formatHex(TenantKeys.sha256(s), 0, 4);
    }
}
