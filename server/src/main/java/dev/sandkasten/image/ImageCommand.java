package dev.sandkasten.image;

import dev.sandkasten.config.ByteSize;
import dev.sandkasten.config.Config;
import dev.sandkasten.config.ConfigException;
import dev.sandkasten.config.ConfigLoader;
import dev.sandkasten.sandbox.Image;
import dev.sandkasten.sandbox.MountTable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code sandkasten image list|build|import|remove}: manages the images in the data directory.
 * It works on the data directory directly (as root, like the daemon), so it needs no running
 * daemon; a running daemon sees new images at once and keeps removals of images its sessions use
 * from happening.
 */
public final class ImageCommand {
    static final String USAGE = """
            usage: sandkasten image list
                   sandkasten image build  NAME [--packages P1,P2,...] [--suite SUITE] [--variant minbase|buildd|default]
                                                [--mirror URL] [--description TEXT]
                   sandkasten image import NAME FILE [--description TEXT] [--max-size SIZE]
                   sandkasten image remove NAME
              Every command also takes --data-dir DIR and --config FILE, as `serve` does.
              build:  a Debian root file system made with debootstrap (default: bookworm, minbase,
                      http://deb.debian.org/debian), plus the listed packages.
              import: a `docker save` tarball or an OCI image-layout tarball (either may be gzip'd);
                      --max-size caps the unpacked size (default 16GiB).""";
    private static final long DEFAULT_MAX_SIZE = 16L << 30;

    /** A parsed command line. */
    record Command(String action, List<String> args, Map<String, String> options, Map<String, String> configFlags,
                   Optional<Path> configFile) {}

    /** The command line was wrong; the message says how. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    private final PrintStream out;
    private final PrintStream err;

    private ImageCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * Runs one image command and returns its exit status: 0 done, 1 failed, 2 bad command line.
     *
     * @param args the arguments after {@code image}
     * @param env the process environment (for SANDKASTEN_* settings)
     */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Command c;
        try {
            c = parse(args);
        } catch (UsageException e) {
            err.println("sandkasten image: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (c.action().equals("help")) {
            out.println(USAGE);
            return 0;
        }
        try {
            Optional<Path> configFile = c.configFile();
            if (configFile.isEmpty() && env.get("SANDKASTEN_CONFIG") != null) configFile = Optional.of(Path.of(env.get("SANDKASTEN_CONFIG")));
            Config config = ConfigLoader.load(configFile, env, c.configFlags());
            return new ImageCommand(out, err).execute(c, config);
        } catch (ConfigException | UsageException e) {
            err.println("sandkasten image: " + e.getMessage());
            return 2;
        } catch (LayerApplier.HostileLayerException e) {
            err.println("sandkasten image: refused the archive, nothing was imported: " + e.getMessage());
            return 1;
        } catch (ImageStore.ImageException | ImageImporter.BadImageException e) {
            err.println("sandkasten image: " + e.getMessage());
            return 1;
        } catch (IOException | RuntimeException e) {
            // Unexpected: say what kind of failure it was, not just its message.
            err.println("sandkasten image: " + e);
            return 1;
        }
    }

