package dev.sandkasten.client;

/**
 * One piece of a streaming command's output, or its end. While the command runs, each chunk
 * carries text ({@link #output()}) from one of its pipes ({@link #stream()}), sent as soon as the
 * daemon read it. The last chunk has {@link #done()} true, empty output, and the command's exit
 * code, working directory and duration; those three are {@code null} on every other chunk.
 *
 * <p>A chunk with a non-null {@link #gap()} carries no text: it says that the daemon dropped
 * part of the output (past its retention cap, while no client was reading it) and the stream goes
 * on after the dropped bytes. That happens only to output nobody was attached to, for example
 * when attaching late to a command that printed more than the daemon keeps (64 MiB by default).
 *
 * @param output     the text (base64 with {@link Encoding#BASE64}); empty on the done chunk and on a gap
 * @param done       true on the last chunk only
 * @param exitCode   the exit status (done chunk only, else {@code null})
 * @param cwd        the shell's working directory afterwards (done chunk only, else {@code null})
 * @param durationMs how long the command ran, in milliseconds (done chunk only, else {@code null})
 * @param timestamp  Unix epoch milliseconds when the daemon read the output; for the done chunk,
 *                   when this client received it
 * @param stream     stdout or stderr ({@code null} on the done chunk and on a gap)
 * @param eventId    the event's SSE id: increasing within one command, the position in its output
 *                   (resume a stream after it with {@link Session#attach(String, long)})
 * @param execId     the command's id ({@code ex_...})
 * @param stateLost  done chunk only: true if the command ended the shell itself and a fresh one took over
 * @param gap        the output the daemon dropped at this point, or {@code null} (almost always)
 */
public record ExecChunk(String output, boolean done, Integer exitCode, String cwd, Long durationMs, long timestamp,
                        StdStream stream, long eventId, String execId, boolean stateLost, OutputGap gap) {
    /** The three kinds of chunk. */
    public enum Kind {
        /** Output text of the command. */
        OUTPUT,
        /** Output the daemon dropped: see {@link ExecChunk#gap()}. */
        GAP,
        /** The command's end: see {@link ExecChunk#exitCode()}. */
        DONE
    }

    /** Which kind of chunk this is: output, a gap, or the end. */
    public Kind kind() {
        return done ? Kind.DONE : gap != null ? Kind.GAP : Kind.OUTPUT;
    }

    /** True if this chunk reports dropped output ({@link #gap()}) instead of carrying text. */
    public boolean isGap() {
        return gap != null;
    }
}
