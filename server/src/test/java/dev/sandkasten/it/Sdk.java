package dev.sandkasten.it;

import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.Session;
import java.util.List;

/** Small test helpers on top of the Java SDK. */
final class Sdk {
    private Sdk() {}

    /** Stdout of a command that must succeed. */
    static String run(Session session, String cmd) {
        ExecResult r = session.exec(cmd);
        if (r.exitCode() != 0) throw new AssertionError("command failed: " + cmd + " -> " + r);
        return r.stdout();
    }

    /** Every chunk of a stream up to and including the done chunk; closes it. */
    static List<ExecChunk> readAll(ExecStream stream) {
        try (stream) {
            return stream.stream().toList();
        }
    }

    /** The concatenated output of the output chunks. */
    static String text(List<ExecChunk> chunks) {
        StringBuilder sb = new StringBuilder();
        for (ExecChunk c : chunks) sb.append(c.output());
        return sb.toString();
    }

    /** The output chunks, without the done chunk. */
    static List<ExecChunk> outputChunks(List<ExecChunk> chunks) {
        return chunks.stream().filter(c -> !c.done()).toList();
    }
}
