package dev.ccpo.demo;

import dev.ccpo.analytics.PageCheck;
import dev.ccpo.config.Config;
import dev.ccpo.demo.report.Report;
import dev.ccpo.infra.LocalCluster;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A shortened demo on a real broker: records through every topic, new versions published and used, a report. */
class DemoIT {

    @Test
    void shortDemoTrainsThroughEveryTopicAndWritesAReport(@TempDir Path dir) throws Throwable {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        BrowserObserver browser = new BrowserObserver();
        Demo.Outcome o = new Demo(shortDemo(dir, "plaintext"), new PrintStream(new TeeStream(log, System.out), true)).run(browser);
        checkRun(o, log.toString());
        browser.check(o.topicCounts());
    }

    /**
     * The same run on a broker that only speaks SASL/SCRAM with ACLs on: each service process and the analytics page
     * run as their own principal with only ServiceAcls' bindings, so every service's ACL row is exercised (a missing
     * grant fails the service, and with it the run).
     */
    @Test
    void shortDemoOnASaslClusterRunsEachServiceAsItsOwnLeastPrivilegePrincipal(@TempDir Path dir) throws Throwable {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Demo.Outcome o = new Demo(shortDemo(dir, "sasl"), new PrintStream(new TeeStream(log, System.out), true)).run();
        String text = log.toString();
        assertTrue(text.contains("SASL/SCRAM with ACLs: principals generator, counterfactual, credit, learner, analytics"), text);
        checkRun(o, text);
    }

