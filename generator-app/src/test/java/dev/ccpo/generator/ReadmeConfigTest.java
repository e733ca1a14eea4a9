package dev.ccpo.generator;

import dev.ccpo.testkit.ReadmeConfig;
import org.junit.jupiter.api.Test;

class ReadmeConfigTest {
    @Test
    void readmeListsEveryKeyWithItsDefault() throws Exception {
        ReadmeConfig.assertListsEveryKey("generator-app", GeneratorApp.spec(), "GeneratorApp.spec().markdown()");
    }
}
