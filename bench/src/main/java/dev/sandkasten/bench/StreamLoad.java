package dev.sandkasten.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * Drives many streaming requests from one thread with a selector: each request is written, its
 * response's status line and headers are checked, and its chunked body goes to the stream's
 * {@link RawHttpClient.BodySink} as it arrives. A thread per connection (even a virtual one)
 * costs a wake-up and a hand-off per event; with a thousand streams on two cores the load
 * generator's own CPU would crowd the daemon it measures. Handles what the daemon sends: HTTP/1.1
 * with chunked bodies.
 */
final class StreamLoad {
    /** One request: the bytes to send, what to call once they are sent, and where the body goes. */
    record Request(byte[] bytes, Runnable sent, RawHttpClient.BodySink sink) {}

    private StreamLoad() {}

    /**
     * Sends {@code requests} to {@code port}, starting them evenly over {@code rampMillis}, and
     * returns once every response has ended. Fails on a status other than 200.
     */
    static void run(int port, List<Request> requests, long rampMillis) throws IOException {
        try (Selector selector = Selector.open()) {
            long start = System.nanoTime();
            int started = 0;
            int open = 0;
            ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
            byte[] bytes = new byte[buf.capacity()];
            while (started < requests.size() || open > 0) {
                long elapsed = (System.nanoTime() - start) / 1_000_000;
                while (started < requests.size() && started * rampMillis / requests.size() <= elapsed) {
                    SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                    ch.socket().setTcpNoDelay(true);
                    Request r = requests.get(started++);
                    ByteBuffer out = ByteBuffer.wrap(r.bytes());
                    while (out.hasRemaining()) ch.write(out); // small: fits the empty socket buffer
                    r.sent().run();
                    ch.configureBlocking(false);
                    ch.register(selector, SelectionKey.OP_READ, new Response(r.sink()));
                    open++;
                }
                long next = started < requests.size() ? Math.max(1, rampMillis / requests.size()) : 0;
                selector.select(next);
                for (SelectionKey key : selector.selectedKeys()) {
                    SocketChannel ch = (SocketChannel) key.channel();
                    Response response = (Response) key.attachment();
                    buf.clear();
                    int n = ch.read(buf);
                    if (n > 0) {
                        buf.flip().get(bytes, 0, n);
                        response.accept(bytes, n);
                    }
                    if (n < 0 || response.ended) {
                        if (!response.ended) throw new IOException("a stream's connection closed before its body ended");
                        key.cancel();
                        ch.close();
                        open--;
                    }
                }
                selector.selectedKeys().clear();
            }
        }
    }

    /** A response's parser: status line and headers, then chunk sizes and chunk data. */
    private static final class Response {
        private final RawHttpClient.BodySink sink;
        private final StringBuilder line = new StringBuilder();
        private boolean inHead = true;
        /** Bytes of chunk data still to come, or -1 while a size line (or the CRLF after data) is read. */
        private long chunkLeft = -1;
        private boolean afterData;
        boolean ended;

        Response(RawHttpClient.BodySink sink) {
            this.sink = sink;
        }

        void accept(byte[] b, int n) throws IOException {
            int i = 0;
            while (i < n && !ended) {
                if (chunkLeft > 0) {
                    int take = (int) Math.min(chunkLeft, n - i);
                    sink.accept(b, i, take);
                    i += take;
                    chunkLeft -= take;
                    if (chunkLeft == 0) {
                        chunkLeft = -1;
                        afterData = true;
                    }
                    continue;
                }
                char c = (char) (b[i++] & 0xFF);
                if (c == '\r') continue;
                if (c != '\n') {
                    line.append(c);
                    continue;
                }
                String l = line.toString();
                line.setLength(0);
                if (inHead) {
                    if (l.startsWith("HTTP/") && !l.startsWith("200", l.indexOf(' ') + 1)) {
                        throw new IOException("a stream answered " + l);
                    }
                    if (l.isEmpty()) inHead = false;
                } else if (afterData) {
                    afterData = false; // the CRLF that ends a chunk's data
                } else {
                    long size = Long.parseLong(l.split(";")[0].trim(), 16);
                    if (size == 0) ended = true; // trailers are not sent by the daemon
                    chunkLeft = size;
                }
            }
        }
    }
}
