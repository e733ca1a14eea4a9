package dev.ccpo.policy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.*;

/** convert-llama2c and generate on the stories260K fixture, through the command line entry point. */
class PolicyCliTest {
    @TempDir
    static Path tmp;
    static Path fixture;
    static Path model;
    static JsonNode cases;

    record Result(int status, String out, String err) {}

    static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = PolicyCli.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void convert() throws Exception {
        fixture = Path.of(PolicyCliTest.class.getResource("/stories260K/reference.json").toURI()).getParent();
        model = tmp.resolve("stories260K");
        Result r = cli("convert-llama2c", "--in=" + fixture.resolve("stories260K.bin"), "--tokenizer=" + fixture.resolve("tok512.bin"),
                "--out=" + model);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("5 layers, hidden 64, 8 heads, 4 KV heads, ffn 172, vocab 512, 512 positions, tied classifier"), r.out());
        cases = new ObjectMapper().readTree(fixture.resolve("reference.json").toFile()).get("cases");
    }

    static String csv(JsonNode ids) {
        return StreamSupport.stream(ids.spliterator(), false).map(JsonNode::asText).collect(Collectors.joining(","));
    }

    @Test
    void greedyFromIdsGivesRunCsIdsAndTheStory() {
        for (int i = 0; i < cases.size(); i++) {
            Result r = cli("generate", "--model=" + model, "--prompt-ids=" + csv(cases.get(i).get("prompt")), "--max.new.tokens=32",
                    "--temperature=0");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("\nids: " + csv(cases.get(i).get("greedy")) + "\n"), r.out());
            int n = cases.get(i).get("prompt").size();
            assertTrue(r.out().matches("(?s).*prompt tokens: " + n + ", generated tokens: 32, time to first token: [0-9.]+ ms, [0-9.]+ tokens/s.*"), r.out());
            if (i == 0) assertTrue(r.out().contains("\nOnce upon a time, there was a little girl named Lily. She loved to play outside in the park. One\n"), r.out());
        }
    }

    @Test
    void greedyFromTextEncodesLikeRunC() {
        Result r = cli("generate", "--model=" + model, "--prompt=Once upon a time, there was a little boy named Tim. Tim had a big red ball. "
                + "He liked to play with it in the park with his friend", "--max.new.tokens=32");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("\nids: " + csv(cases.get(2).get("greedy")) + "\n"), r.out());
        assertTrue(r.out().contains("prompt tokens: 40,"), r.out());
        assertTrue(r.out().contains("\ns. One day, Tim went to the park"), r.out());
        assertTrue(r.out().startsWith("PyTorch intra-op threads: "), r.out());
    }

    @Test
    void stopsAtEosOnlyWhenAsked() {
        // Sampled (seed 1), the story ends with BOS (id 1), which run.c stops at; the converter lists it in eos_token_id.
        String[] args = {"generate", "--model=" + model, "--prompt-ids=1", "--temperature=1", "--seed=1", "--max.new.tokens=300"};
        String free = idsLine(cli(args));
        assertEquals(300, free.split(",").length, "runs on past the end of the story by default: " + free);
        String[] stopArgs = java.util.Arrays.copyOf(args, args.length + 1);
        stopArgs[args.length] = "--stop.at.eos=true";
        String stopped = idsLine(cli(stopArgs));
        assertTrue(stopped.endsWith(",1") || stopped.endsWith(",2"), "stops at BOS/EOS: " + stopped);
        assertTrue(stopped.split(",").length < 300, stopped);
        assertTrue(free.startsWith(stopped), "the same tokens up to the stop");
    }

    static String idsLine(Result r) {
        assertEquals(0, r.status(), r.err());
        return r.out().lines().filter(l -> l.startsWith("ids: ")).findFirst().orElseThrow();
    }

    @Test
    void badInputsExitWithStatus2AndTheReason() throws Exception {
        Path junk = tmp.resolve("junk.bin");
        Files.writeString(junk, "not a model");
        Result r = cli("convert-llama2c", "--in=" + junk, "--out=" + tmp.resolve("j"));
        assertEquals(2, r.status());
        assertTrue(r.err().contains("is not a llama2.c checkpoint"), r.err());
        r = cli("generate", "--model=" + model, "--prompt-ids=1,999");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("999 is outside the vocabulary [0, 512)"), r.err());
        r = cli("generate", "--model=" + model, "--promt=hi");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("did you mean 'prompt'"), r.err());
        r = cli("generate", "--model=" + model);
        assertEquals(2, r.status());
        assertTrue(r.err().contains("exactly one of"), r.err());
        r = cli("generate", "--model=" + tmp.resolve("nowhere"), "--prompt-ids=1");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("is not a checkpoint folder (no config.json)"), r.err());
        assertEquals(2, cli("nonsense").status());
    }

    @Test
    void withoutATokenizerIdsStillWork() {
        Path bare = tmp.resolve("bare");
        assertEquals(0, cli("convert-llama2c", "--in=" + fixture.resolve("stories260K.bin"), "--out=" + bare).status());
        assertFalse(Files.exists(bare.resolve("tokenizer.json")));
        Result r = cli("generate", "--model=" + bare, "--prompt-ids=1", "--max.new.tokens=32");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("ids: " + csv(cases.get(0).get("greedy"))), r.out());
        r = cli("generate", "--model=" + bare, "--prompt=Once");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("has no tokenizer"), r.err());
    }
}
