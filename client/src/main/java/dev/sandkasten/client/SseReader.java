package dev.sandkasten.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A small, allocation-light Server-Sent Events parser over a byte stream. It works on bytes so
 * that an event's JSON payload can go to Jackson without a detour through {@code String}: after
 * {@link #next()} returns true, {@link #data()} holds the event's data (valid until the next call),
 * with {@link #event()} and {@link #lastId()} alongside. Comment lines are skipped; lines may end
 * with LF, CRLF or a bare CR; several {@code data:} lines are joined with LF, as the SSE spec says.
 */
final class SseReader {
    /** Longer lines mean a broken or hostile peer (the daemon's largest event is a few MiB). */
    static final int MAX_LINE = 64 << 20;
    private static final String[] KNOWN_EVENTS = {"chunk", "start", "done", "error", "gap"};

    private final InputStream in;
    private final int maxLine;
    private byte[] buf;
    private int pos;
    private int limit;
    private boolean eof;
    /** The last line ended with CR: an LF right after it belongs to that line ending (CRLF). */
    private boolean skipLf;

    private String event;
    private String lastId;
    private byte[] data = new byte[16 * 1024];
    private int dataLength;

    SseReader(InputStream in) {
        this(in, 64 * 1024, MAX_LINE);
    }

    SseReader(InputStream in, int bufferSize, int maxLine) {
        this.in = in;
        this.buf = new byte[bufferSize];
        this.maxLine = maxLine;
    }

    /** The current event's type, {@code "message"} when it named none. */
    String event() {
        return event;
    }

    /** The last {@code id:} seen on this stream (SSE ids persist across events), or null. */
    String lastId() {
        return lastId;
    }

    /** The current event's data buffer; only the first {@link #dataLength()} bytes are valid. */
    byte[] data() {
        return data;
    }

    int dataLength() {
        return dataLength;
    }

    /**
     * A stream that no Sandkasten daemon would send (an endless line, say): reading it again
     * would not help, unlike a connection that broke.
     */
    static final class MalformedStreamException extends IOException {
        MalformedStreamException(String message) {
            super(message);
        }

        MalformedStreamException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Reads the next event; false at the end of the stream (an unfinished last event is dropped). */
    boolean next() throws IOException {
        String name = null;
        boolean hasData = false;
        dataLength = 0;
        while (true) {
            int nl = findNewline();
            if (nl < 0) return false;
            int start = pos;
            int end = nl;
            skipLf = buf[nl] == '\r';
            pos = nl + 1;
            if (end == start) {
                if (hasData) {
                    event = name == null ? "message" : name;
                    return true;
                }
                name = null; // an event without data is not dispatched (SSE spec)
                continue;
            }
            if (buf[start] == ':') continue;
            int colon = start;
            while (colon < end && buf[colon] != ':') colon++;
            int value = colon;
            if (colon < end) {
                value = colon + 1;
                if (value < end && buf[value] == ' ') value++;
            }
            int fieldLength = colon - start;
            if (is("data", start, fieldLength)) {
                if (hasData) appendData((byte) '\n');
                appendData(buf, value, end - value);
                hasData = true;
            } else if (is("event", start, fieldLength)) {
                name = eventName(value, end - value);
            } else if (is("id", start, fieldLength)) {
                lastId = new String(buf, value, end - value, StandardCharsets.UTF_8);
            } // "retry" and unknown fields are ignored: this reader never reconnects by itself.
        }
    }

    /** Index of the next line end (CR or LF) at or after {@link #pos}, reading more as needed; -1 at the end. */
    private int findNewline() throws IOException {
        int scan = pos;
        while (true) {
            if (skipLf && pos < limit) {
                skipLf = false;
                if (buf[pos] == '\n') scan = ++pos;
            }
            for (int i = scan; i < limit; i++) {
                if (buf[i] == '\n' || buf[i] == '\r') return i;
            }
            if (eof) return -1;
            if (limit == buf.length) {
                if (pos > 0) {
                    System.arraycopy(buf, pos, buf, 0, limit - pos);
                    limit -= pos;
                    pos = 0;
                } else if (buf.length >= maxLine) {
                    throw new MalformedStreamException("an SSE line is longer than " + maxLine + " bytes; the peer is not a Sandkasten daemon");
                } else {
                    buf = Arrays.copyOf(buf, Math.min(maxLine, buf.length * 2));
                }
            }
            scan = limit;
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) eof = true;
            else limit += n;
        }
    }

    private boolean is(String field, int start, int length) {
        if (length != field.length()) return false;
        for (int i = 0; i < length; i++) {
            if (buf[start + i] != field.charAt(i)) return false;
        }
        return true;
    }

    /** Known names come back as constants, so the hot path allocates no string for them. */
    private String eventName(int start, int length) {
        for (String known : KNOWN_EVENTS) {
            if (is(known, start, length)) return known;
        }
        return new String(buf, start, length, StandardCharsets.UTF_8);
    }

    private void appendData(byte b) throws IOException {
        ensureData(1);
        data[dataLength++] = b;
    }

    private void appendData(byte[] src, int off, int len) throws IOException {
        ensureData(len);
        System.arraycopy(src, off, data, dataLength, len);
        dataLength += len;
    }

    private void ensureData(int more) throws IOException {
        if (dataLength + more > maxLine) {
            throw new MalformedStreamException("an SSE event is longer than " + maxLine + " bytes; the peer is not a Sandkasten daemon");
        }
        if (dataLength + more > data.length) {
            data = Arrays.copyOf(data, Math.max(dataLength + more, data.length * 2));
        }
    }
}
