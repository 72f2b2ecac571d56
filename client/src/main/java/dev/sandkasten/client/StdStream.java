package dev.sandkasten.client;

/** Which of the command's output pipes a {@link ExecChunk} came from. */
public enum StdStream {
    /** Standard output. */
    STDOUT,
    /** Standard error. */
    STDERR
}
