package dev.sandkasten.workspace;

import dev.sandkasten.sandbox.DiskVolume;
import dev.sandkasten.tenant.Tenant;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workspaces of every tenant, each tenant with a store of its own, so two tenants may both
 * use the id {@code project} without meeting. The admin tenant's store is
 * {@code <data_dir>/workspaces} (where every workspace lived before tenants existed); another
 * tenant's is {@code <data_dir>/tenants/<name>/workspaces}. With disk quotas on, new workspaces
 * go to the same paths below the {@link DiskVolume}'s root instead.
 */
public final class WorkspaceStores {
    private final Path dataDir;
    private final int hostUid;
    private final DiskVolume volume;
    private final Map<String, WorkspaceStore> stores = new ConcurrentHashMap<>();

    /** @param volume where new workspaces go, each with its quota, or null for none */
    public WorkspaceStores(Path dataDir, int hostUid, DiskVolume volume) {
        this.dataDir = dataDir;
        this.hostUid = hostUid;
        this.volume = volume;
    }

    /** The store of one tenant; its directory is created on the first write. */
    public WorkspaceStore of(String tenant) {
        if (!Tenant.validName(tenant)) throw new IllegalArgumentException("invalid tenant name " + tenant);
        return stores.computeIfAbsent(tenant, t -> new WorkspaceStore(dataDir.resolve(path(t)), hostUid, volume, path(t)));
    }

    /** Every tenant's store that holds workspaces or is open, by tenant name, for an admin's listing. */
    public Map<String, WorkspaceStore> all() {
        Map<String, WorkspaceStore> out = new TreeMap<>();
        out.put(Tenant.ADMIN, of(Tenant.ADMIN));
        for (Path base : volume == null ? List.of(dataDir) : List.of(dataDir, volume.root())) {
            Path tenants = base.resolve("tenants");
            if (!Files.isDirectory(tenants)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(tenants)) {
                for (Path d : ds) {
                    String name = d.getFileName().toString();
                    if (Tenant.validName(name) && Files.isDirectory(d.resolve("workspaces"))) out.put(name, of(name));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot list " + tenants, e);
            }
        }
        stores.forEach(out::putIfAbsent);
        return out;
    }

    /** A tenant's workspace directory relative to the data directory (and to the volume's root). */
    private static String path(String tenant) {
        return tenant.equals(Tenant.ADMIN) ? "workspaces" : "tenants/" + tenant + "/workspaces";
    }
}
