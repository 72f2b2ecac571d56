package dev.sandkasten.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Reads an image archive, {@code docker save} output or an OCI image layout in a tar, and applies
 * its layers in order to a root directory ({@link LayerApplier}). The archive itself is never
 * extracted: its entries are looked up by name and read in place, so hostile names in it cannot
 * write anything. Layers may be plain or gzip'd tar; blobs named by a sha256 digest are checked
 * against it.
 */
final class ImageImporter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_JSON = 4 << 20;
    private static final String INDEX = "application/vnd.oci.image.index.v1+json";
    private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

    /** What the importer found: the image's environment and working directory. */
    record Result(Map<String, String> env, Optional<String> workingDir, int layers, List<String> warnings) {}

    /** The archive is not an image we can read; the message says why, for the user. */
    static final class BadImageException extends IOException {
        BadImageException(String message) {
            super(message);
        }
    }

    private ImageImporter() {}

    /**
     * Imports {@code archive} through {@code applier} (which writes the root file system). A gzip'd archive is first unpacked to
     * {@code scratch} (reading needs random access).
     */
    static Result importArchive(Path archive, Path scratch, LayerApplier applier) throws IOException {
        Path tarPath = archive;
        if (isGzip(archive)) {
            tarPath = scratch.resolve("archive.tar");
            try (InputStream in = new GzipCompressorInputStream(new BufferedInputStream(Files.newInputStream(archive)), true);
                 OutputStream out = Files.newOutputStream(tarPath)) {
                in.transferTo(out);
            }
        }
        try (TarFile tar = new TarFile(tarPath)) {
            Map<String, TarArchiveEntry> entries = new HashMap<>();
            for (TarArchiveEntry e : tar.getEntries()) {
                if (e.isFile()) entries.put(normalize(e.getName()), e);
            }
            Archive a = new Archive(tar, entries);
            if (entries.containsKey("manifest.json")) return dockerSave(a, applier);
            if (entries.containsKey("index.json") && entries.containsKey("oci-layout")) return oci(a, applier);
            throw new BadImageException("not an image archive: it has neither manifest.json (docker save) nor "
                    + "oci-layout and index.json (an OCI image layout)");
        }
    }

    private record Archive(TarFile tar, Map<String, TarArchiveEntry> entries) {
        TarArchiveEntry entry(String name) throws BadImageException {
            TarArchiveEntry e = entries.get(normalize(name));
            if (e == null) throw new BadImageException("the archive lacks " + LayerApplier.printable(name));
            return e;
        }

        InputStream open(String name) throws IOException {
            return tar.getInputStream(entry(name));
        }

        JsonNode json(String name) throws IOException {
            TarArchiveEntry e = entry(name);
            if (e.getSize() > MAX_JSON) throw new BadImageException(LayerApplier.printable(name) + " is too large for JSON metadata");
            try (InputStream in = tar.getInputStream(e)) {
                return JSON.readTree(in);
            } catch (com.fasterxml.jackson.core.JacksonException ex) {
                throw new BadImageException(LayerApplier.printable(name) + " is not valid JSON");
            }
        }
    }

    /** {@code docker save}: manifest.json lists one image's config and its layers, bottom first. */
    private static Result dockerSave(Archive a, LayerApplier applier) throws IOException {
        JsonNode manifest = a.json("manifest.json");
        if (!manifest.isArray() || manifest.isEmpty()) throw new BadImageException("manifest.json lists no image");
        if (manifest.size() > 1) {
            List<String> tags = new ArrayList<>();
            for (JsonNode m : manifest) tags.add(m.path("RepoTags").toString());
            throw new BadImageException("the archive holds " + manifest.size() + " images " + tags
                    + "; save one image per archive (docker save IMAGE > FILE)");
        }
        JsonNode m = manifest.get(0);
        JsonNode config = a.json(text(m, "Config", "manifest.json"));
        List<String> layers = new ArrayList<>();
        for (JsonNode l : m.path("Layers")) layers.add(l.asText());
        if (layers.isEmpty()) throw new BadImageException("manifest.json lists no layers");
        for (String layer : layers) applyLayer(a, layer, digestOf(layer), applier);
        return result(config, layers.size(), applier);
    }

    /** OCI image layout: index.json names a manifest (maybe through nested indexes), which names config and layers. */
    private static Result oci(Archive a, LayerApplier applier) throws IOException {
        JsonNode index = a.json("index.json");
        JsonNode manifest = null;
        for (int depth = 0; depth < 4 && manifest == null; depth++) {
            JsonNode d = pick(index.path("manifests"));
            String type = d.path("mediaType").asText();
            JsonNode blob = blobJson(a, d);
            if (type.equals(INDEX) || type.equals(DOCKER_LIST) || blob.has("manifests")) index = blob;
            else manifest = blob;
        }
        if (manifest == null) throw new BadImageException("index.json nests indexes too deeply");
        JsonNode config = blobJson(a, manifest.path("config"));
        JsonNode layers = manifest.path("layers");
        if (!layers.isArray() || layers.isEmpty()) throw new BadImageException("the image manifest lists no layers");
        for (JsonNode l : layers) {
            String digest = text(l, "digest", "a layer descriptor");
            applyLayer(a, blobPath(digest), Optional.of(digest), applier);
        }
        return result(config, layers.size(), applier);
    }

    /** The one manifest to use: the only one, or the one for this machine's platform. */
    private static JsonNode pick(JsonNode manifests) throws BadImageException {
        if (!manifests.isArray() || manifests.isEmpty()) throw new BadImageException("index.json lists no manifests");
        if (manifests.size() == 1) return manifests.get(0);
        String arch = hostArchitecture();
        List<String> seen = new ArrayList<>();
        for (JsonNode m : manifests) {
            JsonNode p = m.path("platform");
            if (p.path("os").asText("linux").equals("linux") && p.path("architecture").asText().equals(arch)) return m;
            seen.add(p.path("os").asText("?") + "/" + p.path("architecture").asText("?"));
        }
        throw new BadImageException("the index has no manifest for linux/" + arch + " (it has " + seen + ")");
    }

    private static JsonNode blobJson(Archive a, JsonNode descriptor) throws IOException {
        String digest = text(descriptor, "digest", "a descriptor");
        String path = blobPath(digest);
        TarArchiveEntry e = a.entry(path);
        if (e.getSize() > MAX_JSON) throw new BadImageException(digest + " is too large for JSON metadata");
        byte[] bytes;
        try (InputStream in = a.tar().getInputStream(e)) {
            bytes = in.readAllBytes();
        }
        checkDigest(digest, sha256(bytes));
        try {
            return JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JacksonException ex) {
            throw new BadImageException("blob " + digest + " is not valid JSON");
        }
    }

    private static void applyLayer(Archive a, String path, Optional<String> digest, LayerApplier applier) throws IOException {
        MessageDigest sha = newSha256();
        // The digest sits below the buffer, so peeking at the magic bytes (mark/reset) counts them once.
        try (InputStream raw = new BufferedInputStream(new DigestInputStream(a.open(path), sha), 1 << 16)) {
            raw.mark(4);
            byte[] magic = raw.readNBytes(4);
            raw.reset();
            InputStream layer;
            if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                layer = new GzipCompressorInputStream(raw, true);
            } else if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                    && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
                throw new BadImageException("layer " + LayerApplier.printable(path) + " is zstd-compressed, which this "
                        + "daemon does not read; re-save the image with gzip or uncompressed layers");
            } else {
                layer = raw;
            }
            applier.apply(layer);
            // The digest covers the whole blob, including what the tar reader did not need.
            raw.transferTo(OutputStream.nullOutputStream());
        }
        if (digest.isPresent()) checkDigest(digest.get(), HexFormat.of().formatHex(sha.digest()));
    }

    private static Result result(JsonNode config, int layers, LayerApplier applier) throws BadImageException {
        JsonNode c = config.path("config");
        List<String> warnings = new ArrayList<>();
        String arch = config.path("architecture").asText("");
        if (!arch.isEmpty() && !arch.equals(hostArchitecture())) {
            throw new BadImageException("the image is built for " + arch + " and this machine is " + hostArchitecture());
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode kv : c.path("Env")) {
            String s = kv.asText();
            int eq = s.indexOf('=');
            if (eq <= 0 || s.indexOf('\0') >= 0) {
                warnings.add("left out the malformed Env entry " + LayerApplier.printable(s));
                continue;
            }
            env.put(s.substring(0, eq), s.substring(eq + 1));
        }
        Optional<String> workingDir = Optional.empty();
        String wd = c.path("WorkingDir").asText("");
        if (!wd.isEmpty()) {
            if (wd.startsWith("/") && wd.indexOf('\0') < 0 && !List.of(wd.split("/")).contains("..")) {
                workingDir = Optional.of(Path.of(wd).normalize().toString());
            } else {
                warnings.add("ignored the WorkingDir " + LayerApplier.printable(wd) + " (not a plain absolute path)");
            }
        }
        String user = c.path("User").asText("");
        if (!user.isEmpty() && !user.equals("root") && !user.equals("0") && !user.equals("0:0")) {
            warnings.add("the image asks to run as user '" + LayerApplier.printable(user) + "'; sessions run as its root "
                    + "(host uid sandbox_uid, without capabilities)");
        }
        if (applier.skipped() > 0) warnings.add("left out " + applier.skipped() + " device node(s), FIFO(s) or socket(s)");
        return new Result(env, workingDir, layers, warnings);
    }

    private static String text(JsonNode n, String field, String where) throws BadImageException {
        JsonNode v = n.path(field);
        if (!v.isTextual() || v.asText().isEmpty()) throw new BadImageException(where + " has no " + field);
        return v.asText();
    }

    /** A blob's path in an OCI layout; only sha256 and sha512 digests of hex are accepted. */
    private static String blobPath(String digest) throws BadImageException {
        if (!digest.matches("sha(256|512):[0-9a-f]{64,128}")) {
            throw new BadImageException("unsupported or malformed digest " + LayerApplier.printable(digest));
        }
        return "blobs/" + digest.replace(':', '/');
    }

    /** Layers of a newer docker save are blobs named by their digest; those are checked too. */
    private static Optional<String> digestOf(String path) {
        String n = normalize(path);
        if (n.matches("blobs/sha256/[0-9a-f]{64}")) return Optional.of("sha256:" + n.substring("blobs/sha256/".length()));
        return Optional.empty();
    }

    private static void checkDigest(String expected, String sha256Hex) throws BadImageException {
        // Only sha256 is verified; a sha512 blob is read unchecked.
        if (expected.startsWith("sha256:") && !expected.substring(7).equals(sha256Hex)) {
            throw new BadImageException("blob " + expected + " does not match its digest (the archive is damaged)");
        }
    }

    private static String sha256(byte[] b) {
        return HexFormat.of().formatHex(newSha256().digest(b));
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isGzip(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(2);
            return b.length == 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
        }
    }

    /** An archive entry name without "./" or a leading "/". */
    private static String normalize(String name) {
        String n = name;
        while (n.startsWith("./") || n.startsWith("/")) n = n.substring(n.startsWith("/") ? 1 : 2);
        return n;
    }

    /** This machine's architecture as OCI names it. */
    static String hostArchitecture() {
        String a = System.getProperty("os.arch");
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> a;
        };
    }
}
