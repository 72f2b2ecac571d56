package dev.sandkasten.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds image archives for the tests by hand: layers as tar streams, then an OCI image layout or
 * a {@code docker save} tarball around them. The runnable base layer is the host's own bash with
 * the libraries {@code ldd} lists, laid out like a merged-/usr Debian (bin, lib, lib64 are links
 * into usr), so every command the tests run is a bash builtin.
 */
final class ImageArchives {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageArchives() {}

    /** One layer: tar entries in the order added. */
    static final class Layer {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream tar;

        Layer() {
            tar = new TarArchiveOutputStream(bytes);
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        }

        Layer dir(String name) {
            TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
            e.setMode(040755);
            return put(e, null);
        }

        Layer file(String name, String content) {
            return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
        }

        Layer file(String name, byte[] content, int mode) {
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setMode(0100000 | mode);
            e.setSize(content.length);
            return put(e, content);
        }

        Layer symlink(String name, String target) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(target);
            e.setMode(0120777);
            return put(e, null);
        }

        Layer hardlink(String name, String target) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK);
            e.setLinkName(target);
            return put(e, null);
        }

        Layer charDevice(String name, int major, int minor) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_CHR);
            e.setDevMajor(major);
            e.setDevMinor(minor);
            e.setMode(020666);
            return put(e, null);
        }

        /** An entry with a name TarArchiveEntry would normalise away (absolute, or with ".."), written verbatim. */
        Layer rawFile(String name, String content) {
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            byte[] b = content.getBytes(StandardCharsets.UTF_8);
            e.setMode(0100644);
            e.setSize(b.length);
            return put(e, b);
        }

        private Layer put(TarArchiveEntry e, byte[] content) {
            try {
                tar.putArchiveEntry(e);
                if (content != null) tar.write(content);
                tar.closeArchiveEntry();
                return this;
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        byte[] bytes(boolean gzip) {
            try {
                tar.finish();
                if (!gzip) return bytes.toByteArray();
                ByteArrayOutputStream z = new ByteArrayOutputStream();
                try (OutputStream out = new GZIPOutputStream(z)) {
                    out.write(bytes.toByteArray());
                }
                return z.toByteArray();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }

    /** The host's bash and its libraries, in a merged-/usr layout, so the image can run a session. */
    static Layer bashLayer() {
        Layer l = new Layer().dir("usr").dir("usr/bin").symlink("bin", "usr/bin").symlink("lib", "usr/lib")
                .symlink("lib64", "usr/lib64").dir("etc").dir("tmp");
        try {
            l.file("usr/bin/bash", Files.readAllBytes(Path.of("/bin/bash")), 0755);
            List<String> added = new ArrayList<>();
            for (String lib : sharedLibraries("/bin/bash")) {
                // "/lib/x86_64-linux-gnu/libc.so.6" goes to usr/lib/x86_64-linux-gnu/libc.so.6.
                String inImage = lib.startsWith("/usr/") ? lib.substring(1) : "usr" + lib;
                String parent = inImage.substring(0, inImage.lastIndexOf('/'));
                StringBuilder dir = new StringBuilder();
                for (String part : parent.split("/")) {
                    dir.append(dir.isEmpty() ? "" : "/").append(part);
                    if (!dir.toString().equals("usr") && !dir.toString().equals("usr/bin") && !added.contains(dir.toString())) {
                        added.add(dir.toString());
                        l.dir(dir.toString());
                    }
                }
                l.file(inImage, Files.readAllBytes(Path.of(lib).toRealPath()), 0755);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return l;
    }

    /** The absolute paths of the libraries a program loads, the dynamic loader included, as ldd lists them. */
    static List<String> sharedLibraries(String program) throws IOException {
        Process p = new ProcessBuilder("ldd", program).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> libs = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)(?:=>\\s*|^\\s*)(/\\S+)").matcher(out);
        while (m.find()) libs.add(m.group(1));
        return libs;
    }

    /** An image config with this environment ("K=V") and working directory (null for none). */
    static ObjectNode config(List<String> env, String workingDir) {
        ObjectNode c = JSON.createObjectNode();
        c.put("architecture", "amd64");
        c.put("os", "linux");
        ObjectNode inner = c.putObject("config");
        ArrayNode e = inner.putArray("Env");
        env.forEach(e::add);
        if (workingDir != null) inner.put("WorkingDir", workingDir);
        c.putObject("rootfs").put("type", "layers");
        return c;
    }

    /** An OCI image layout in a tar: oci-layout, index.json and blobs/sha256/*. */
    static Path oci(Path file, ObjectNode config, List<byte[]> layers, boolean gzipLayers) throws IOException {
        Map<String, byte[]> blobs = new LinkedHashMap<>();
        byte[] configBytes = JSON.writeValueAsBytes(config);
        String configDigest = digest(configBytes);
        blobs.put(configDigest, configBytes);
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        manifest.set("config", descriptor("application/vnd.oci.image.config.v1+json", configDigest, configBytes.length));
        ArrayNode ls = manifest.putArray("layers");
        for (byte[] l : layers) {
            String d = digest(l);
            blobs.put(d, l);
            ls.add(descriptor("application/vnd.oci.image.layer.v1.tar" + (gzipLayers ? "+gzip" : ""), d, l.length));
        }
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        String manifestDigest = digest(manifestBytes);
        blobs.put(manifestDigest, manifestBytes);
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.putArray("manifests").add(descriptor("application/vnd.oci.image.manifest.v1+json", manifestDigest,
                manifestBytes.length));
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(file))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            write(out, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
            write(out, "index.json", JSON.writeValueAsBytes(index));
            for (var b : blobs.entrySet()) write(out, "blobs/" + b.getKey().replace(':', '/'), b.getValue());
        }
        return file;
    }

    /** A classic {@code docker save} tarball: manifest.json, the config, and one directory per layer. */
    static Path dockerSave(Path file, ObjectNode config, List<byte[]> layers) throws IOException {
        byte[] configBytes = JSON.writeValueAsBytes(config);
        String configName = digest(configBytes).substring(7) + ".json";
        ObjectNode m = JSON.createObjectNode();
        m.put("Config", configName);
        m.putArray("RepoTags").add("sandkasten-test:latest");
        ArrayNode ls = m.putArray("Layers");
        List<String> names = new ArrayList<>();
        for (byte[] l : layers) {
            String n = digest(l).substring(7, 7 + 64) + "/layer.tar";
            names.add(n);
            ls.add(n);
        }
        ArrayNode manifest = JSON.createArrayNode().add(m);
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(file))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            write(out, "manifest.json", JSON.writeValueAsBytes(manifest));
            write(out, configName, configBytes);
            for (int i = 0; i < layers.size(); i++) write(out, names.get(i), layers.get(i));
        }
        return file;
    }

    private static ObjectNode descriptor(String mediaType, String digest, long size) {
        ObjectNode d = JSON.createObjectNode();
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
        return d;
    }

    private static void write(TarArchiveOutputStream out, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setMode(0100644);
        out.putArchiveEntry(e);
        out.write(content);
        out.closeArchiveEntry();
    }

    static String digest(byte[] b) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
