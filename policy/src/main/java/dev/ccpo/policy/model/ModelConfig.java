package dev.ccpo.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Hugging Face config.json fields we use. family is "qwen2" or "llama". */
public record ModelConfig(String family, int vocabSize, int hiddenSize,
        int numLayers, int numHeads, int numKvHeads, int intermediateSize, double ropeTheta,
        double rmsNormEps, boolean tieWordEmbeddings, boolean attentionBias, int maxPositionEmbeddings) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        if (!"qwen2".equals(family) && !"llama".equals(family)) {
            throw new IllegalArgumentException("model family must be qwen2 or llama, got " + family);
        }
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " not divisible by num_attention_heads " + numHeads);
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads + " not divisible by num_key_value_heads " + numKvHeads);
        }
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** About 2 layers, hidden 64, 4 heads, 2 kv heads: fast on CPU, ChatML family (qwen2). */
    public static ModelConfig tiny(int vocabSize) {
        return new ModelConfig("qwen2", vocabSize, 64, 2, 4, 2, 128, 10000.0, 1e-6, true, true, 512);
    }

    /** Reads config.json; model_type "qwen2" or "llama"; errors name the missing keys. */
    public static ModelConfig fromHfJson(Path configJson) {
        JsonNode n;
        try {
            n = JSON.readTree(configJson.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model config " + configJson + ": " + e.getMessage(), e);
        }
        List<String> missing = new ArrayList<>();
        for (String k : List.of("model_type", "vocab_size", "hidden_size", "num_hidden_layers",
                "num_attention_heads", "intermediate_size", "rms_norm_eps")) {
            if (!n.hasNonNull(k)) missing.add(k);
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(configJson + " lacks required keys " + missing);
        }
        String type = n.get("model_type").asText();
        if (!type.equals("qwen2") && !type.equals("llama")) {
            throw new IllegalArgumentException(configJson + ": model_type must be qwen2 or llama, got " + type);
        }
        int heads = n.get("num_attention_heads").asInt();
        boolean bias = n.has("attention_bias") ? n.get("attention_bias").asBoolean() : type.equals("qwen2");
        if (n.has("rope_scaling") && !n.get("rope_scaling").isNull()
                && !"default".equals(n.get("rope_scaling").path("rope_type").asText("default"))
                && n.get("rope_scaling").path("rope_type").asText().length() > 0) {
            // llama3 rope scaling only matters beyond the original context (8192); we note and ignore it.
            org.slf4j.LoggerFactory.getLogger(ModelConfig.class).warn(
                    "{}: rope_scaling {} is ignored (exact only within the original context length)",
                    configJson, n.get("rope_scaling"));
        }
        return new ModelConfig(type,
                n.get("vocab_size").asInt(),
                n.get("hidden_size").asInt(),
                n.get("num_hidden_layers").asInt(),
                heads,
                n.path("num_key_value_heads").asInt(heads),
                n.get("intermediate_size").asInt(),
                n.path("rope_theta").asDouble(10000.0),
                n.get("rms_norm_eps").asDouble(),
                n.path("tie_word_embeddings").asBoolean(false),
                bias,
                n.path("max_position_embeddings").asInt(4096));
    }

    public void writeHfJson(Path configJson) {
        ObjectNode n = JSON.createObjectNode();
        n.put("model_type", family);
        n.putArray("architectures").add(family.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("num_hidden_layers", numLayers);
        n.put("num_attention_heads", numHeads);
        n.put("num_key_value_heads", numKvHeads);
        n.put("intermediate_size", intermediateSize);
        n.put("rope_theta", ropeTheta);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("attention_bias", attentionBias);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("hidden_act", "silu");
        n.put("torch_dtype", "float32");
        try {
            Files.createDirectories(configJson.toAbsolutePath().getParent());
            JSON.writerWithDefaultPrettyPrinter().writeValue(configJson.toFile(), n);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model config " + configJson, e);
        }
    }
}
