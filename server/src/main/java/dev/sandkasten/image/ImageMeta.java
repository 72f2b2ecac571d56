package dev.sandkasten.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.sandbox.Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code image.json} says about a built or imported image.
 *
 * @param kind {@link Image.Kind#BUILT} or {@link Image.Kind#IMPORTED}
 * @param source where it came from, for people: the imported file's name, or the debootstrap suite and packages
 * @param sizeBytes the size of its files
 * @param ownerUid the host uid that owns its files (the daemon's {@code sandbox_uid} when it was made)
 * @param env the image's environment (Docker's {@code Env}), in its order
 * @param workingDir the image's working directory (Docker's {@code WorkingDir}), if it names one
 */
public record ImageMeta(String name, Image.Kind kind, String description, String source, Instant createdAt, long sizeBytes,
                        int ownerUid, Map<String, String> env, Optional<String> workingDir) {
    static final String FILE = "image.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public ImageMeta {
        if (kind == Image.Kind.BUILT_IN) throw new IllegalArgumentException("built-in images have no image.json");
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    ImageMeta withOwner(int uid) {
        return new ImageMeta(name, kind, description, source, createdAt, sizeBytes, uid, env, workingDir);
    }

    void write(Path dir) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", name);
        n.put("kind", kind.wireName());
        n.put("description", description);
        n.put("source", source);
        n.put("created_at", createdAt.toString());
        n.put("size_bytes", sizeBytes);
        n.put("owner_uid", ownerUid);
        ObjectNode e = n.putObject("env");
        env.forEach(e::put);
        n.put("working_dir", workingDir.orElse(null));
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        Files.move(tmp, dir.resolve(FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static ImageMeta read(Path dir) throws IOException {
        JsonNode n = JSON.readTree(dir.resolve(FILE).toFile());
        Image.Kind kind = switch (n.path("kind").asText()) {
            case "built" -> Image.Kind.BUILT;
            case "imported" -> Image.Kind.IMPORTED;
            default -> throw new IOException("image.json in " + dir + " has no valid kind");
        };
        Map<String, String> env = new LinkedHashMap<>();
        n.path("env").properties().forEach(p -> env.put(p.getKey(), p.getValue().asText()));
        JsonNode wd = n.path("working_dir");
        try {
            return new ImageMeta(n.path("name").asText(), kind, n.path("description").asText(), n.path("source").asText(),
                    Instant.parse(n.path("created_at").asText()), n.path("size_bytes").asLong(), n.path("owner_uid").asInt(-1),
                    env, wd.isTextual() ? Optional.of(wd.asText()) : Optional.empty());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IOException("image.json in " + dir + " has no valid created_at", e);
        }
    }
}
