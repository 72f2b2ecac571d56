package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.text.AsciiScan;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes Server-Sent Events on a response stream, each event as one write and one flush. Helidon's
 * own SSE sink writes every field separately, which under heavy output costs several socket writes
 * per event and halves throughput; this writer frames the whole event first. Write failures (the
 * client went away) surface as {@link UncheckedIOException}.
 */
final class SseWriter {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;
    private final Frame frame = new Frame();

    SseWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * A reusable event buffer. Not a ByteArrayOutputStream: its methods are synchronized, which
     * costs an atomic operation per byte written here.
     */
    private static final class Frame extends OutputStream {
        /**
         * Small at first, grown by the events that need more: at 32 KB each, a young collection
         * while a thousand streams started had 32 MB of frames to copy.
         */
        private byte[] buf = new byte[1024];
        private int size;

        void reset() {
            size = 0;
        }

        private void ensure(int more) {
            if (size + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        void ascii(String s) {
            int n = s.length();
            ensure(n);
            for (int i = 0; i < n; i++) buf[size++] = (byte) s.charAt(i);
        }

        /** Writes {@code v} in decimal without making a string of it: two numbers per event. */
        void decimal(long v) {
            if (v < 0) {
                ascii(Long.toString(v));
                return;
            }
            int digits = 1;
            for (long rest = v / 10; rest > 0; rest /= 10) digits++;
            ensure(digits);
            for (int i = size + digits - 1; i >= size; i--, v /= 10) buf[i] = (byte) ('0' + v % 10);
            size += digits;
        }

        /** Writes the JSON escape of one ASCII byte that needs one (quote, backslash, control). */
        void escape(int c) {
            switch (c) {
                case '"' -> ascii("\\\"");
                case '\\' -> ascii("\\\\");
                case '\n' -> ascii("\\n");
                case '\r' -> ascii("\\r");
                case '\t' -> ascii("\\t");
                default -> {
                    ascii("\\u00");
                    write(HEX[c >> 4]);
                    write(HEX[c & 0xF]);
                }
            }
        }

        void writeTo(OutputStream out) throws IOException {
            out.write(buf, 0, size);
        }

        /**
         * Writes valid UTF-8 as the inside of a JSON string: runs of bytes that need no escape
         * are copied whole; only quote, backslash and control characters are escaped.
         */
        void jsonStringBody(byte[] b, int off, int len) {
            int end = off + len;
            int run = off;
            for (int i = AsciiScan.indexOfJsonEscape(b, off, end); i < end; i = AsciiScan.indexOfJsonEscape(b, run, end)) {
                write(b, run, i - run);
                run = i + 1;
                escape(b[i]);
            }
            write(b, run, end - run);
        }
    }

    void event(String name, long id, ObjectNode data) {
        start(name, id);
        try {
            Json.MAPPER.writeValue(nonClosing, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        send();
    }

    /** A chunk event carrying {@code text}. */
    void chunk(long id, String text, String stream) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        chunk(id, utf8, 0, utf8.length, stream);
    }

    /**
     * The hot path: a chunk event whose text is the UTF-8 in {@code utf8[off, off + len)}, framed
     * by hand because generic JSON writing was most of the streaming CPU.
     */
    void chunk(long id, byte[] utf8, int off, int len, String stream) {
        start("chunk", id);
        frame.ascii("{\"chunk\":\"");
        frame.jsonStringBody(utf8, off, len);
        frame.ascii("\",\"timestamp\":");
        frame.decimal(System.currentTimeMillis());
        frame.ascii(",\"stream\":\"");
        frame.ascii(stream);
        frame.ascii("\"}");
        send();
    }

    /**
     * A chunk event of plain ASCII written in one pass over the bytes, escaping as it goes; if it
     * meets a byte that is not plain (non-ASCII, or ESC/CR when {@code escAndCrArePlain} is
     * false), it writes nothing and returns false, and the caller takes the decoding path.
     */
    boolean asciiChunk(long id, byte[] b, int off, int len, String stream, boolean escAndCrArePlain) {
        start("chunk", id);
        frame.ascii("{\"chunk\":\"");
        int end = off + len;
        int run = off;
        for (int i = AsciiScan.indexOfJsonEscapeOrNonAscii(b, off, end); i < end;
                i = AsciiScan.indexOfJsonEscapeOrNonAscii(b, run, end)) {
            int c = b[i] & 0xFF;
            if (c >= 0x80 || (!escAndCrArePlain && (c == 0x1B || c == '\r'))) {
                frame.reset();
                return false;
            }
            frame.write(b, run, i - run);
            run = i + 1;
            frame.escape(c);
        }
        frame.write(b, run, end - run);
        frame.ascii("\",\"timestamp\":");
        frame.decimal(System.currentTimeMillis());
        frame.ascii(",\"stream\":\"");
        frame.ascii(stream);
        frame.ascii("\"}");
        send();
        return true;
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
        frame.decimal(id);
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
    private final OutputStream nonClosing = new OutputStream() {
        @Override
        public void write(int b) {
            frame.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            frame.write(b, off, len);
        }
    };
}
