package dev.sandkasten.client;

/** What a {@link FileEntry} is. */
public enum FileType {
    /** A regular file. */
    FILE("file"),
    /** A directory. */
    DIRECTORY("directory"),
    /** A symbolic link (only in listings: {@link SandboxFiles#stat} follows links). */
    SYMLINK("symlink"),
    /** A FIFO, socket or device, or a type this SDK version does not know. */
    OTHER("other");

    private final String wireName;

    FileType(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire, for example {@code "directory"}. */
    public String wireName() {
        return wireName;
    }

    static FileType fromWire(String name) {
        for (FileType t : values()) {
            if (t.wireName.equals(name)) return t;
        }
        return OTHER;
    }
}
