package dev.ccpo.demo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.ccpo.config.Config;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real path: a tiny random DJL model saved to disk, opened by the command, on 3 synthetic tasks + a file. */
class EvaluateTinyModelTest {
    @TempDir Path dir;

    @Test
    void scoresASavedCheckpointOnSyntheticTasksAndAFile() throws Exception {
        Path model = dir.resolve("model");
        try (CausalLM m = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 7, Device.cpu())) {
            m.save(model);
        }
        // A tiny gsm8k-format file; the format is detected from its folder name.
        Path file = dir.resolve("gsm8k/test.jsonl");
        Files.createDirectories(file.getParent());
        Files.writeString(file, String.join("\n",
                "{\"question\": \"What is 2 + 3?\", \"answer\": \"2 + 3 = 5\\n#### 5\"}",
                "{\"question\": \"What is 4 * 2?\", \"answer\": \"4 * 2 = 8\\n#### 8\"}",
                "{\"question\": \"What is 9 - 1?\", \"answer\": \"9 - 1 = 8\\n#### 8\"}",
                "{\"question\": \"What is 1 + 1?\", \"answer\": \"#### 2\"}") + "\n");
        Path tableFile = dir.resolve("out/table.txt");
        Config cfg = Config.of(Evaluate.spec(), Map.of(
                "checkpoint", model.toString(),
                "device", "cpu",
                "datasets", "synthetic," + file,
                "limit", "3",
                "voters", "2",
                "max.new.tokens", "6",
                "progress.interval.ms", "0",
                "output", tableFile.toString()));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        EvalTable t = Evaluate.run(cfg, new PrintStream(buf, true, StandardCharsets.UTF_8));

        assertEquals(List.of("CoT (single agent)", "THINK_REASON", "VOTING (n=2)"), t.methods());
        assertEquals(List.of("synthetic", "gsm8k"), t.datasets());
        assertEquals(List.of("Method", "synthetic", "gsm8k", "Avg."), t.header());
        for (String m : t.methods()) {
            for (String d : t.datasets()) {
                EvalTable.Cell c = t.cell(m, d);
                assertEquals(3, c.tasks(), m + " on " + d);
                assertEquals(0, c.errors(), m + " on " + d + " must run, not fail");
                assertTrue(c.accuracy() >= 0 && c.accuracy() <= 1, m + " on " + d + ": " + c.accuracy());
            }
            double avg = t.average(m);
            assertEquals((t.accuracy(m, "synthetic") + t.accuracy(m, "gsm8k")) / 2, avg, 1e-12);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        String text = Files.readString(tableFile);
        assertTrue(printed.contains(text), "printed output holds the table:\n" + printed);
        String[] lines = text.split("\n");
        assertTrue(lines[0].startsWith("Method") && lines[0].endsWith("Avg."), lines[0]);
        assertTrue(lines[2].startsWith("CoT (single agent)"), lines[2]);
        assertTrue(lines[3].startsWith("THINK_REASON"), lines[3]);
        assertTrue(lines[4].startsWith("VOTING (n=2)"), lines[4]);
        assertTrue(printed.contains("evaluate [") && printed.contains("18/18 tasks"), printed);
    }
}
