package dev.sandkasten;

import dev.sandkasten.config.Config;
import dev.sandkasten.config.ConfigException;
import dev.sandkasten.config.ConfigLoader;
import dev.sandkasten.daemon.ApiKeys;
import dev.sandkasten.daemon.Daemon;
import dev.sandkasten.daemon.Doctor;
import dev.sandkasten.image.ImageCommand;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Command-line entry point: {@code sandkasten serve|doctor [--listen HOST:PORT] [--data-dir DIR]
 * [--config FILE]}. {@code serve} runs the daemon; {@code doctor} checks the host and the
 * configuration and exits; {@code image ...} manages images ({@link ImageCommand}).
 */
public final class Main {
    private static final String USAGE = """
            usage: sandkasten serve  [--listen HOST:PORT] [--data-dir DIR] [--config FILE]
                   sandkasten doctor [--listen HOST:PORT] [--data-dir DIR] [--config FILE]
                   sandkasten key    (a new tenant API key and the key_sha256 for the config's tenants list)
                   sandkasten image list|build|import|remove ...   (sandkasten image --help)
              Every setting can also come from the config file (YAML) or a SANDKASTEN_* environment variable;
              see docs/configuration.md.""";

    private Main() {}

    /**
     * Carrier threads for the virtual threads that serve connections. The JDK's default, one per
     * core, lets a few streams that always have output to send hold every carrier: virtual
     * threads are not time-sliced, so a quiet stream's next line waited for one of them to block
     * (p99 41-44 ms beside four floods on two cores). With more carriers than busy streams the
     * kernel's scheduler shares the cores out, and a woken stream runs at once (p99 ~20 ms).
     * Must be set before the first virtual thread exists; a -D on the command line wins.
     */
    private static void configureCarriers() {
        String key = "jdk.virtualThreadScheduler.parallelism";
        if (System.getProperty(key) == null) {
            System.setProperty(key, Integer.toString(Math.max(16, 4 * Runtime.getRuntime().availableProcessors())));
        }
    }

    public static void main(String[] args) {
        configureCarriers();
        if (args.length == 1 && args[0].equals("key")) {
            ApiKeys.printNewTenantKey(System.out);
            return;
        }
        if (args.length > 0 && args[0].equals("image")) {
            System.exit(ImageCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.getenv(), System.out,
                    System.err));
        }
        Map<String, String> flags = new LinkedHashMap<>();
        Optional<Path> configFile = Optional.empty();
        int i = 0;
        boolean doctor = false;
        if (args.length > 0 && (args[0].equals("serve") || args[0].equals("doctor"))) {
            doctor = args[0].equals("doctor");
            i = 1;
        }
        for (; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--listen", "--data-dir", "--config" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) fail(a + " needs a value");
                        value = args[++i];
                    }
                    if (a.equals("--config")) configFile = Optional.of(Path.of(value));
                    else flags.put(a.equals("--listen") ? "listen" : "data_dir", value);
                }
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> fail("unknown argument '" + a + "'");
            }
        }
        if (configFile.isEmpty() && System.getenv("SANDKASTEN_CONFIG") != null) {
            configFile = Optional.of(Path.of(System.getenv("SANDKASTEN_CONFIG")));
        }
        try {
            Config config = ConfigLoader.load(configFile, System.getenv(), flags);
            if (doctor) System.exit(Doctor.report(config, System.out));
            Daemon daemon = Daemon.start(config);
            Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "shutdown"));
        } catch (ConfigException | IllegalStateException | java.io.UncheckedIOException e) {
            fail(e.getMessage());
        }
    }

    private static void fail(String message) {
        System.err.println("sandkasten: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }
}
