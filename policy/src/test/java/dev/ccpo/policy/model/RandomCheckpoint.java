package dev.ccpo.policy.model;

import ai.djl.Device;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a seeded random checkpoint folder without a tokenizer (generate takes --prompt-ids), for speed measurements:
 * {@code java -cp policy/target/policy-<version>.jar:policy/target/test-classes dev.ccpo.policy.model.RandomCheckpoint <dir>}
 * gives the 128M model of ModelBenchmark (qwen2, 12 layers, hidden 768, 12 heads, 4 KV heads, ffn 3072, vocab 32000, tied).
 */
public final class RandomCheckpoint {
    private RandomCheckpoint() {}

    /** The 128M configuration. */
    static ModelConfig config() {
        return new ModelConfig("qwen2", 32000, 768, 12, 12, 4, 3072, 10000.0, 1e-6, true, true, 4096);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        ModelConfig c = config();
        try (CausalLM m = CausalLM.init(c, new CharTokenizer(), 1, Device.cpu())) {
            m.save(dir);
        }
        Files.delete(dir.resolve(CharTokenizer.FILE_NAME));
        long params = Checkpoint.expectedShapes(c).values().stream()
                .mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum();
        System.out.println("wrote " + dir + ": " + params + " parameters");
    }
}
