package dev.sandkasten.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the files every sandbox mounts read-only: a generated, minimal {@code /etc} (never the
 * host's real one, which holds secrets such as {@code /etc/shadow}) and the shell scripts that run
 * inside. Checked at every start and made anew when the generated files or the host's copied ones
 * (as their sizes and times tell) changed, so neither an upgrade nor a host update leaves stale
 * copies behind.
 */
public final class RootfsLayout {
    /** Where the python image finds its {@code python} and {@code pip} aliases, inside the sandbox. */
    public static final String PYTHON_ALIASES = "/run/sandkasten-rt/python-bin";
    /** Public, secret-free host files copied into the generated /etc (symlinks are copied as links). */
    private static final List<String> COPIED_FROM_HOST = List.of(
            "alternatives", "ssl/certs", "ssl/openssl.cnf", "ld.so.cache", "os-release",
            "services", "protocols", "mime.types", "debian_version");

    private final SandboxSettings settings;

    public RootfsLayout(SandboxSettings settings) {
        this.settings = settings;
    }

    public void write() {
        try {
            Path etc = settings.etcDir();
            String host = settings.hostname();
            int uid = SandboxSettings.INNER_UID;
            Map<String, String> files = Map.of(
                    "passwd", "root:x:0:0:root:/root:/bin/bash\n"
                            + "sandbox:x:" + uid + ":" + uid + ":sandbox:/workspace:/bin/bash\n"
                            + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                    "group", "root:x:0:\nsandbox:x:" + uid + ":\nnogroup:x:65534:\n",
                    "hostname", host + "\n",
                    "hosts", "127.0.0.1\tlocalhost\n127.0.1.1\t" + host + "\n::1\tlocalhost ip6-localhost ip6-loopback\n",
                    "resolv.conf", "# no network in this sandbox\n",
                    "nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
                            + "protocols: files\nservices: files\n",
                    "shells", "/bin/sh\n/bin/bash\n/usr/bin/bash\n",
                    "timezone", "Etc/UTC\n");
            // Copying the host's certificates and alternatives (hundreds of entries) took 160 ms
            // of a one-second start, so /etc is made anew only when its digest changed: the
            // host's files (as they are now) and the generated ones.
            Path marker = etc.resolveSibling("etc.sha256");
            String digest = fingerprint(files);
            boolean reuse = Files.isDirectory(etc, LinkOption.NOFOLLOW_LINKS) && Files.isRegularFile(marker)
                    && Files.readString(marker, StandardCharsets.UTF_8).equals(digest);
            if (!reuse) {
                Files.deleteIfExists(marker);
                FileTrees.deleteTree(etc);
                Files.createDirectories(etc);
            }
            for (var e : files.entrySet()) write(etc.resolve(e.getKey()), e.getValue());
            Files.deleteIfExists(etc.resolve("localtime"));
            Files.createSymbolicLink(etc.resolve("localtime"), Path.of("/usr/share/zoneinfo/Etc/UTC"));
            if (!reuse) {
                for (String name : COPIED_FROM_HOST) copyFromHost(Path.of("/etc").resolve(name), etc.resolve(name));
                Files.writeString(marker, digest, StandardCharsets.UTF_8);
            }

            if (settings.seccomp() != SeccompProfile.NONE) {
                if (!SeccompFilter.supported()) {
                    throw new IllegalStateException("seccomp filters are built for x86_64 only, and this machine is "
                            + System.getProperty("os.arch") + "; set seccomp_profile: none to run without one");
                }
                Files.write(settings.seccompFilter(), SeccompFilter.compile(settings.seccomp()));
            }

            write(settings.egressResolvConf(), "# slirp4netns forwards DNS to the host's resolver\nnameserver 10.0.2.3\n");

            Path rt = settings.runtimeDir();
            Files.createDirectories(rt);
            for (String script : List.of("boot.sh", "shell.sh")) {
                try (InputStream in = RootfsLayout.class.getResourceAsStream(script)) {
                    if (in == null) throw new IllegalStateException("missing resource " + script);
                    Files.copy(in, rt.resolve(script), StandardCopyOption.REPLACE_EXISTING);
                }
                Files.setPosixFilePermissions(rt.resolve(script), PosixFilePermissions.fromString("rw-r--r--"));
            }
            // `python` and `pip` as most code (and our own streaming document) spells them; the
            // host may only have python3 and pip3.
            Path aliases = rt.resolve(Path.of(PYTHON_ALIASES).getFileName().toString());
            FileTrees.deleteTree(aliases);
            Files.createDirectories(aliases);
            Files.createSymbolicLink(aliases.resolve("python"), Path.of("/usr/bin/python3"));
            Files.createSymbolicLink(aliases.resolve("pip"), Path.of("/usr/bin/pip3"));
            Files.createDirectories(settings.sessionsDir());
            Files.setPosixFilePermissions(settings.sessionsDir(), PosixFilePermissions.fromString("rwx--x--x"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare sandbox root files under " + settings.stateDir(), e);
        }
    }

    /**
     * A digest of the generated files and of what {@link #COPIED_FROM_HOST} names on the host
     * (every entry's path, kind, link target or size, modification time and permissions). Equal
     * digests mean the /etc made at an earlier start is still exact.
     */
    private static String fingerprint(Map<String, String> generated) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        StringBuilder listing = new StringBuilder(new TreeMap<>(generated).toString()).append('\n')
                .append(String.join(",", COPIED_FROM_HOST)).append('\n');
        for (String name : COPIED_FROM_HOST) {
            Path src = Path.of("/etc").resolve(name);
            if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) continue;
            try (var entries = Files.walk(src)) {
                for (Path p : (Iterable<Path>) entries.sorted()::iterator) {
                    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    listing.append(p).append('\t');
                    if (a.isSymbolicLink()) listing.append("l\t").append(Files.readSymbolicLink(p));
                    else listing.append(a.isDirectory() ? "d" : "f").append('\t').append(a.size());
                    listing.append('\t').append(a.lastModifiedTime().toMillis()).append('\t')
                            .append(PosixFilePermissions.toString(a.permissions())).append('\n');
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest(listing.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static void copyFromHost(Path src, Path dst) throws IOException {
        if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) return;
        Files.createDirectories(dst.getParent());
        if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
            Files.walkFileTree(src, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Files.createDirectories(dst.resolve(src.relativize(dir).toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    copyOne(file, dst.resolve(src.relativize(file).toString()));
                    return FileVisitResult.CONTINUE;
                }
            });
        } else {
            copyOne(src, dst);
        }
    }

    private static void copyOne(Path src, Path dst) throws IOException {
        if (Files.isSymbolicLink(src)) {
            Files.createSymbolicLink(dst, Files.readSymbolicLink(src));
        } else if (Files.isRegularFile(src) && Files.isReadable(src)
                && Files.getPosixFilePermissions(src).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
            // Only world-readable files: anything the host restricts stays on the host.
            Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(dst, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }
}
