package dev.ccpo.policy.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** policy/README.md's tables of the command settings are the specs' own. */
class ReadmeConfigTest {
    @Test
    void readmeListsEveryKeyWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("README.md")); // surefire runs in the module folder
        for (PolicyCli.Command c : PolicyCli.COMMANDS.values()) {
            for (String row : c.spec().markdown().split("\n")) {
                assertTrue(readme.contains(row), "policy/README.md lacks the row of " + c.spec().service() + ":\n" + row);
            }
        }
    }
}
