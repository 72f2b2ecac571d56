package dev.sandkasten.client;

/**
 * What a write or upload created.
 *
 * @param path the file's normalised absolute path inside the sandbox, for example {@code /workspace/data.csv}
 * @param size how many bytes were written
 */
public record WriteResult(String path, long size) {}
