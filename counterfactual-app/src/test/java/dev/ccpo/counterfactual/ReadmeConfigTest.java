package dev.ccpo.counterfactual;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's configuration table is the spec's own: a key added to the code without docs fails here. */
class ReadmeConfigTest {
    @Test
    void readmeListsEveryKeyWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("README.md")); // surefire runs in the module folder
        for (String row : CounterfactualApp.spec().markdown().split("\n"))
            assertTrue(readme.contains(row), "counterfactual-app/README.md lacks the configuration row (regenerate it from CounterfactualApp.spec().markdown()):\n" + row);
    }
}
