package dev.ccpo.infra;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A service's shaded jar (built into {@code target/} by the package phase, before failsafe runs) started as a child
 * JVM, the way it runs in production: for fault tests that SIGKILL it and start it again.
 */
public final class ServiceJar {
    private ServiceJar() {}

    /**
     * Starts {@code target/<artifactId>-*.jar} with {@code jvmArgs} and the service's {@code args}; stdin is
     * /dev/null, stdout and stderr go to {@code log} (replaced).
     */
    public static Process start(String artifactId, List<String> jvmArgs, List<String> args, Path log) throws IOException {
        File jar;
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            jar = files.filter(p -> p.getFileName().toString().matches(artifactId + "-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + artifactId + " jar in target/: run mvn verify, not just test"))
                    .toFile();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-jar", jar.getPath()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }
}
