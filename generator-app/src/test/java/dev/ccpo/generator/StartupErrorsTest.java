package dev.ccpo.generator;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 18: start-up errors are configuration errors naming the key, not stack traces or minute-long waits. */
class StartupErrorsTest {

    record Run(int exit, String output, long millis) { }

    static Run run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), GeneratorApp.class.getName()));
        cmd.addAll(List.of(args));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "exited: " + out);
        return new Run(p.exitValue(), out, (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void aMissingModelDirIsAConfigurationErrorNamingTheKey() throws Exception {
        Run r = run("--model.dir=/no/such/folder", "--model.id=tiny");
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("generator: model.dir names no folder: /no/such/folder (see --help)"), r.output());
        assertTrue(!r.output().contains("Exception"), "no stack trace: " + r.output());
    }

    @Test
    void anUnreachableBrokerFailsFastNamingBootstrapServersAndAMisspeltKafkaKeyIsWarned() throws Exception {
        Path model = TinyModels.checkpoint(1);
        Run r = run("--model.dir=" + model, "--model.id=tiny", "--bootstrap.servers=127.0.0.1:1", "--startup.timeout.ms=3000",
                "--kafka.reconect.backoff.ms=10");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("generator: cannot reach the Kafka cluster at bootstrap.servers=127.0.0.1:1 within startup.timeout.ms=3000 ms"), r.output());
        assertTrue(r.output().contains("generator: WARNING: kafka.reconect.backoff.ms is not a setting of any Kafka client"), r.output());
        assertTrue(r.millis() < 60_000, "failed fast: " + r.millis() + " ms");
    }
}
