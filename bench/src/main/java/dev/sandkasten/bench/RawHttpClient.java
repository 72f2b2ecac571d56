package dev.sandkasten.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client on one keep-alive socket: writes a request, reads the status, headers
 * and a body framed by Content-Length or chunked encoding. The benchmark uses it so that the
 * figures measure the daemon rather than a client library: java.net.http hands every response
 * through its own selector thread and flow machinery, which on two cores costs both latency and
 * the CPU the daemon is competing for. Handles exactly what the daemon sends, nothing more.
 */
final class RawHttpClient implements Closeable {
    /** Receives the bytes of a response body as they arrive. */
    interface BodySink {
        void accept(byte[] buf, int off, int len);
    }

    private final String host;
    private final String key;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf;

    RawHttpClient(String host, int port, String key) throws IOException {
        int bufferSize = 256 * 1024;
        this.host = host + ":" + port;
        this.key = key;
        this.socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        this.in = new BufferedInputStream(socket.getInputStream(), bufferSize);
        this.out = socket.getOutputStream();
        this.buf = new byte[bufferSize];
    }

    /** Sends a request and returns the status; the body goes to {@code sink}. */
    int send(String method, String path, byte[] json, BodySink sink) throws IOException {
        out.write(request(method, host, key, path, json));
        out.flush();

        String status = line();
        int code = Integer.parseInt(status.split(" ")[1]);
        long length = -1;
        boolean chunked = false;
        for (String l; !(l = line()).isEmpty(); ) {
            String lower = l.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) length = Long.parseLong(l.substring(15).trim());
            if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
        }
        if (chunked) {
            while (true) {
                long size = Long.parseLong(line().split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                copy(size, sink);
                line();
            }
        } else if (length > 0) {
            copy(length, sink);
        }
        return code;
    }

    /** The bytes of a request: head, and the JSON body if there is one. */
    static byte[] request(String method, String host, String key, String path, byte[] json) {
        StringBuilder head = new StringBuilder();
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append("\r\n")
                .append("Authorization: Bearer ").append(key).append("\r\n");
        if (json != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(json.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        if (json == null) return h;
        byte[] all = new byte[h.length + json.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(json, 0, all, h.length, json.length);
        return all;
    }

    /** A request whose whole body is wanted; fails on a non-2xx status. */
    byte[] call(String method, String path, byte[] json) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int code = send(method, path, json, body::write);
        if (code >= 300) throw new IOException(method + " " + path + " -> " + code + " " + body);
        return body.toByteArray();
    }

    private void copy(long n, BodySink sink) throws IOException {
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) throw new EOFException("connection closed inside a body");
            sink.accept(buf, 0, r);
            n -= r;
        }
    }

    private String line() throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new EOFException("connection closed");
            if (c != '\r') s.append((char) c);
        }
        return s.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
