package dev.sandkasten.client;

/**
 * Output of a command that the daemon dropped before any client read it, because it kept more
 * than its retention cap: the bytes at offsets {@code [from, to)} of the command's output log
 * (stdout and stderr in the order read) are gone, and the stream continues at {@code to}.
 *
 * @param from  the offset of the first dropped byte
 * @param to    the offset after the last dropped byte
 * @param bytes how many bytes were dropped ({@code to - from})
 */
public record OutputGap(long from, long to, long bytes) {}
