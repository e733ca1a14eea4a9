package dev.ccpo.generator;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's configuration table is the spec's own: a key added to the code without docs fails here. */
class ReadmeConfigTest {
    @Test
    void readmeListsEveryKeyWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("README.md")); // surefire runs in the module folder
        for (String row : GeneratorApp.spec().markdown().split("\n"))
            assertTrue(readme.contains(row), "generator-app/README.md lacks the configuration row (regenerate it from GeneratorApp.spec().markdown()):\n" + row);
    }
}
