package dev.ccpo.testkit;

import dev.ccpo.config.ConfigSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A module README's configuration table is its spec's own: a key added to the code without docs fails the test. */
public final class ReadmeConfig {
    private ReadmeConfig() { }

    /** Every row of {@code spec.markdown()} is in the module's README.md; {@code specCall} names how to regenerate it. */
    public static void assertListsEveryKey(String module, ConfigSpec spec, String specCall) throws IOException {
        String readme = Files.readString(Path.of("README.md")); // surefire runs in the module folder
        for (String row : spec.markdown().split("\n"))
            assertTrue(readme.contains(row), module + "/README.md lacks the configuration row (regenerate it from " + specCall + "):\n" + row);
    }
}