    /** Parses the arguments after {@code image}; throws {@link UsageException} for anything wrong. */
    static Command parse(String[] args) {
        if (args.length == 0) throw new UsageException("name a command: list, build, import or remove");
        String action = args[0];
        Map<String, Integer> positional = Map.of("list", 0, "build", 1, "import", 2, "remove", 1, "help", 0);
        Map<String, List<String>> allowed = Map.of(
                "list", List.of(),
                "build", List.of("--packages", "--suite", "--variant", "--mirror", "--description"),
                "import", List.of("--description", "--max-size"),
                "remove", List.of(),
                "help", List.of());
        if (action.equals("-h") || action.equals("--help")) action = "help";
        if (!positional.containsKey(action)) throw new UsageException("unknown command '" + action + "'");
        List<String> rest = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, String> configFlags = new LinkedHashMap<>();
        Optional<Path> configFile = Optional.empty();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-") || a.equals("-")) {
                rest.add(a);
                continue;
            }
            if (a.equals("--help") || a.equals("-h")) return new Command("help", List.of(), Map.of(), Map.of(), Optional.empty());
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            boolean known = a.equals("--data-dir") || a.equals("--config") || allowed.get(action).contains(a);
            if (!known) throw new UsageException("unknown option '" + a + "' for image " + action);
            if (value == null) {
                if (i + 1 >= args.length) throw new UsageException(a + " needs a value");
                value = args[++i];
            }
            switch (a) {
                case "--data-dir" -> configFlags.put("data_dir", value);
                case "--config" -> configFile = Optional.of(Path.of(value));
                default -> {
                    if (options.put(a, value) != null) throw new UsageException(a + " given twice");
                }
            }
        }
        int want = positional.get(action);
        if (rest.size() != want) {
            String what = switch (action) {
                case "build", "remove" -> "image " + action + " takes one NAME";
                case "import" -> "image import takes NAME and FILE";
                default -> "image " + action + " takes no arguments";
            };
            throw new UsageException(what + (rest.isEmpty() ? "" : ", got " + rest));
        }
        if (want > 0) {
            ImageStore.nameProblem(rest.getFirst()).ifPresent(p -> {
                throw new UsageException(p);
            });
        }
        validate(action, options);
        return new Command(action, List.copyOf(rest), options, configFlags, configFile);
    }

    private static void validate(String action, Map<String, String> o) {
        if (o.containsKey("--packages")) packages(o.get("--packages"));
        check(o, "--suite", DebootstrapBuilder.SUITE, "a Debian suite such as bookworm");
        check(o, "--variant", DebootstrapBuilder.VARIANT, "minbase, buildd or default (debootstrap's own)");
        check(o, "--mirror", DebootstrapBuilder.MIRROR, "an http:// or https:// URL");
        if (o.containsKey("--max-size")) maxSize(o.get("--max-size"));
        String d = o.get("--description");
        if (d != null && (d.length() > 200 || d.chars().anyMatch(ch -> ch < 0x20))) {
            throw new UsageException("--description must be one line of at most 200 characters");
        }
    }

    private static void check(Map<String, String> o, String key, Pattern p, String what) {
        if (o.containsKey(key) && !p.matcher(o.get(key)).matches()) {
            throw new UsageException(key + " must be " + what + ", got '" + LayerApplier.printable(o.get(key)) + "'");
        }
    }

    static List<String> packages(String list) {
        List<String> out = new ArrayList<>();
        for (String p : list.split(",")) {
            String s = p.trim();
            if (s.isEmpty()) continue;
            if (!DebootstrapBuilder.PACKAGE.matcher(s).matches()) {
                throw new UsageException("'" + LayerApplier.printable(s) + "' is not a Debian package name");
            }
            out.add(s);
        }
        if (out.isEmpty()) throw new UsageException("--packages names no package");
        return out;
    }

    static long maxSize(String s) {
        long bytes = ByteSize.parse(s).orElseThrow(() -> new UsageException(
                "--max-size must be a size such as 8GiB or 500M, got '" + LayerApplier.printable(s) + "'"));
        if (bytes == 0) throw new UsageException("--max-size is out of range: it must be more than 0");
        return bytes;
    }

    private int execute(Command c, Config config) throws IOException {
        ImageStore store = ImageStore.in(config.dataDir());
        if (!c.action().equals("list") && !"root".equals(System.getProperty("user.name"))) {
            throw new IOException("image " + c.action() + " must run as root: it writes the daemon's data directory and "
                    + "gives the image's files to the sandbox uid");
        }
        return switch (c.action()) {
            case "list" -> list(store, config);
            case "build" -> build(store, config, c);
            case "import" -> importImage(store, config, c);
            case "remove" -> {
                store.remove(c.args().getFirst());
                out.println("removed image " + c.args().getFirst());
                yield 0;
            }
            default -> throw new IllegalStateException(c.action());
        };
    }

    private int list(ImageStore store, Config config) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "KIND", "SIZE", "CREATED", "DESCRIPTION"});
        for (ImageCatalog.Listing l : ImageCatalog.withStore(store).list()) {
            String name = l.name() + (l.name().equals(config.defaultImage()) ? " (default)" : "");
            String size = l.sizeBytes().isPresent() ? human(l.sizeBytes().getAsLong()) : "-";
            String created = l.createdAt().map(t -> t.truncatedTo(ChronoUnit.SECONDS).toString()).orElse("-");
            rows.add(new String[] {name, l.kind().wireName(), size, created, l.description()});
        }
        int[] width = new int[4];
        for (String[] r : rows) for (int i = 0; i < 4; i++) width[i] = Math.max(width[i], r[i].length());
        for (String[] r : rows) {
            out.println(String.format("%-" + width[0] + "s  %-" + width[1] + "s  %" + width[2] + "s  %-" + width[3] + "s  %s",
                    (Object[]) r));
        }
        return 0;
    }

    private int build(ImageStore store, Config config, Command c) throws IOException {
        String name = c.args().getFirst();
        var o = c.options();
        var recipe = new DebootstrapBuilder.Recipe(o.getOrDefault("--suite", "bookworm"), o.getOrDefault("--variant", "minbase"),
                o.containsKey("--packages") ? packages(o.get("--packages")) : List.of(),
                o.getOrDefault("--mirror", "http://deb.debian.org/debian"));
        Path staging = store.stage(name);
        try {
            Path rootfs = staging.resolve("rootfs");
            DebootstrapBuilder.build(recipe, rootfs, err);
            Trees.Summary s = Trees.normalize(rootfs, config.sandboxUid());
            String description = o.getOrDefault("--description", "Debian " + recipe.suite()
                    + (recipe.packages().isEmpty() ? "" : " with " + String.join(", ", recipe.packages())));
            store.commit(staging, new ImageMeta(name, Image.Kind.BUILT, description, recipe.describe(), Instant.now(),
                    s.bytes(), config.sandboxUid(), Map.of(), Optional.empty()));
            out.println("built image " + name + " (" + human(s.bytes()) + ", " + s.files() + " files)");
            return 0;
        } finally {
            discard(staging);
        }
    }

    private int importImage(ImageStore store, Config config, Command c) throws IOException {
        String name = c.args().getFirst();
        Path file = Path.of(c.args().get(1));
        if (!Files.isRegularFile(file)) throw new IOException("no such file: " + file);
        long max = c.options().containsKey("--max-size") ? maxSize(c.options().get("--max-size")) : DEFAULT_MAX_SIZE;
        Path staging = store.stage(name);
        try {
            Path rootfs = staging.resolve("rootfs");
            Files.createDirectory(rootfs);
            Files.setPosixFilePermissions(rootfs, Trees.permissions(0755));
            Trees.own(rootfs, config.sandboxUid(), false);
            LayerApplier applier = new LayerApplier(rootfs, config.sandboxUid(), max);
            ImageImporter.Result r = ImageImporter.importArchive(file, staging, applier);
            Files.deleteIfExists(staging.resolve("archive.tar"));
            long size = Trees.size(rootfs);
            for (String w : r.warnings()) err.println("sandkasten image: warning: " + w);
            if (Trees.resolveInRoot(rootfs, "/bin/bash").filter(Files::isRegularFile).isEmpty()) {
                err.println("sandkasten image: warning: the image has no /bin/bash; sessions need it and will be refused");
            }
            String description = c.options().getOrDefault("--description", "imported from " + file.getFileName());
            store.commit(staging, new ImageMeta(name, Image.Kind.IMPORTED, description, file.getFileName().toString(),
                    Instant.now(), size, config.sandboxUid(), r.env(), r.workingDir()));
            out.println("imported image " + name + " (" + r.layers() + " layer(s), " + human(size) + ")");
            return 0;
        } finally {
            discard(staging);
        }
    }

    /** Removes a staging directory that was not committed (after a failure); a committed one is gone already. */
    private void discard(Path staging) {
        try {
            if (Files.exists(staging)) {
                MountTable.unmountBelow(staging);
                Trees.delete(staging);
            }
        } catch (IOException e) {
            err.println("sandkasten image: could not remove " + staging + ": " + e.getMessage());
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
