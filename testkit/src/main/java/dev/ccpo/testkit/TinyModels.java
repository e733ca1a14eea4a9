package dev.ccpo.testkit;

import ai.djl.Device;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real tiny CausalLM (char tokenizer, random init with a seed) as a checkpoint folder or as weights. */
public final class TinyModels {
    private TinyModels() { }

    /** A fresh tiny checkpoint in a new temp folder. */
    public static Path checkpoint(long seed) throws IOException {
        Path dir = Files.createTempDirectory("ccpo-tiny-model-");
        try (CausalLM m = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), seed, Device.cpu())) {
            m.save(dir);
        }
        return dir;
    }

    /** safetensors bytes of another random init: a stand-in for a trained policy version. */
    public static byte[] weights(long seed) {
        try (CausalLM m = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), seed, Device.cpu())) {
            return m.exportWeights();
        }
    }
}
