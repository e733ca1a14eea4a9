package dev.ccpo.counterfactual;

import dev.ccpo.testkit.ReadmeConfig;
import org.junit.jupiter.api.Test;

class ReadmeConfigTest {
    @Test
    void readmeListsEveryKeyWithItsDefault() throws Exception {
        ReadmeConfig.assertListsEveryKey("counterfactual-app", CounterfactualApp.spec(), "CounterfactualApp.spec().markdown()");
    }
}
