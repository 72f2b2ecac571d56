package dev.sandkasten.image;

import dev.sandkasten.sandbox.Image;
import dev.sandkasten.sandbox.RootfsLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The images this daemon offers: the built-in {@code base} and {@code python}, served from the
 * host, and the built and imported ones in its {@link ImageStore}.
 */
public final class ImageCatalog {
    private final Map<String, Image> builtIn = new LinkedHashMap<>();
    private final ImageStore store;

    /** No image of the store can start a session; the message says why, for the client. */
    public static final class UnusableImageException extends RuntimeException {
        public UnusableImageException(String message) {
            super(message);
        }
    }

    /**
     * An image held for one session. A stored image cannot be removed while a lease on it is
     * open; closing is idempotent.
     */
    public static final class Lease implements AutoCloseable {
        private final Image image;
        private final AutoCloseable release;

        private Lease(Image image, AutoCloseable release) {
            this.image = image;
            this.release = release;
        }

        public Image image() {
            return image;
        }

        @Override
        public void close() {
            try {
                release.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * An image as {@code GET /v1/images} lists it.
     *
     * @param sizeBytes empty for the built-in images (they are the host's own directories)
     * @param createdAt empty for the built-in images
     */
    public record Listing(String name, Image.Kind kind, String description, String source, OptionalLong sizeBytes,
                          Optional<Instant> createdAt, Optional<String> workingDir) {}

    /** @param store the stored images, or null for a catalog of the built-in images only */
    public ImageCatalog(List<Image> builtIns, ImageStore store) {
        for (Image i : builtIns) builtIn.put(i.name(), i);
        this.store = store;
    }

    /** {@code base} (a Debian userland with bash and coreutils) and {@code python} (plus python3, pip, venv). */
    public static List<Image> builtIns() {
        return List.of(
                new Image("base", "host userland, read-only: bash, coreutils, common tools", List.of("/usr/bin/bash"), List.of()),
                new Image("python", "base plus python3 with pip and venv",
                        List.of("/usr/bin/bash", "/usr/bin/python3"), List.of(RootfsLayout.PYTHON_ALIASES)));
    }

    /** The built-in images and those of {@code store}. */
    public static ImageCatalog withStore(ImageStore store) {
        return new ImageCatalog(builtIns(), store);
    }

    /** The built-in images, for checks at start. */
    public List<Image> builtInImages() {
        return List.copyOf(builtIn.values());
    }

    /**
     * Holds image {@code name} for a session: empty if there is no such image; throws
     * {@link UnusableImageException} for a stored image no session can run on.
     */
    public Optional<Lease> acquire(String name) {
        Image b = builtIn.get(name);
        if (b != null) return Optional.of(new Lease(b, () -> {}));
        if (store == null) return Optional.empty();
        ImageStore.Pinned pinned;
        try {
            pinned = store.pin(name);
        } catch (ImageStore.ImageException e) {
            return Optional.empty();
        }
        try {
            ImageMeta m = pinned.meta();
            Path rootfs = pinned.rootfs();
            // The session's supervisor and shell are bash: without it the sandbox could not start.
            Optional<Path> bash = Trees.resolveInRoot(rootfs, "/bin/bash");
            if (bash.isEmpty() || !Files.isRegularFile(bash.get()) || !Files.isExecutable(bash.get())) {
                throw new UnusableImageException("image '" + name + "' has no /bin/bash, which a session's shell needs; "
                        + "use an image that includes bash");
            }
            Image image = new Image(m.name(), m.description(), m.kind(), List.of(), List.of(), Optional.of(rootfs), m.env(),
                    m.workingDir());
            return Optional.of(new Lease(image, pinned));
        } catch (IOException e) {
            pinned.close();
            throw new UncheckedIOException("cannot read image " + name, e);
        } catch (RuntimeException e) {
            pinned.close();
            throw e;
        }
    }

    /** Every image's name, built-in ones first. */
    public List<String> names() {
        List<String> out = new ArrayList<>(builtIn.keySet());
        if (store != null) for (ImageMeta m : store.list()) out.add(m.name());
        return out;
    }

    /** Every image, built-in ones first, then the stored ones by name. */
    public List<Listing> list() {
        List<Listing> out = new ArrayList<>();
        for (Image i : builtIn.values()) {
            out.add(new Listing(i.name(), i.kind(), i.description(), "host", OptionalLong.empty(), Optional.empty(),
                    Optional.empty()));
        }
        if (store != null) {
            for (ImageMeta m : store.list()) {
                out.add(new Listing(m.name(), m.kind(), m.description(), m.source(), OptionalLong.of(m.sizeBytes()),
                        Optional.of(m.createdAt()), m.workingDir()));
            }
        }
        return out;
    }

    /** Programs a built-in image needs that this host lacks. */
    public static List<String> missingPrograms(Image image) {
        return image.requiredPrograms().stream().filter(p -> !Files.isExecutable(Path.of(p))).toList();
    }
}
