package dev.sandkasten.client;

import java.time.Instant;

/**
 * A file or directory under {@code /workspace}, as {@link SandboxFiles#list} and
 * {@link SandboxFiles#stat} report it.
 *
 * @param name       its name (the last component of {@code path})
 * @param path       its absolute path inside the sandbox, for example {@code /workspace/src/main.py}
 * @param type       file, directory, symlink or other
 * @param size       its size in bytes
 * @param modifiedAt when it was last modified
 * @param mode       its permission bits in octal, for example {@code "0644"}
 */
public record FileEntry(String name, String path, FileType type, long size, Instant modifiedAt, String mode) {
    /** True for a directory. */
    public boolean isDirectory() {
        return type == FileType.DIRECTORY;
    }
}
