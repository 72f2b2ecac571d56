package dev.sandkasten.exec;

/** Which of a command's output channels some bytes came from. */
public enum StdStream {
    STDOUT("stdout"),
    STDERR("stderr");

    private final String wireName;

    StdStream(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
