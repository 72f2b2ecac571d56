package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.config.Config;
import dev.sandkasten.files.FileStore;
import dev.sandkasten.workspace.WorkspaceStore;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The workspace routes: list, delete, and the file routes without a session (writes create the
 * workspace; reads of a workspace that does not exist are 404).
 */
final class WorkspacesApi {
    private final WorkspaceStore store;
    private final FilesApi files;

    WorkspacesApi(Config config, WorkspaceStore store, FileStore fileStore) {
        this.store = store;
        this.files = new FilesApi(config, fileStore, "/v1/workspaces/{id}", (req, create) -> {
            String id = req.path().pathParameters().get("id");
            if (create) return store.open(id);
            return store.find(id).orElseThrow(() -> ApiError.notFound("workspace " + id + " not found").exception());
        });
    }

    void routing(HttpRouting.Builder r) {
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

    private void list(ServerRequest req, ServerResponse res) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        for (WorkspaceStore.Info w : store.list()) {
            ObjectNode n = Json.object();
            n.put("id", w.id());
            n.put("created_at", Wire.time(w.createdAt()));
            n.put("sessions", w.sessions());
            arr.add(n);
        }
        ObjectNode out = Json.object();
        out.set("workspaces", arr);
        Json.send(res, 200, out);
    }

    private void delete(ServerRequest req, ServerResponse res) {
        store.delete(req.path().pathParameters().get("id"));
        ObjectNode out = Json.object();
        out.put("ok", true);
        Json.send(res, 200, out);
    }
}
