package dev.sandkasten.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes Server-Sent Events on a response stream, each event as one write and one flush. Helidon's
 * own SSE sink writes every field separately, which under heavy output costs several socket writes
 * per event and halves throughput; this writer frames the whole event first. Write failures (the
 * client went away) surface as {@link UncheckedIOException}.
 */
final class SseWriter {
    private final OutputStream out;
    private final Frame frame = new Frame();

    SseWriter(OutputStream out) {
        this.out = out;
    }

    /** A reusable event buffer; {@code writeTo} hands its bytes over without copying. */
    private static final class Frame extends ByteArrayOutputStream {
        Frame() {
            super(32 * 1024);
        }

        void ascii(String s) {
            for (int i = 0; i < s.length(); i++) write(s.charAt(i));
        }
    }

    void event(String name, long id, ObjectNode data) {
        start(name, id);
        try {
            Json.MAPPER.writeValue(new NonClosing(frame), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        send();
    }

    /** The hot path: a chunk event, serialized straight into the frame without a tree. */
    void chunk(long id, String text, String stream) {
        start("chunk", id);
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(new NonClosing(frame))) {
            g.writeStartObject();
            g.writeStringField("chunk", text);
            g.writeNumberField("timestamp", System.currentTimeMillis());
            g.writeStringField("stream", stream);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        send();
    }

    /** An SSE comment line; clients ignore it, proxies see traffic. */
    void comment(String text) {
        frame.reset();
        frame.write(':');
        frame.ascii(text);
        frame.ascii("\n\n");
        flushFrame();
    }

    private void start(String name, long id) {
        frame.reset();
        frame.ascii("id: ");
        frame.ascii(Long.toString(id));
        frame.ascii("\nevent: ");
        frame.ascii(name);
        frame.ascii("\ndata: ");
    }

    private void send() {
        frame.ascii("\n\n");
        flushFrame();
    }

    private void flushFrame() {
        try {
            frame.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps Jackson from closing the frame buffer when a generator closes. */
    private static final class NonClosing extends OutputStream {
        private final ByteArrayOutputStream target;

        NonClosing(ByteArrayOutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            target.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            target.write(b, off, len);
        }
    }
}
