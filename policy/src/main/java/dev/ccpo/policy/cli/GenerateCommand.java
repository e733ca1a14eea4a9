package dev.ccpo.policy.cli;

import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.Devices;
import dev.ccpo.policy.model.IdsOnlyTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import dev.ccpo.policy.model.TextTokenizer;
import dev.ccpo.policy.model.TorchThreads;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * generate: continues a prompt with a checkpoint folder's model (KV cache, one row) and prints the continuation (text
 * when the folder has a tokenizer), a line "ids: ..." with the generated ids, and a line with the prompt and generated
 * token counts, the time to the first token and the decoding speed. Greedy (temperature 0) takes the first maximum;
 * it does not stop at EOS unless stop.at.eos says so (the default with --chat).
 */
final class GenerateCommand implements PolicyCli.Command {
    @Override
    public ConfigSpec spec() {
        return TorchThreads.addKeys(new ConfigSpec("policy generate")
                .string("model", "", "Checkpoint folder: config.json, model.safetensors (or shards), tokenizer.json if any. Required.")
                .string("prompt", "", "Prompt text (needs a tokenizer in the folder). One of prompt, prompt-ids.")
                .string("prompt-ids", "", "Prompt as comma-separated token ids, used as given (e.g. 1,403,407).")
                .bool("add.bos", true, "Put the tokenizer's BOS token (<s>, or Llama 3's begin_of_text) before --prompt text when it has one, as llama2.c's run.c does; not with --chat.")
                .bool("chat", false, "Wrap --prompt as one user message in the family's chat template.")
                .choice("stop.at.eos", "auto", "Stop at an end-of-turn / EOS token (the tokenizer's and config.json's eos_token_id); auto: only with --chat.", "auto", "true", "false")
                .integer("max.new.tokens", 64, 1, 1 << 20, "Tokens to generate (fewer if the model's positions run out).")
                .decimal("temperature", 0.0, 0.0, 100.0, "0: greedy (first maximum wins); otherwise sampling temperature.")
                .decimal("top.p", 1.0, 1e-6, 1.0, "Nucleus sampling mass (1: off).")
                .longKey("seed", 0L, Long.MIN_VALUE, "Sampling seed.")
                .string("device", "auto", "auto, cpu, cuda or cuda:N."), 1);
    }

    @Override
    public void run(Config cfg, PrintStream out) {
        if (cfg.string("model").isBlank()) throw new IllegalArgumentException("--model=<checkpoint folder> is required");
        boolean text = !cfg.string("prompt").isEmpty();
        boolean ids = !cfg.string("prompt-ids").isBlank();
        if (text == ids) throw new IllegalArgumentException("give exactly one of --prompt=\"text\" and --prompt-ids=1,2,3");
        if (cfg.bool("chat") && !text) throw new IllegalArgumentException("--chat needs --prompt text");
        Path dir = Path.of(cfg.string("model"));
        if (!java.nio.file.Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalArgumentException("--model: " + dir + " is not a checkpoint folder (no config.json)");
        }
        out.println(TorchThreads.apply(cfg));

        boolean hasTokenizer = CausalLM.hasTokenizer(dir);
        if (text && !hasTokenizer) throw new IllegalArgumentException(dir + " has no tokenizer: give --prompt-ids");
        try (CausalLM m = hasTokenizer ? CausalLM.open(dir, Devices.pick(cfg.string("device")))
                : CausalLM.open(dir, Devices.pick(cfg.string("device")), new IdsOnlyTokenizer(ModelConfig.fromHfJson(dir.resolve("config.json")).vocabSize()))) {
            TextTokenizer tok = m.tokenizer();
            int[] prompt = ids ? parseIds(cfg.string("prompt-ids"), m.vocabSize())
                    : cfg.bool("chat") ? tok.applyChatTemplate(List.of(new ChatMessage("user", cfg.string("prompt"))))
                    : withBos(tok, cfg.bool("add.bos"), tok.encode(cfg.string("prompt")));
            boolean stop = switch (cfg.string("stop.at.eos")) {
                case "true" -> true;
                case "false" -> false;
                default -> cfg.bool("chat");
            };
            SamplingParams params = new SamplingParams((float) cfg.decimal("temperature"), (float) cfg.decimal("top.p"),
                    cfg.integer("max.new.tokens"), List.of(), cfg.longValue("seed"));
            long[] firstAt = {0};
            long t0 = System.nanoTime();
            Completion c = m.generate(List.of(prompt), params, stop ? stopIds(tok, dir) : new int[0], step -> {
                if (step == 1) firstAt[0] = System.nanoTime();
            }).get(0);
            long t1 = System.nanoTime();
            int[] gen = c.outputTokenIds();
            if (hasTokenizer) out.println(continuation(tok, prompt, gen));
            out.println("ids: " + Arrays.stream(gen).mapToObj(Integer::toString).collect(Collectors.joining(",")));
            double ttft = (firstAt[0] - t0) / 1e6;
            String speed = gen.length > 1
                    ? String.format("%.1f tokens/s (the %d tokens after the first)", (gen.length - 1) / ((t1 - firstAt[0]) / 1e9), gen.length - 1)
                    : "no tokens after the first";
            out.printf("prompt tokens: %d, generated tokens: %d, time to first token: %.1f ms, %s%n", prompt.length, gen.length, ttft, speed);
        }
    }

    /** The text the generated ids add to the prompt's text (so a leading space or a multi-byte character comes out right). */
    static String continuation(TextTokenizer tok, int[] prompt, int[] gen) {
        String before = tok.decode(prompt);
        int[] all = Arrays.copyOf(prompt, prompt.length + gen.length);
        System.arraycopy(gen, 0, all, prompt.length, gen.length);
        String after = tok.decode(all);
        return after.startsWith(before) ? after.substring(before.length()) : tok.decode(gen);
    }

    /** The tokenizer's end-of-turn ids and config.json's eos_token_id (a number or a list). */
    static int[] stopIds(TextTokenizer tok, Path dir) {
        java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
        for (int id : tok.endOfTurnIds()) ids.add(id);
        try {
            com.fasterxml.jackson.databind.JsonNode eos = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(dir.resolve("config.json").toFile()).path("eos_token_id");
            if (eos.isInt()) ids.add(eos.asInt());
            for (com.fasterxml.jackson.databind.JsonNode e : eos) ids.add(e.asInt());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    static int[] withBos(TextTokenizer tok, boolean addBos, int[] ids) {
        if (!addBos) return ids;
        for (String bos : List.of("<s>", "<|begin_of_text|>")) {
            int[] b = tok.encode(bos);
            if (b.length == 1 && tok.decode(b).isEmpty()) { // a special token: decode skips it
                int[] out = new int[ids.length + 1];
                out[0] = b[0];
                System.arraycopy(ids, 0, out, 1, ids.length);
                return out;
            }
        }
        return ids;
    }

    static int[] parseIds(String csv, int vocab) {
        String[] parts = csv.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--prompt-ids: '" + parts[i].trim() + "' is not a token id");
            }
            if (out[i] < 0 || out[i] >= vocab) {
                throw new IllegalArgumentException("--prompt-ids: " + out[i] + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        return out;
    }
}
