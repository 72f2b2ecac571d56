package dev.sandkasten.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A JSON request body, read with a size limit and picked apart field by field, so every wrong
 * type or out-of-range value gets a 400 that names the field. Unknown fields are ignored, as
 * newer clients may send more than this daemon knows.
 */
final class RequestBody {
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final ObjectNode node;

    private RequestBody(ObjectNode node) {
        this.node = node;
    }

    /** Reads the body; an empty body is an empty object. */
    static RequestBody read(ServerRequest req, long maxBytes) {
        var contentType = req.headers().value(HeaderNames.CONTENT_TYPE);
        if (contentType.isPresent()) {
            String ct = contentType.get().toLowerCase(java.util.Locale.ROOT);
            if (!ct.startsWith("application/json") && !ct.contains("+json")) {
                throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                        "send the body as JSON with Content-Type: application/json (got " + contentType.get() + ")").exception();
            }
        }
        // With the length known, the read allocates just that much (else buffers of 16 KB); one
        // byte past the limit tells a body that is too large.
        long declared = req.headers().contentLength().orElse(-1);
        long want = Math.min(declared >= 0 ? declared : maxBytes, maxBytes) + 1;
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, want));
            if (bytes.length > maxBytes) {
                throw ApiError.tooLarge("request body is larger than " + maxBytes + " bytes").exception();
            }
        } catch (IOException e) {
            throw ApiError.invalid("could not read the request body: " + e.getMessage()).exception();
        }
        if (bytes.length == 0 || new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            return new RequestBody(Json.object());
        }
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(bytes);
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            throw ApiError.invalid("request body is nested too deeply or has a value too large for JSON limits")
                    .exception();
        } catch (JsonProcessingException e) {
            throw ApiError.invalid("request body is not valid JSON: " + e.getOriginalMessage()).exception();
        } catch (IOException e) {
            throw ApiError.invalid("request body could not be read as JSON").exception();
        }
        if (n == null || !n.isObject()) throw ApiError.invalid("request body must be a JSON object").exception();
        return new RequestBody((ObjectNode) n);
    }

    private Optional<JsonNode> field(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
    }

    Optional<String> string(String name, int maxChars) {
        return field(name).map(v -> {
            if (!v.isTextual()) throw ApiError.invalid(name + " must be a string").exception();
            String s = v.textValue();
            if (s.length() > maxChars) throw ApiError.invalid(name + " is longer than " + maxChars + " characters").exception();
            if (s.indexOf('\0') >= 0) throw ApiError.invalid(name + " must not contain NUL characters").exception();
            return s;
        });
    }

    /** The raw text of a string field, with no length check (the caller checks bytes). */
    Optional<String> text(String name) {
        return field(name).map(v -> {
            if (!v.isTextual()) throw ApiError.invalid(name + " must be a string").exception();
            return v.textValue();
        });
    }

    Optional<Long> integer(String name, long min, long max) {
        return field(name).map(v -> {
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw ApiError.invalid(name + " must be an integer").exception();
            }
            long n = v.longValue();
            if (n < min || n > max) throw ApiError.invalid(name + " must be between " + min + " and " + max).exception();
            return n;
        });
    }

    Optional<Boolean> bool(String name) {
        return field(name).map(v -> {
            if (!v.isBoolean()) throw ApiError.invalid(name + " must be true or false").exception();
            return v.booleanValue();
        });
    }

    /** A string-to-string map; with {@code envNames}, keys must be valid environment variable names. */
    Map<String, String> stringMap(String name, boolean envNames, int maxEntries) {
        Optional<JsonNode> f = field(name);
        if (f.isEmpty()) return Map.of();
        JsonNode v = f.get();
        if (!v.isObject()) throw ApiError.invalid(name + " must be an object of string values").exception();
        if (v.size() > maxEntries) throw ApiError.invalid(name + " has more than " + maxEntries + " entries").exception();
        Map<String, String> out = new LinkedHashMap<>();
        for (var it = v.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            String key = e.getKey();
            if (envNames && !ENV_NAME.matcher(key).matches()) {
                throw ApiError.invalid(name + " key '" + abbreviate(key) + "' is not a valid variable name").exception();
            }
            if (key.length() > 256) throw ApiError.invalid(name + " keys must be at most 256 characters").exception();
            if (!e.getValue().isTextual()) throw ApiError.invalid(name + "." + abbreviate(key) + " must be a string").exception();
            String val = e.getValue().textValue();
            if (val.length() > 32_768) throw ApiError.invalid(name + "." + abbreviate(key) + " is longer than 32768 characters").exception();
            if (val.indexOf('\0') >= 0 || key.indexOf('\0') >= 0) {
                throw ApiError.invalid(name + " must not contain NUL characters").exception();
            }
            out.put(key, val);
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
