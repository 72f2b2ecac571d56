package dev.sandkasten.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A streaming reader of a {@code multipart/form-data} body: one part at a time, each part's
 * content an {@link InputStream} that ends at the next boundary, so a 1 GB file part passes
 * through a fixed buffer and is never held whole.
 */
final class MultipartReader {
    private static final Pattern BOUNDARY = Pattern.compile("(?i);\\s*boundary=(\"([^\"]{1,70})\"|([^;\\s]{1,70}))");
    private static final Pattern NAME = Pattern.compile("(?i);\\s*name=\"([^\"]*)\"");
    private static final Pattern FILENAME = Pattern.compile("(?i);\\s*filename=\"([^\"]*)\"");
    private static final int MAX_HEADERS = 16 * 1024;

    private final InputStream in;
    private final byte[] delim;
    private final byte[] buf;
    private int pos;
    private int lim;
    private boolean eof;
    private boolean finished;
    private Part current;

    /** One part: its form name, its file name if it is a file, and its content. */
    record Part(String name, Optional<String> filename, InputStream content) {}

    private MultipartReader(InputStream in, String boundary) {
        this.in = in;
        this.delim = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buf = new byte[64 * 1024 + delim.length];
        // The first boundary has no CRLF before it; pretend it has, so every boundary looks alike.
        buf[0] = '\r';
        buf[1] = '\n';
        lim = 2;
    }

    /** A reader for the body, or empty if the Content-Type is not multipart/form-data with a boundary. */
    static Optional<MultipartReader> of(String contentType, InputStream body) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) return Optional.empty();
        Matcher m = BOUNDARY.matcher(contentType);
        if (!m.find()) return Optional.empty();
        return Optional.of(new MultipartReader(body, m.group(2) != null ? m.group(2) : m.group(3)));
    }

    /** The next part (the previous one's unread content is skipped), or empty after the last. */
    Optional<Part> next() throws IOException {
        if (current == null) {
            skip(new PartStream()); // the preamble
        } else {
            skip(current.content());
        }
        if (finished) return Optional.empty();
        // After a boundary: "--" ends the body, CRLF starts a part.
        ensure(2);
        if (lim - pos < 2) throw malformed();
        if (buf[pos] == '-' && buf[pos + 1] == '-') {
            finished = true;
            return Optional.empty();
        }
        String headers = readHeaders();
        String disposition = null;
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-disposition")) {
                disposition = line.substring(colon + 1);
            }
        }
        if (disposition == null) throw new MultipartException("a part has no Content-Disposition header");
        Matcher n = NAME.matcher(disposition);
        if (!n.find()) throw new MultipartException("a part has no name");
        Matcher f = FILENAME.matcher(disposition);
        current = new Part(n.group(1), f.find() ? Optional.of(f.group(1)) : Optional.empty(), new PartStream());
        return Optional.of(current);
    }

    private String readHeaders() throws IOException {
        // Skip the CRLF after the boundary (and any transport padding before it).
        while (true) {
            ensure(1);
            if (lim == pos) throw malformed();
            byte b = buf[pos++];
            if (b == '\n') break;
            if (b != '\r' && b != ' ' && b != '\t') throw malformed();
        }
        StringBuilder sb = new StringBuilder();
        while (true) {
            ensure(1);
            if (lim == pos) throw malformed();
            sb.append((char) (buf[pos++] & 0xff));
            if (sb.length() > MAX_HEADERS) throw new MultipartException("a part's headers are too long");
            int len = sb.length();
            if (len >= 4 && sb.charAt(len - 4) == '\r' && sb.charAt(len - 3) == '\n' && sb.charAt(len - 2) == '\r' && sb.charAt(len - 1) == '\n') {
                return new String(sb.substring(0, len - 4).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            }
            if (len == 2 && sb.charAt(0) == '\r' && sb.charAt(1) == '\n') return "";
        }
    }

    private static void skip(InputStream s) throws IOException {
        byte[] b = new byte[8192];
        while (s.read(b) > 0) {
            // discard
        }
    }

    /** Makes at least {@code n} bytes available after pos, unless the body ends first. */
    private void ensure(int n) throws IOException {
        if (lim - pos >= n || eof) return;
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        while (lim - pos < n && !eof) {
            int r = in.read(buf, lim, buf.length - lim);
            if (r < 0) eof = true;
            else lim += r;
        }
    }

    private int indexOfDelim() {
        outer:
        for (int i = pos; i <= lim - delim.length; i++) {
            for (int j = 0; j < delim.length; j++) {
                if (buf[i + j] != delim[j]) continue outer;
            }
            return i;
        }
        return -1;
    }

    private static MultipartException malformed() {
        return new MultipartException("the multipart body is malformed or ends early");
    }

    /** A part's content: bytes up to the next boundary. */
    private final class PartStream extends InputStream {
        private boolean done;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (len == 0) return 0;
            ensure(buf.length);
            int at = indexOfDelim();
            int available;
            if (at >= 0) {
                available = at - pos;
                if (available == 0) {
                    pos = at + delim.length;
                    done = true;
                    return -1;
                }
            } else {
                if (eof) throw malformed();
                available = lim - pos - (delim.length - 1);
            }
            int n = Math.min(len, available);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /** A body that is not valid multipart. */
    static final class MultipartException extends IOException {
        MultipartException(String message) {
            super(message);
        }
    }
}
