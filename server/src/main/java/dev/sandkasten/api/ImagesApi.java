package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.image.ImageCatalog;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /v1/images}: the images a session can name. Images are managed on the host with
 * {@code sandkasten image}, not through the API.
 */
final class ImagesApi {
    private final ImageCatalog catalog;
    private final String defaultImage;

    ImagesApi(ImageCatalog catalog, String defaultImage) {
        this.catalog = catalog;
        this.defaultImage = defaultImage;
    }

    void routing(Routes r) {
        r.get("/v1/images", this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        for (ImageCatalog.Listing i : catalog.list()) {
            ObjectNode n = Json.object();
            n.put("name", i.name());
            n.put("kind", i.kind().wireName());
            n.put("description", i.description());
            n.put("source", i.source());
            n.put("default", i.name().equals(defaultImage));
            if (i.sizeBytes().isPresent()) n.put("size_bytes", i.sizeBytes().getAsLong());
            else n.putNull("size_bytes");
            n.put("created_at", i.createdAt().map(Wire::time).orElse(null));
            n.put("working_dir", i.workingDir().orElse("/workspace"));
            arr.add(n);
        }
        ObjectNode out = Json.object();
        out.set("images", arr);
        Json.send(res, 200, out);
    }
}
