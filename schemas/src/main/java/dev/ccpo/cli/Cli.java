package dev.ccpo.cli;

import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigException;
import dev.ccpo.config.ConfigSpec;

import java.util.concurrent.CountDownLatch;

/** What every service's main does first and last: read its config, and wait for SIGTERM. */
public final class Cli {
    private Cli() { }

    /** Config from args and the environment; --help prints usage and exits 0, a bad key or value prints why and exits 2. */
    public static Config configOrExit(ConfigSpec spec, String[] args) {
        try {
            return Config.load(spec, args, System.getenv());
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