    /**
     * The broker stopped for 3 s and started again once advantages flow, under all four service processes: producers
     * and consumers reconnect, training goes on, and every record is counted end to end once the run has drained:
     * one counterfactual per trajectory, one advantage per trajectory and role, nothing dead-lettered.
     */
    @Test
    void brokerRestartedMidRunLosesNothingEndToEnd(@TempDir Path dir) throws Throwable {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        boolean[] restarted = {false};
        Demo.RunObserver restart = new Demo.RunObserver() {
            @Override
            public void running(LocalCluster cluster, String pageUrl) {
                try {
                    cluster.stopBroker();
                    Thread.sleep(3000);
                    cluster.startBroker();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                restarted[0] = true;
            }
        };
        Demo.Outcome o = new Demo(shortDemo(dir, "plaintext", "max.versions", "5", "analytics", "false"),
                new PrintStream(new TeeStream(log, System.out), true)).run(restart);
        String text = log.toString();
        assertTrue(restarted[0], "the broker was restarted mid-run\n" + text);
        Map<String, Long> counts = o.topicCounts();
        long trajectories = counts.getOrDefault("trajectories", 0L);
        assertTrue(trajectories >= 4 * 5, "trajectories for 5 versions: " + counts);
        assertEquals(trajectories, counts.get("counterfactuals"), "one counterfactual per trajectory (THINK_REASON): " + counts);
        assertEquals(2 * trajectories, counts.get("advantages"), "one advantage per trajectory and role: " + counts);
        assertEquals(0L, counts.getOrDefault("dlq", 0L), "nothing dead-lettered: " + counts);
        assertTrue(o.versions() >= 5, "training went on after the restart: " + o.versions() + "\n" + text);
        assertTrue(o.workerVersions().getOrDefault("gen-1", 0L) >= 3, "the generator kept following the weights: " + o.workerVersions());
    }

    private static Config shortDemo(Path dir, String security, String... overrides) {
        Map<String, String> settings = new HashMap<>(Map.ofEntries(
                Map.entry("work.dir", dir.toString()), Map.entry("warm.steps", "30"), Map.entry("model.hidden", "32"),
                Map.entry("model.layers", "1"), Map.entry("group.size", "4"), Map.entry("groups.per.version", "1"),
                Map.entry("max.versions", "3"), Map.entry("eval.tasks", "8"), Map.entry("eval.every", "1"),
                Map.entry("max.new.tokens", "24"), Map.entry("budget.minutes", "8"), Map.entry("service.heap", "512m"),
                Map.entry("task.count", "500"), Map.entry("analytics.port", "0"), Map.entry("security", security),
                // a loaded CI machine computes a counterfactual seconds after its trajectory: with the demo's 0.5 s
                // grace most groups of a run this short complete after their window (they then count in a later one)
                Map.entry("stats.window.grace.ms", "5000")));
        for (int i = 0; i < overrides.length; i += 2) settings.put(overrides[i], overrides[i + 1]);
        return Config.of(Demo.spec(), settings);
    }

    /** Records through every topic, versions published and used by both workers, a report, the page agreeing. */
    private static void checkRun(Demo.Outcome o, String text) throws Exception {
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
        // every group counts in the credit app's global history: none left out (late ones count in a later window)
        JsonNode credit = new ObjectMapper().readTree(Files.readString(o.reportDir().resolve("credit-stats.json")));
        assertEquals(0L, credit.path("counters").path("stats.excluded").asLong(-1), credit.toString());
        assertTrue(text.contains("credit statistics: 0 groups left out of the global history"), text);
        // the live page's data source, fed by the same run, agrees with the demo's own reader of the topics
        JsonNode summary = new ObjectMapper().readTree(o.analyticsSummary());
        assertEquals(counts.get("trajectories"), summary.path("team").path("trajectories").asLong(), o.analyticsSummary());
        long advantagesOnPage = summary.path("roles").path("thinker").path("advantages").asLong()
                + summary.path("roles").path("reasoner").path("advantages").asLong();
        assertEquals(counts.get("advantages"), advantagesOnPage, o.analyticsSummary());
    }

    /**
     * Opens the live analytics page in headless Chromium twice: mid-run, as soon as advantages flow (its charts must
     * fill), and once the run has settled (what it shows must equal what the demo's own reader counted on the topics).
     */
    static final class BrowserObserver implements Demo.RunObserver {
        private final PageCheck page;
        private Process live;
        private JsonNode settled;
        private Map<Long, double[]> monitored; // policy version -> {trajectories, mean reward}
        private Map<String, Integer> monitoredAdvantages;
        private Throwable failure;

        BrowserObserver() throws Exception {
            page = new PageCheck(Path.of("..", "analytics", "browser-test"), Path.of("target"), "demo-analytics-live");
        }

        @Override
        public void running(LocalCluster cluster, String url) {
            try {
                live = page.start(url, Map.of("trajectories", 1, "advantages", 1, "versions", 1, "timeoutMs", 180_000));
            } catch (Exception e) {
                failure = e;
            }
        }

        @Override
        public void settled(String url, PipelineMonitor monitor) {
            try {
                JsonNode mid = page.finish(live);
                assertTrue(mid.get("ready").asBoolean() && mid.get("polls").asInt() > 0, "page opened mid-run showed data: " + mid);
                assertEquals(0, mid.get("consoleErrors").size(), "JS errors on the page: " + mid.get("consoleErrors"));
                monitored = monitor.read(versions -> {
                    Map<Long, double[]> m = new java.util.TreeMap<>();
                    versions.forEach((v, s) -> { if (s.trajectories > 0) m.put(v, new double[] {s.trajectories, s.meanReward()}); });
                    return m;
                });
                monitoredAdvantages = new java.util.TreeMap<>();
                monitor.advantages().forEach((role, values) -> monitoredAdvantages.put(role, values.size()));
                PageCheck after = new PageCheck(Path.of("..", "analytics", "browser-test"), Path.of("target"), "demo-analytics-settled");
                long trajectories = monitor.count("trajectories"), advantages = monitor.count("advantages");
                settled = after.finish(after.start(url, Map.of("trajectories", trajectories, "advantages", advantages,
                        "versions", monitored.size(), "timeoutMs", 60_000)));
            } catch (Throwable e) {
                failure = e;
            }
        }

        /** The numbers the settled page showed, against the monitor's and the run's counts. */
        void check(Map<String, Long> counts) throws Throwable {
            if (failure != null) throw failure;
            assertTrue(settled != null, "the settled page was never opened");
            assertTrue(settled.get("ready").asBoolean(), "settled page: " + settled);
            assertEquals(counts.get("trajectories").longValue(), settled.get("team").get("trajectories").asLong());
            assertEquals(monitored.size(), settled.get("versions").size(), "one row per policy version: " + settled.get("versions"));
            for (JsonNode row : settled.get("versions")) {
                double[] m = monitored.get(row.get("policyVersion").asLong());
                assertTrue(m != null, "the page shows a version the topics do not have: " + row);
                assertEquals((long) m[0], row.get("trajectories").asLong(), "trajectories of " + row);
                assertEquals(m[1], row.get("meanReward").asDouble(), 1e-9, "mean reward of " + row);
            }
            monitoredAdvantages.forEach((role, n) ->
                    assertEquals(n.intValue(), settled.get("histograms").get(role).get("count").asInt(), "advantages of " + role + " on the page"));
            assertEquals(counts.get("weights").longValue(), settled.get("throughput").get("ccpo.weights").asLong(), "weights records on the page");
            assertEquals(0, settled.get("consoleErrors").size(), "JS errors on the page: " + settled.get("consoleErrors"));
            assertTrue(Files.size(page.screenshot()) > 10_000, "screenshot " + page.screenshot());
        }
    }

    /** Keeps the demo's output for the assertions and shows it in the build log. */
    static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a, b;
        TeeStream(java.io.OutputStream a, java.io.OutputStream b) { this.a = a; this.b = b; }
        @Override public void write(int x) throws java.io.IOException { a.write(x); b.write(x); }
        @Override public void write(byte[] buf, int off, int len) throws java.io.IOException { a.write(buf, off, len); b.write(buf, off, len); }
    }
}
