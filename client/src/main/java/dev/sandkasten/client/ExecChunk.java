package dev.sandkasten.client;

/**
 * One piece of a streaming command's output, or its end. While the command runs, each chunk
 * carries text ({@link #output()}) from one of its pipes ({@link #stream()}), sent as soon as the
 * daemon read it. The last chunk has {@link #done()} true, empty output, and the command's exit
 * code, working directory and duration; those three are {@code null} on every other chunk.
 *
 * @param output     the text (base64 with {@link Encoding#BASE64}); empty on the done chunk
 * @param done       true on the last chunk only
 * @param exitCode   the exit status (done chunk only, else {@code null})
 * @param cwd        the shell's working directory afterwards (done chunk only, else {@code null})
 * @param durationMs how long the command ran, in milliseconds (done chunk only, else {@code null})
 * @param timestamp  Unix epoch milliseconds when the daemon read the output; for the done chunk,
 *                   when this client received it
 * @param stream     stdout or stderr ({@code null} on the done chunk)
 * @param eventId    the event's SSE id: increasing within one command, the position in its output
 * @param execId     the command's id ({@code ex_...})
 * @param stateLost  done chunk only: true if the command ended the shell itself and a fresh one took over
 */
public record ExecChunk(String output, boolean done, Integer exitCode, String cwd, Long durationMs, long timestamp,
                        StdStream stream, long eventId, String execId, boolean stateLost) {}
