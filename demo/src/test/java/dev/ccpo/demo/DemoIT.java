package dev.ccpo.demo;

import dev.ccpo.config.Config;
import dev.ccpo.demo.report.Report;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A shortened demo on a real broker: records through every topic, new versions published and used, a report. */
class DemoIT {

    @Test
    void shortDemoTrainsThroughEveryTopicAndWritesAReport(@TempDir Path dir) throws Exception {
        Config cfg = Config.of(Demo.spec(), Map.ofEntries(
                Map.entry("work.dir", dir.toString()), Map.entry("warm.steps", "30"), Map.entry("model.hidden", "32"),
                Map.entry("model.layers", "1"), Map.entry("group.size", "4"), Map.entry("groups.per.version", "1"),
                Map.entry("max.versions", "3"), Map.entry("eval.tasks", "8"), Map.entry("eval.every", "1"),
                Map.entry("max.new.tokens", "24"), Map.entry("budget.minutes", "8"), Map.entry("service.heap", "512m"),
                Map.entry("task.count", "500"), Map.entry("analytics.port", "0")));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new TeeStream(log, System.out), true);

        Demo.Outcome o = new Demo(cfg, out).run();

        String text = log.toString();
        assertTrue(o.versions() >= 3, "the learner published at least 3 versions: " + o.versions() + "\n" + text);
        Map<String, Long> counts = o.topicCounts();
        for (String topic : List.of("tasks", "trajectories", "counterfactuals", "rollout-stats", "advantages", "weights"))
            assertTrue(counts.getOrDefault(topic, 0L) > 0, "records on " + topic + ": " + counts);
        // THINK_REASON: one counterfactual per trajectory, two advantages (thinker, reasoner) per trajectory
        assertTrue(counts.get("advantages") >= 2 * 4 * 3, counts.toString());
        assertEquals(0L, counts.getOrDefault("dlq", 0L), "nothing dead-lettered in a clean run: " + counts);
        assertTrue(o.evaluations().containsKey(0L) && o.evaluations().size() >= 2, "warm start and later versions evaluated: " + o.evaluations());
        assertTrue(o.workerVersions().getOrDefault("gen-1", 0L) >= 1, "the generator used published weights: " + o.workerVersions());
        assertTrue(o.workerVersions().getOrDefault("cf-1", 0L) >= 1, "the counterfactual worker used published weights: " + o.workerVersions());
        for (String f : List.of(Report.METRICS_CSV, Report.METRICS_JSON, Report.LEARNING_CURVE_PNG, Report.CREDIT_BY_ROLE_PNG, Report.ADVANTAGES_PNG))
            assertTrue(Files.size(o.reportDir().resolve(f)) > 100, f + " written in " + o.reportDir());
        assertTrue(text.contains("[4/4]") && text.contains("held-out v0") && text.contains("live analytics page: http://"), text);
        // the live page's data source, fed by the same run, agrees with the demo's own reader of the topics
        JsonNode summary = new ObjectMapper().readTree(o.analyticsSummary());
        assertEquals(counts.get("trajectories"), summary.path("team").path("trajectories").asLong(), o.analyticsSummary());
        long advantagesOnPage = summary.path("roles").path("thinker").path("advantages").asLong()
                + summary.path("roles").path("reasoner").path("advantages").asLong();
        assertEquals(counts.get("advantages"), advantagesOnPage, o.analyticsSummary());
    }

    /** Keeps the demo's output for the assertions and shows it in the build log. */
    static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a, b;
        TeeStream(java.io.OutputStream a, java.io.OutputStream b) { this.a = a; this.b = b; }
        @Override public void write(int x) throws java.io.IOException { a.write(x); b.write(x); }
        @Override public void write(byte[] buf, int off, int len) throws java.io.IOException { a.write(buf, off, len); b.write(buf, off, len); }
    }
}
