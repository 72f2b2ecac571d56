package dev.sandkasten.workspace;

import dev.sandkasten.sandbox.QuotaDisk;
import dev.sandkasten.tenant.Tenant;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workspaces of every tenant, each tenant with a store of its own, so two tenants may both
 * use the id {@code project} without meeting. The admin tenant's store is
 * {@code <data_dir>/workspaces} (where every workspace lived before tenants existed); another
 * tenant's is {@code <data_dir>/tenants/<name>/workspaces}.
 */
public final class WorkspaceStores {
    private final Path dataDir;
    private final int hostUid;
    private final QuotaDisk quota;
    private final Map<String, WorkspaceStore> stores = new ConcurrentHashMap<>();

    /** @param quota the file system new workspaces get, or null for none */
    public WorkspaceStores(Path dataDir, int hostUid, QuotaDisk quota) {
        this.dataDir = dataDir;
        this.hostUid = hostUid;
        this.quota = quota;
    }

    /** The store of one tenant; its directory is created on the first write. */
    public WorkspaceStore of(String tenant) {
        if (!Tenant.validName(tenant)) throw new IllegalArgumentException("invalid tenant name " + tenant);
        return stores.computeIfAbsent(tenant, t -> new WorkspaceStore(root(t), hostUid, quota));
    }

    /** Every tenant's store that holds workspaces or is open, by tenant name, for an admin's listing. */
    public Map<String, WorkspaceStore> all() {
        Map<String, WorkspaceStore> out = new TreeMap<>();
        out.put(Tenant.ADMIN, of(Tenant.ADMIN));
        Path tenants = dataDir.resolve("tenants");
        if (Files.isDirectory(tenants)) {
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

    private Path root(String tenant) {
        return tenant.equals(Tenant.ADMIN) ? dataDir.resolve("workspaces")
                : dataDir.resolve("tenants").resolve(tenant).resolve("workspaces");
    }
}
