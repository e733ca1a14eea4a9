package dev.ccpo.cli;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigException;
import dev.ccpo.config.ConfigSpec;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** What every service's main does first and last: read its config, and wait for SIGTERM. */
public final class Cli {
    private Cli() { }

    /** Config from args and the environment; --help prints usage and exits 0, a bad key or value prints why and exits 2. */
    public static Config configOrExit(ConfigSpec spec, String[] args) {
        try {
            Config c = Config.load(spec, args, System.getenv());
            for (String k : c.unknownKafkaKeys())
                System.err.println(spec.service() + ": WARNING: " + k + " is not a setting of any Kafka client (producer, "
                        + "consumer, admin, streams); misspelt? It is passed on but most likely ignored.");
            return c;
        } catch (Config.HelpRequested help) {
            System.out.print(help.getMessage());
            System.exit(0);
        } catch (ConfigException e) {
            System.err.println(spec.service() + ": " + e.getMessage());
            System.exit(2);
        }
        throw new AssertionError("unreachable");
    }

    /**
     * A key that must name an existing folder (a model checkpoint): otherwise the configuration error, naming the key,
     * and exit 2 (not a stack trace from deep inside the loader). {@code required}: blank is an error too.
     */
    public static void folderOrExit(Config c, String key, boolean required) {
        String v = c.string(key);
        String problem = v.isBlank() ? (required ? "is required" : null)
                : !Files.isDirectory(Path.of(v)) ? "names no folder: " + Path.of(v).toAbsolutePath() : null;
        if (problem == null) return;
        System.err.println(c.spec().service() + ": " + key + " " + problem + " (see --help)");
        System.exit(2);
    }

    /** A key that must not be blank: otherwise the configuration error naming it, and exit 2. */
    public static String requiredOrExit(Config c, String key) {
        String v = c.string(key);
        if (!v.isBlank()) return v;
        System.err.println(c.spec().service() + ": " + key + " is required (see --help)");
        System.exit(2);
        return v;
    }

    /**
     * Fails fast when the Kafka cluster cannot be reached: the error names bootstrap.servers and the process exits 1,
     * instead of clients retrying for a minute (or forever). Waits at most {@code startup.timeout.ms}.
     */
    public static void brokerOrExit(Config c) {
        long ms = c.longValue(CommonKeys.STARTUP_TIMEOUT_MS);
        Map<String, Object> p = new HashMap<>(c.kafkaClientProperties());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, ms));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, ms));
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().nodes().get(ms, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            System.err.println(c.spec().service() + ": cannot reach the Kafka cluster at " + CommonKeys.BOOTSTRAP_SERVERS + "="
                    + c.string(CommonKeys.BOOTSTRAP_SERVERS) + " within " + CommonKeys.STARTUP_TIMEOUT_MS + "=" + ms + " ms ("
                    + (e.getCause() != null ? e.getCause() : e) + ")");
            System.exit(1);
        }
    }

    /**
     * Runs onStop from a shutdown hook (SIGTERM, SIGINT) and blocks until it has finished, so a
     * service flushes, commits and closes before the JVM exits with status 0.
     */
    public static void awaitShutdown(Runnable onStop) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch hookDone = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            try {
                onStop.run();
            } finally {
                hookDone.countDown();
            }
        }, "shutdown"));
        stopped.await();
        hookDone.await();
    }
}
