package dev.ccpo.demo;

import dev.ccpo.demo.eval.HeldOutEval;
import dev.ccpo.demo.monitor.PipelineMonitor;
import dev.ccpo.analytics.PageCheck;
import dev.ccpo.config.Config;
import dev.ccpo.demo.report.MetricsTable;
import dev.ccpo.demo.report.Report;
import dev.ccpo.infra.LocalCluster;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

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
     * team=voting: three voters, each its own policy warm-started for its share of warm.steps (8, 4 and 2 steps here),
     * trained through the pipeline; every voter of every trajectory gets its recomputed counterfactual and its advantage.
     */
    @Test
    void shortVotingDemoCreditsEveryVoterFromItsOwnPolicy(@TempDir Path dir) throws Throwable {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Demo.Outcome o = new Demo(shortDemo(dir, "plaintext", "team", "voting", "warm.steps", "8", "max.new.tokens", "40",
                "analytics", "false"), new PrintStream(new TeeStream(log, System.out), true)).run();
        String text = log.toString();
        assertTrue(text.contains("voter2: 0.25 of warm.steps = 2 steps"), text);
        Map<String, Long> counts = o.topicCounts();
        long trajectories = counts.getOrDefault("trajectories", 0L);
        assertTrue(o.versions() >= 3 && trajectories >= 4 * 3, "3 versions trained: " + o.versions() + " " + counts);
        assertEquals(3 * trajectories, counts.get("counterfactuals"), "one counterfactual per voter (recomputed): " + counts);
        assertEquals(3 * trajectories, counts.get("advantages"), "one advantage per voter: " + counts);
        assertEquals(0L, counts.getOrDefault("dlq", 0L), "nothing dead-lettered: " + counts);
        assertEquals(List.of(), o.endToEndProblems(), "every trajectory once, each voter's counterfactual and advantage once");
        assertEquals(List.of("voter0", "voter1", "voter2"), List.copyOf(o.last().voters().keySet()), "each voter evaluated alone");
        assertEquals(3L, ((java.util.TreeMap<Long, HeldOutEval.Result>) o.evaluations()).lastKey(),
                "the learner stops at max.versions, so the last evaluation is exactly v3: " + o.evaluations().keySet());
        assertTrue(o.creditQuality().stream().anyMatch(f -> f.role().equals("voter") && f.judged() > 0), "voters' turns judged: " + o.creditQuality());
        assertTrue(Files.readString(o.reportDir().resolve("metrics.csv")).lines().findFirst().orElse("").contains("voter2_accuracy"));
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
        checkNothingLostEndToEnd(o, text);
    }

    /**
     * Three brokers, topics with 3 replicas and min.insync.replicas 2: the broker leading the most partitions of
     * ccpo.trajectories and ccpo.advantages is killed with SIGKILL once advantages flow and restarted 20 s later. The
     * services carry on with the other two, and end to end nothing is lost or doubled.
     */
    @Test
    void threeBrokersLeaderKilledMidRunLosesNothingEndToEnd(@TempDir Path dir) throws Throwable {
        runThreeBrokersThroughAFailover(dir, new Failover(false));
    }

    /**
     * Three brokers: the busiest leader killed, then a second broker, so only one is left: below min.insync.replicas
     * (and the KRaft quorum) for 15 s; then both come back. The services block (no crash), resume, and end to end
     * nothing is lost or doubled.
     */
    @Test
    void threeBrokersTwoKilledBelowMinInsyncReplicasBlockThenResumeLosingNothing(@TempDir Path dir) throws Throwable {
        runThreeBrokersThroughAFailover(dir, new Failover(true));
    }

    /** The short demo on three brokers through {@code failover}; then the failover's own checks and the end-to-end one. */
    private void runThreeBrokersThroughAFailover(Path dir, Failover failover) throws Throwable {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Demo.Outcome o = new Demo(shortDemo(dir, "plaintext", "brokers", "3", "max.versions", "5", "analytics", "false"),
                new PrintStream(new TeeStream(log, System.out), true)).run(failover);
        failover.check(log.toString());
        checkNothingLostEndToEnd(o, log.toString());
    }

    /** One counterfactual per trajectory and masked agent, one advantage per trajectory and role, nothing dead-lettered, weights in order. */
    private static void checkNothingLostEndToEnd(Demo.Outcome o, String text) {
        Map<String, Long> counts = o.topicCounts();
        long trajectories = counts.getOrDefault("trajectories", 0L);
        assertTrue(trajectories >= 4 * 5, "trajectories for 5 versions: " + counts);
        assertEquals(trajectories, counts.get("counterfactuals"), "one counterfactual per trajectory (THINK_REASON): " + counts);
        assertEquals(2 * trajectories, counts.get("advantages"), "one advantage per trajectory and role: " + counts);
        assertEquals(0L, counts.getOrDefault("dlq", 0L), "nothing dead-lettered: " + counts);
        assertTrue(o.versions() >= 5, "training went on after the restart: " + o.versions() + "\n" + text);
        assertTrue(o.workerVersions().getOrDefault("gen-1", 0L) >= 3, "the generator kept following the weights: " + o.workerVersions());
        assertEquals(List.of(), o.endToEndProblems(), "every trajectory once, with its counterfactual and both advantages; weights versions increasing");
    }

    /**
     * Once advantages flow: SIGKILL of the broker leading the most partitions of ccpo.trajectories and ccpo.advantages;
     * with {@code second}, 5 s later a second broker too, for 15 s (one broker left: below min.insync.replicas 2 and
     * without a KRaft majority), then it is restarted; the first is restarted 20 s after its kill (or once the second
     * is back). Measures how long after the first kill the next advantage was committed.
     */
    static final class Failover implements Demo.RunObserver {
        private final boolean second;
        private final List<String> events = new java.util.ArrayList<>();
        private Throwable failure;

        Failover(boolean second) { this.second = second; }

        @Override
        public void running(LocalCluster cluster, String pageUrl) {
            try (Admin admin = Admin.create(cluster.kafkaProps())) {
                int first = busiestLeader(admin);
                long before = committedAdvantages(admin);
                long t0 = System.nanoTime();
                AtomicLong resumedAt = new AtomicLong(-1);
                Thread watch = new Thread(() -> { // the first advantage committed after the kill, whatever the restarts do
                    try (Admin a = Admin.create(cluster.kafkaProps())) {
                        while (resumedAt.get() < 0 && System.nanoTime() - t0 < 300_000_000_000L) {
                            if (committedAdvantages(a) > before) resumedAt.set(System.nanoTime());
                            else Thread.sleep(500);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "failover-watch");
                watch.start();
                cluster.killBroker(first);
                events.add(String.format(Locale.ROOT, "killed broker %d (leader of the most trajectories/advantages partitions); ccpo.advantages' last stable offsets sum to %d", first, before));
                if (second) {
                    Thread.sleep(5000);
                    int other = cluster.brokerIds().stream().filter(id -> id != first).findFirst().orElseThrow();
                    cluster.killBroker(other);
                    events.add(String.format(Locale.ROOT, "%.1f s: killed broker %d too: one broker left", seconds(t0), other));
                    Thread.sleep(15_000);
                    cluster.startBroker(other);
                    events.add(String.format(Locale.ROOT, "%.1f s: broker %d back: two of three in sync", seconds(t0), other));
                }
                Thread.sleep(Math.max(0, 20_000 - (System.nanoTime() - t0) / 1_000_000));
                if (cluster.brokerAlive(first)) throw new AssertionError("broker " + first + " is alive before its restart");
                cluster.startBroker(first);
                events.add(String.format(Locale.ROOT, "%.1f s: broker %d restarted", seconds(t0), first));
                watch.join(300_000);
                events.add(resumedAt.get() < 0 ? "no new advantage committed within 300 s of the first kill"
                        : String.format(Locale.ROOT, "first new advantage committed %.1f s after the first kill", (resumedAt.get() - t0) / 1e9));
                events.forEach(e -> System.out.println("DemoIT failover: " + e));
            } catch (Throwable e) {
                failure = e;
            }
        }

        void check(String text) throws Throwable {
            if (failure != null) throw failure;
            assertTrue(events.stream().anyMatch(e -> e.startsWith("first new advantage")), "the pipeline resumed: " + events + "\n" + text);
        }

        private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }

        /** The broker that leads the most partitions of ccpo.trajectories and ccpo.advantages. */
        private static int busiestLeader(Admin admin) throws Exception {
            Map<Integer, Integer> led = new java.util.TreeMap<>();
            admin.describeTopics(List.of("ccpo.trajectories", "ccpo.advantages")).allTopicNames().get(30, TimeUnit.SECONDS).values()
                    .forEach(d -> d.partitions().forEach(p -> led.merge(p.leader().id(), 1, Integer::sum)));
            return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        }

        /** The sum of ccpo.advantages' last stable offsets (it grows when the credit app commits advantages); -1 while unknown. */
        private static long committedAdvantages(Admin admin) {
            try {
                List<TopicPartition> parts = admin.describeTopics(List.of("ccpo.advantages")).allTopicNames().get(5, TimeUnit.SECONDS)
                        .get("ccpo.advantages").partitions().stream().map(p -> new TopicPartition("ccpo.advantages", p.partition())).toList();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                parts.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                return admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(5, TimeUnit.SECONDS)
                        .values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
            } catch (Exception e) {
                return -1; // a partition without a leader for now
            }
        }
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
        for (String f : List.of(Report.METRICS_CSV, Report.METRICS_JSON, Report.LEARNING_CURVE_PNG, Report.CREDIT_BY_ROLE_PNG, Report.CREDIT_QUALITY_PNG, Report.ADVANTAGES_PNG))
            assertTrue(Files.size(o.reportDir().resolve(f)) > 100, f + " written in " + o.reportDir());
        // credit against each turn's ground truth, in the status lines and the report. This barely trained model gets
        // nearly every turn wrong (so the AUC, which needs a right and a wrong turn in one group, may stay undefined)
        // and its Reasoner turns are mostly skipped after a truncated plan (no truth): the Thinker's wrong turns are
        // what is sure to be judged.
        assertTrue(text.contains("| credit "), text);
        MetricsTable metrics = MetricsTable.readCsv(o.reportDir().resolve(Report.METRICS_CSV));
        assertTrue(metrics.hasColumn(MetricsTable.Columns.creditAuc("thinker")), metrics.columns().toString());
        double[] rewardedMistakes = metrics.column(MetricsTable.Columns.rewardedMistakes("thinker"));
        assertTrue(java.util.Arrays.stream(rewardedMistakes).anyMatch(x -> x >= 0 && x <= 1),
                "the share of the Thinker's mistakes rewarded: " + java.util.Arrays.toString(rewardedMistakes));
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
        long judgedOnPage = 0;
        for (JsonNode q : summary.path("creditQuality")) judgedOnPage += q.path("judged").asLong();
        assertTrue(judgedOnPage > 0 && judgedOnPage <= counts.get("advantages"), "turns judged on the page: " + summary.path("creditQuality"));
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
