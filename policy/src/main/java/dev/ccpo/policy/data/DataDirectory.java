package dev.ccpo.policy.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the shared benchmark files live: the system property {@code ccpo.data.dir} if set, else the
 * first {@code shared/data} found beside the working directory or one of its parents (the project
 * keeps them at {@code ../shared/data} from its root, so this works from the root and from a module).
 */
public final class DataDirectory {

    public static final String PROPERTY = "ccpo.data.dir";

    private DataDirectory() {}

    public static Optional<Path> find() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
        }
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("data");
            if (Files.isDirectory(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    /** As {@link #find()}, failing with a message that says how to point at the files. */
    public static Path require() {
        return find().orElseThrow(() -> new IllegalStateException(
                "Shared data directory not found: set -D" + PROPERTY + "=<dir> or run from inside the project "
                        + "(it looks for shared/data beside the working directory and its parents)"));
    }
}
