package dev.sandkasten.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;

/** The daemon's one JSON mapper and the helpers that write JSON responses. */
final class Json {
    /**
     * Its parsers and generators take their buffers from one bounded pool shared by all threads.
     * Jackson's default pool is per thread, and every request and stream here runs on a virtual
     * thread of its own: each request allocated the buffers anew, and each stream kept them for
     * its whole life (~16 KB a stream, measured with 300), for young collections to copy.
     */
    static final ObjectMapper MAPPER = new ObjectMapper(
            JsonFactory.builder().recyclerPool(JsonRecyclerPools.sharedBoundedPool()).build());

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize response", e);
        }
    }

    static void send(ServerResponse res, int status, Object body) {
        res.status(status);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(write(body).getBytes(StandardCharsets.UTF_8));
    }

    static ObjectNode error(ApiError e) {
        ObjectNode n = object();
        n.put("error", e.message());
        n.put("code", e.code());
        return n;
    }
}
