package dev.ccpo.policy.cli;

import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.policy.model.Llama2c;
import dev.ccpo.policy.model.ModelConfig;

import java.io.PrintStream;
import java.nio.file.Path;

/** convert-llama2c: a llama2.c checkpoint (and tokenizer.bin) to a Hugging Face checkpoint folder. */
final class ConvertLlama2cCommand implements PolicyCli.Command {
    @Override
    public ConfigSpec spec() {
        return new ConfigSpec("policy convert-llama2c")
                .string("in", "", "llama2.c checkpoint (legacy format, e.g. stories260K.bin). Required.")
                .string("tokenizer", "", "llama2.c tokenizer.bin (e.g. tok512.bin) to convert to tokenizer.json; empty: none.")
                .string("out", "", "Folder to write config.json, model.safetensors and tokenizer.json into. Required.");
    }

    @Override
    public void run(Config cfg, PrintStream out) {
        if (cfg.string("in").isBlank()) throw new IllegalArgumentException("--in=<llama2.c checkpoint file> is required");
        if (cfg.string("out").isBlank()) throw new IllegalArgumentException("--out=<folder> is required");
        Path tok = cfg.string("tokenizer").isBlank() ? null : Path.of(cfg.string("tokenizer"));
        Path dir = Path.of(cfg.string("out"));
        ModelConfig c = Llama2c.convert(Path.of(cfg.string("in")), tok, dir);
        out.printf("converted %s: %d layers, hidden %d, %d heads, %d KV heads, ffn %d, vocab %d, %d positions, %s classifier%n",
                cfg.string("in"), c.numLayers(), c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.intermediateSize(), c.vocabSize(),
                c.maxPositionEmbeddings(), c.tieWordEmbeddings() ? "tied" : "separate");
        out.println("wrote " + dir.resolve("config.json") + ", " + dir.resolve("model.safetensors")
                + (tok == null ? "" : ", " + dir.resolve("tokenizer.json")));
    }
}
