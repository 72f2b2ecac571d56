package dev.sandkasten.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import dev.sandkasten.sandbox.NetworkMode;
import dev.sandkasten.sandbox.SeccompProfile;
import java.nio.file.Path;
import java.time.Duration;
import dev.sandkasten.tenant.Tenant;
import dev.sandkasten.tenant.TenantKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Builds a {@link Config} from, in rising precedence: defaults, the YAML file given by
 * {@code --config}, {@code SANDKASTEN_*} environment variables, and the flags {@code --listen}
 * and {@code --data-dir}. Unknown keys are errors, so a typo never silently keeps a default.
 */
public final class ConfigLoader {
    /** Every key with its default; the order is the documentation order. */
    static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("listen", "127.0.0.1:8080");
        DEFAULTS.put("data_dir", "");
        DEFAULTS.put("runtime_dir", "");
        DEFAULTS.put("api_key", "");
        DEFAULTS.put("default_image", "python");
        DEFAULTS.put("session_ttl_seconds", "1800");
        DEFAULTS.put("session_max_ttl_seconds", "86400");
        DEFAULTS.put("max_sessions", "500");
        DEFAULTS.put("warm_pool_size", "2");
        DEFAULTS.put("warm_pool_images", "");
        DEFAULTS.put("exec_timeout_ms", "120000");
        DEFAULTS.put("exec_max_timeout_ms", "3600000");
        DEFAULTS.put("max_output_bytes", "1MiB");
        DEFAULTS.put("chunk_size", "16KiB");
        DEFAULTS.put("max_chunk_size", "1MiB");
        DEFAULTS.put("output_window_bytes", "1MiB");
        DEFAULTS.put("exec_log_max_bytes", "64MiB");
        DEFAULTS.put("heartbeat_ms", "15000");
        DEFAULTS.put("disconnect_grace_ms", "3000");
        DEFAULTS.put("max_detach_grace_ms", "600000");
        DEFAULTS.put("kill_grace_ms", "2000");
        DEFAULTS.put("exec_history", "100");
        DEFAULTS.put("memory_limit", "1GiB");
        DEFAULTS.put("pids_limit", "512");
        DEFAULTS.put("cpu_limit", "1");
        DEFAULTS.put("sandbox_uid", "100000");
        DEFAULTS.put("sandbox_hostname", "sandbox");
        DEFAULTS.put("seccomp_profile", "default");
        DEFAULTS.put("network_modes", "none");
        DEFAULTS.put("egress_deny", "private");
        DEFAULTS.put("cors_origins", "");
        DEFAULTS.put("open_files_limit", "4096");
        DEFAULTS.put("file_size_limit", "4GiB");
        DEFAULTS.put("tmpfs_size", "512MiB");
        DEFAULTS.put("workspace_quota", "10GiB");
        DEFAULTS.put("disk_volume_size", "auto");
        DEFAULTS.put("max_body_bytes", "8MiB");
        DEFAULTS.put("reaper_interval_ms", "1000");
        DEFAULTS.put("max_file_bytes", "2GiB");
        DEFAULTS.put("max_read_bytes", "16MiB");
    }

    private ConfigLoader() {}

    /**
     * @param configFile YAML file, if any
     * @param env the process environment
     * @param flags values from the command line, by key
     */
    public static Config load(Optional<Path> configFile, Map<String, String> env, Map<String, String> flags) {
        Map<String, String> set = new LinkedHashMap<>();
        List<TenantKey> tenants = new ArrayList<>();
        if (configFile.isPresent()) set.putAll(readYaml(configFile.get(), tenants));
        for (String key : DEFAULTS.keySet()) {
            String v = env.get("SANDKASTEN_" + key.toUpperCase(Locale.ROOT));
            if (v != null) set.put(key, v);
        }
        for (var e : flags.entrySet()) {
            if (!DEFAULTS.containsKey(e.getKey())) throw new ConfigException("unknown setting '" + e.getKey() + "'");
            set.put(e.getKey(), e.getValue());
        }
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        values.putAll(set);
        return build(values, set.keySet(), env, tenants);
    }

    /** Reads the file's settings; its {@code tenants} list goes to {@code tenants}. */
    private static Map<String, String> readYaml(Path file, List<TenantKey> tenants) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (root == null || root.isNull() || root.isMissingNode()) return out;
        if (!root.isObject()) throw new ConfigException("config file " + file + " must be a mapping of settings");
        for (var it = root.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("tenants")) {
                tenants.addAll(readTenants(file, e.getValue()));
                continue;
            }
            if (!DEFAULTS.containsKey(e.getKey())) {
                throw new ConfigException("unknown setting '" + e.getKey() + "' in " + file
                        + "; known settings: " + String.join(", ", DEFAULTS.keySet()));
            }
            if (!e.getValue().isValueNode()) throw new ConfigException("setting '" + e.getKey() + "' must be a single value");
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** The images to keep warm sandboxes of; empty means the default image if it is built in. */
    private static List<String> warmPoolImages(Map<String, String> v) {
        List<String> out = new ArrayList<>();
        for (String name : v.get("warm_pool_images").split(",")) if (!name.isBlank()) out.add(name.trim());
        return List.copyOf(out);
    }

    /** {@code workspace_quota}: 0 (none) or at least 1 MiB; {@code disk_volume_size}: auto or at least 256 MiB. */
    private static DiskQuota diskQuota(Map<String, String> v, java.util.Set<String> explicit) {
        long bytes = v.get("workspace_quota").trim().equals("0") ? 0 : size(v, "workspace_quota", 1L << 20, 1L << 50);
        long volume = v.get("disk_volume_size").trim().equals("auto") ? 0 : size(v, "disk_volume_size", 256L << 20, 1L << 50);
        return new DiskQuota(bytes, volume, explicit.contains("workspace_quota") || explicit.contains("disk_volume_size"));
    }

    private static final java.util.Set<String> TENANT_FIELDS =
            java.util.Set.of("name", "key_sha256", "admin", "max_sessions", "max_concurrent_execs");

    private static List<TenantKey> readTenants(Path file, JsonNode list) {
        if (!list.isArray()) throw new ConfigException("tenants in " + file + " must be a list");
        List<TenantKey> out = new ArrayList<>();
        for (JsonNode t : list) {
            if (!t.isObject()) throw new ConfigException("each entry of tenants in " + file + " must be a mapping");
            for (var it = t.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!TENANT_FIELDS.contains(f)) {
                    throw new ConfigException("unknown tenant setting '" + f + "' in " + file + "; known: "
                            + String.join(", ", new java.util.TreeSet<>(TENANT_FIELDS)));
                }
            }
            String name = t.path("name").asText("");
            if (!Tenant.validName(name) || name.equals(Tenant.ADMIN)) {
                throw new ConfigException("tenant name '" + name + "' in " + file + " must be 1 to 32 characters of a-z, "
                        + "0-9, '_' and '-', starting with a letter or digit, and not '" + Tenant.ADMIN + "' (the api_key's tenant)");
            }
            byte[] digest;
            try {
                digest = TenantKey.parseDigest(t.path("key_sha256").asText(""));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("tenant '" + name + "': key_sha256 must be the 64 hex digits of the SHA-256 of "
                        + "its key (`sandkasten key` makes a key and prints it)");
            }
            String unlimited = Integer.toString(Integer.MAX_VALUE);
            int maxSessions = (int) integer(Map.of(), "tenant '" + name + "' max_sessions",
                    t.path("max_sessions").asText(unlimited), 1, Integer.MAX_VALUE);
            int maxExecs = (int) integer(Map.of(), "tenant '" + name + "' max_concurrent_execs",
                    t.path("max_concurrent_execs").asText(unlimited), 1, Integer.MAX_VALUE);
            JsonNode admin = t.path("admin");
            if (!admin.isMissingNode() && !admin.isBoolean()) throw new ConfigException("tenant '" + name + "': admin must be true or false");
            out.add(new TenantKey(new Tenant(name, admin.asBoolean(false), maxSessions, maxExecs), digest));
        }
        return out;
    }

    /** @param explicit the keys set by the file, the environment or the command line, not left at their default */
    private static Config build(Map<String, String> v, java.util.Set<String> explicit, Map<String, String> env,
            List<TenantKey> tenants) {
        String listen = v.get("listen").trim();
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) throw new ConfigException("listen must be HOST:PORT, got '" + listen + "'");
        String host = listen.substring(0, colon);
        int port = (int) integer(v, "listen", listen.substring(colon + 1), 0, 65535);
        String dataDir = v.get("data_dir").trim();
        Path data = dataDir.isEmpty() ? defaultDataDir(env) : Path.of(dataDir);
        String runtimeDir = v.get("runtime_dir").trim();
        String key = v.get("api_key").trim();
        if (!key.isEmpty() && key.length() < 16) throw new ConfigException("api_key must be at least 16 characters");

        Duration ttl = Duration.ofSeconds(integer(v, "session_ttl_seconds", 1, Integer.MAX_VALUE));
        Duration maxTtl = Duration.ofSeconds(integer(v, "session_max_ttl_seconds", 1, Integer.MAX_VALUE));
        if (ttl.compareTo(maxTtl) > 0) throw new ConfigException("session_ttl_seconds must not exceed session_max_ttl_seconds");
        Duration timeout = Duration.ofMillis(integer(v, "exec_timeout_ms", 1, Integer.MAX_VALUE));
        Duration maxTimeout = Duration.ofMillis(integer(v, "exec_max_timeout_ms", 1, Integer.MAX_VALUE));
        if (timeout.compareTo(maxTimeout) > 0) throw new ConfigException("exec_timeout_ms must not exceed exec_max_timeout_ms");
        int chunk = (int) size(v, "chunk_size", 1, 64L << 20);
        int maxChunk = (int) size(v, "max_chunk_size", 1, 64L << 20);
        if (chunk > maxChunk) throw new ConfigException("chunk_size must not exceed max_chunk_size");
        long window = size(v, "output_window_bytes", 64 * 1024, 1L << 30);
        long logMax = size(v, "exec_log_max_bytes", 4L << 20, 1L << 40);
        if (logMax < 4 * window) {
            throw new ConfigException("exec_log_max_bytes must be at least four times output_window_bytes");
        }
        Duration grace = Duration.ofMillis(integer(v, "disconnect_grace_ms", 0, 3_600_000));
        Duration maxGrace = Duration.ofMillis(integer(v, "max_detach_grace_ms", 0, 86_400_000));
        if (grace.compareTo(maxGrace) > 0) {
            throw new ConfigException("disconnect_grace_ms must not exceed max_detach_grace_ms");
        }
        double cpus;
        try {
            cpus = Double.parseDouble(v.get("cpu_limit").trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("cpu_limit must be a number of cores such as 1 or 0.5");
        }
        if (!(cpus >= 0.01 && cpus <= 1024)) throw new ConfigException("cpu_limit must be between 0.01 and 1024");
        String hostname = v.get("sandbox_hostname").trim();
        if (!hostname.matches("[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")) {
            throw new ConfigException("sandbox_hostname must be a valid host name");
        }
        String profileName = v.get("seccomp_profile").trim();
        SeccompProfile seccomp = SeccompProfile.fromWire(profileName).orElseThrow(() ->
                new ConfigException("seccomp_profile must be none, default or strict, not '" + profileName + "'"));
        java.util.Set<NetworkMode> networkModes = java.util.EnumSet.noneOf(NetworkMode.class);
        for (String m : v.get("network_modes").split(",")) {
            String name = m.trim();
            if (name.isEmpty()) continue;
            networkModes.add(NetworkMode.fromWire(name).orElseThrow(() -> new ConfigException(
                    "network_modes lists '" + name + "'; known modes: none, egress")));
        }
        List<String> egressDeny = EgressDeny.parse(v.get("egress_deny"));
        if (!networkModes.contains(NetworkMode.NONE)) {
            throw new ConfigException("network_modes must include none (the mode of sessions that ask for none)");
        }
        return new Config(host, port, data, runtimeDir.isEmpty() ? Optional.empty() : Optional.of(Path.of(runtimeDir)),
                key.isEmpty() ? Optional.empty() : Optional.of(key),
                v.get("default_image").trim(), ttl, maxTtl,
                (int) integer(v, "max_sessions", 1, 1_000_000),
                timeout, maxTimeout,
                (int) size(v, "max_output_bytes", 1024, 256L << 20),
                chunk, maxChunk,
                window,
                logMax,
                Duration.ofMillis(integer(v, "heartbeat_ms", 100, 3_600_000)),
                grace,
                maxGrace,
                Duration.ofMillis(integer(v, "kill_grace_ms", 100, 600_000)),
                (int) integer(v, "exec_history", 1, 10_000),
                size(v, "memory_limit", 16L << 20, 1L << 50),
                (int) integer(v, "pids_limit", 8, 4_194_304),
                cpus,
                (int) integer(v, "sandbox_uid", 1, Integer.MAX_VALUE),
                hostname,
                seccomp,
                java.util.Set.copyOf(networkModes),
                corsOrigins(v.get("cors_origins")),
                (int) integer(v, "open_files_limit", 64, 1 << 20),
                size(v, "file_size_limit", 1L << 20, 1L << 50),
                size(v, "tmpfs_size", 1L << 20, 1L << 50),
                size(v, "max_body_bytes", 64 * 1024, 1L << 30),
                Duration.ofMillis(integer(v, "reaper_interval_ms", 10, 3_600_000)),
                size(v, "max_file_bytes", 1, 1L << 50),
                size(v, "max_read_bytes", 1, 256L << 20),
                List.copyOf(tenants),
                egressDeny,
                diskQuota(v, explicit),
                (int) integer(v, "warm_pool_size", 0, 1000),
                warmPoolImages(v));
    }

    private static java.util.Set<String> corsOrigins(String list) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (String o : list.split(",")) {
            String origin = o.trim();
            if (origin.isEmpty()) continue;
            if (!origin.equals("*") && !origin.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
                throw new ConfigException("cors_origins entry '" + origin + "' must look like https://host[:port] (or *)");
            }
            out.add(origin);
        }
        return java.util.Set.copyOf(out);
    }

    static Path defaultDataDir(Map<String, String> env) {
        if ("root".equals(System.getProperty("user.name"))) return Path.of("/var/lib/sandkasten");
        String xdg = env.get("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("sandkasten");
    }

    private static long integer(Map<String, String> v, String key, long min, long max) {
        return integer(v, key, v.get(key), min, max);
    }

    private static long integer(Map<String, String> v, String key, String raw, long min, long max) {
        long n;
        try {
            n = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be an integer, got '" + raw + "'");
        }
        if (n < min || n > max) throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + n);
        return n;
    }

    /** Parses a byte size ({@link ByteSize}) between {@code min} and {@code max}. */
    static long size(Map<String, String> v, String key, long min, long max) {
        String raw = v.get(key);
        long bytes = ByteSize.parse(raw).orElseThrow(() -> new ConfigException(
                key + " must be a size such as 1048576, 512MiB or 1GiB, got '" + raw + "'"));
        if (bytes < min || bytes > max) throw new ConfigException(key + " must be between " + min + " and " + max + " bytes");
        return bytes;
    }
}
