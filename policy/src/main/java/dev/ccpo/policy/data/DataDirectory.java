package dev.ccpo.policy.data;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the benchmark and training files live: the system property {@code ccpo.data.dir} if set, else the
 * project's own {@code data/} folder (the one holding {@code SHA256SUMS}), found from the working directory or
 * from the running jar's location, each searched upwards. So it works from the project root, from a module and
 * for {@code java -jar <module>/target/<jar>} run from anywhere inside or outside the clone.
 */
public final class DataDirectory {

    public static final String PROPERTY = "ccpo.data.dir";
    /** The file that marks a folder as the project's data folder (and lets a test check every file). */
    public static final String SUMS = "SHA256SUMS";

    private DataDirectory() {}

    public static Optional<Path> find() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
        }
        return searchUpwards(Path.of(System.getProperty("user.dir")))
                .or(() -> codeLocation().flatMap(DataDirectory::searchUpwards));
    }

    /** As {@link #find()}, failing with a message that says where it looked and how to point at the files. */
    public static Path require() {
        String configured = System.getProperty(PROPERTY);
        return find().orElseThrow(() -> new IllegalStateException(configured != null && !configured.isBlank()
                ? "-D" + PROPERTY + "=" + configured + " is not a directory"
                : "data directory not found: looked for data/" + SUMS + " above the working directory ("
                        + System.getProperty("user.dir") + ") and above this jar; run from inside the clone or set -D"
                        + PROPERTY + "=<dir>"));
    }

    private static Optional<Path> searchUpwards(Path start) {
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("data");
            if (Files.isRegularFile(candidate.resolve(SUMS))) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    private static Optional<Path> codeLocation() {
        try {
            var source = DataDirectory.class.getProtectionDomain().getCodeSource();
            return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()));
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }
}
