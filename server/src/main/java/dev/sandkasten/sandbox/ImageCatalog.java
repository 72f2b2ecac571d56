package dev.sandkasten.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The images this daemon offers, by name. */
public final class ImageCatalog {
    private final Map<String, Image> images = new LinkedHashMap<>();

    public ImageCatalog(List<Image> images) {
        for (Image i : images) this.images.put(i.name(), i);
    }

    /** {@code base} (a Debian userland with bash and coreutils) and {@code python} (plus python3, pip, venv). */
    public static ImageCatalog builtIn() {
        return new ImageCatalog(List.of(
                new Image("base", "host userland, read-only: bash, coreutils, common tools", List.of("/usr/bin/bash"), List.of()),
                new Image("python", "base plus python3 with pip and venv",
                        List.of("/usr/bin/bash", "/usr/bin/python3"), List.of(RootfsLayout.PYTHON_ALIASES))));
    }

    public Optional<Image> find(String name) {
        return Optional.ofNullable(images.get(name));
    }

    public List<String> names() {
        return List.copyOf(images.keySet());
    }

    /** Programs an image needs that this host lacks. */
    public static List<String> missingPrograms(Image image) {
        return image.requiredPrograms().stream().filter(p -> !Files.isExecutable(Path.of(p))).toList();
    }
}
