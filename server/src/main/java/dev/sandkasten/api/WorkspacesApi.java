package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.config.Config;
import dev.sandkasten.files.FileStore;
import dev.sandkasten.tenant.Tenant;
import dev.sandkasten.workspace.WorkspaceStore;
import dev.sandkasten.workspace.WorkspaceStores;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;

/**
 * The workspace routes: list, delete, and the file routes without a session (writes create the
 * workspace; reads of a workspace that does not exist are 404). Each tenant has workspaces of its
 * own; an admin lists every tenant's and reaches another tenant's with {@code ?tenant=NAME}.
 */
final class WorkspacesApi {
    private final WorkspaceStores stores;
    private final FilesApi files;

    WorkspacesApi(Config config, WorkspaceStores stores, FileStore fileStore) {
        this.stores = stores;
        this.files = new FilesApi(config, fileStore, "/v1/workspaces/{id}", (req, create) -> {
            String id = req.path().pathParameters().get("id");
            WorkspaceStore store = store(req);
            if (create) return store.open(id);
            return store.find(id).orElseThrow(() -> ApiError.notFound("workspace " + id + " not found").exception());
        });
    }

    void routing(Routes r) {
        r.get("/v1/workspaces", this::list).delete("/v1/workspaces/{id}", this::delete);
        files.routing(r);
    }

    static ApiError map(WorkspaceStore.WorkspaceException e) {
        return switch (e.reason()) {
            case INVALID -> ApiError.invalid(e.getMessage());
            case NOT_FOUND -> ApiError.notFound(e.getMessage());
            case IN_USE -> new ApiError(409, "CONFLICT", e.getMessage());
        };
    }

    /** The store a request addresses: the caller's own, or for an admin the one named by {@code ?tenant=}. */
    private WorkspaceStore store(ServerRequest req) {
        Tenant tenant = Auth.tenant(req);
        String owner = new Query(req).string("tenant").orElse(tenant.name());
        if (!owner.equals(tenant.name())) {
            if (!tenant.admin()) throw ApiError.invalid("only an admin key may name another tenant").exception();
            if (!Tenant.validName(owner)) throw ApiError.invalid("tenant must be a tenant name").exception();
        }
        return stores.of(owner);
    }

    private void list(ServerRequest req, ServerResponse res) {
        Tenant tenant = Auth.tenant(req);
        Map<String, WorkspaceStore> visible = tenant.admin() ? stores.all() : Map.of(tenant.name(), stores.of(tenant.name()));
        ArrayNode arr = Json.MAPPER.createArrayNode();
        visible.forEach((owner, store) -> {
            for (WorkspaceStore.Info w : store.list()) {
                ObjectNode n = Json.object();
                n.put("id", w.id());
                n.put("tenant", owner);
                n.put("created_at", Wire.time(w.createdAt()));
                n.put("sessions", w.sessions());
                arr.add(n);
            }
        });
        ObjectNode out = Json.object();
        out.set("workspaces", arr);
        Json.send(res, 200, out);
    }

    private void delete(ServerRequest req, ServerResponse res) {
        store(req).delete(req.path().pathParameters().get("id"));
        ObjectNode out = Json.object();
        out.put("ok", true);
        Json.send(res, 200, out);
    }
}
