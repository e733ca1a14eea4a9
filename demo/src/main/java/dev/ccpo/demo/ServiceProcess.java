package dev.ccpo.demo;

import dev.ccpo.credit.CreditStreamApp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One pipeline service run as a child JVM on the demo's own class path, with its output in a log file: the services
 * run exactly as they would in production (own process, own config, SIGTERM to stop), only on one machine.
 */
public final class ServiceProcess implements AutoCloseable {
    private final String name;
    private final Path log;
    private final Process process;

    private ServiceProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts {@code mainClass} with {@code --key=value} args. The PyTorch services get --pytorch.colocated from the demo:
     * they share the machine's cores, and oversubscribed intra-op threads only make everyone slower.
     */
    public static ServiceProcess start(String name, String mainClass, List<String> args, Path logDir, String maxHeap) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + maxHeap);
        // The credit app moves records and evaluates a few formulas: C1's code is fast enough for it, and C2's
        // compiles were most of its CPU on the shared machine (demo bench, 67 s of the pipeline: 8.9 of 12.9 s; with
        // C1 only, 4.5 s in all). The PyTorch services keep C2: their sampling and glue code run hot in Java.
        if (mainClass.equals(CreditStreamApp.class.getName())) cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(name + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(log.toFile()).start();
            return new ServiceProcess(name, log, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + mainClass + ")", e);
        }
    }

    public String name() { return name; }

    public Path log() { return log; }

    public boolean isAlive() { return process.isAlive(); }

    /** Fails with the tail of the service's log if it exited on its own. */
    public void requireAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with code " + process.exitValue() + "; last lines of " + log + ":\n" + tail(40));
        }
    }

    /** The last lines of the log. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** SIGTERM (the service finishes its unit of work, commits and exits), then kill after the timeout. */
    public int stop(long timeoutSeconds) {
        if (!process.isAlive()) return process.exitValue();
        process.destroy();
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    @Override
    public void close() {
        stop(30);
    }
}
