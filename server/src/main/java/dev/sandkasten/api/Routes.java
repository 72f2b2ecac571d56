package dev.sandkasten.api;

import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Registers the API's routes with Helidon and remembers each path template with its methods, so
 * that a request for a known path with another method gets {@code 405} and an {@code Allow}
 * header rather than a {@code 404} that suggests a typo in the path.
 */
final class Routes {
    private final HttpRouting.Builder routing;
    private final Map<String, Pattern> patterns = new LinkedHashMap<>();
    private final Map<String, Set<String>> methods = new LinkedHashMap<>();

    Routes(HttpRouting.Builder routing) {
        this.routing = routing;
    }

    Routes get(String template, Handler h) {
        routing.get(template, h);
        return remember(Method.GET, template);
    }

    Routes post(String template, Handler h) {
        routing.post(template, h);
        return remember(Method.POST, template);
    }

    Routes put(String template, Handler h) {
        routing.put(template, h);
        return remember(Method.PUT, template);
    }

    Routes delete(String template, Handler h) {
        routing.delete(template, h);
        return remember(Method.DELETE, template);
    }

    /** The methods some route serves for {@code path}; empty if no route has that path. */
    Set<String> allowed(String path) {
        Set<String> out = new TreeSet<>();
        patterns.forEach((template, p) -> {
            if (p.matcher(path).matches()) out.addAll(methods.get(template));
        });
        return out;
    }

    private Routes remember(Method method, String template) {
        patterns.computeIfAbsent(template, Routes::compile);
        methods.computeIfAbsent(template, t -> new TreeSet<>()).add(method.text());
        return this;
    }

    /** {@code /v1/sessions/{id}/exec} as a pattern where each {@code {name}} is one path segment. */
    static Pattern compile(String template) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf('{', i);
            if (open < 0) {
                re.append(Pattern.quote(template.substring(i)));
                break;
            }
            if (open > i) re.append(Pattern.quote(template.substring(i, open)));
            re.append("[^/]+");
            i = template.indexOf('}', open) + 1;
        }
        return Pattern.compile(re.toString());
    }
}
