package dev.ccpo.counterfactual;

import dev.ccpo.avro.Trajectory;
import dev.ccpo.cli.Progress;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.Roles;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.kafka.TransactionalWorker;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counterfactual worker throughput with the real tiny CausalLM on a real local broker, 1 instance
 * and then 2 instances in one consumer group (each with its own models, as two processes would have).
 * Input: real THINK_REASON trajectories rolled out by the same tiny model (a few groups, replicated
 * under fresh ids up to --trajectories). A phase is timed from the workers' start until every
 * outcome is visible to a read_committed reader, i.e. committed.
 *
 * <p>Run: {@code mvn -o -q -B -pl counterfactual-app test-compile dependency:build-classpath
 * -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test}, then from counterfactual-app:
 * {@code java -Xmx2g -Dai.djl.offline=true -cp target/test-classes:target/classes:$(cat target/cp.txt)
 * dev.ccpo.counterfactual.CounterfactualBenchmark --trajectories=64 --counterfactual.samples=4 --max.new.tokens=32}
 */
public final class CounterfactualBenchmark {
    public static void main(String[] args) throws Exception {
        int n = 64;
        List<String> rest = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("--trajectories=")) n = Integer.parseInt(a.substring("--trajectories=".length()));
            else rest.add(a);
        }
        Path modelDir = RealTrajectories.checkpoint(1);
        try (LocalCluster cluster = LocalCluster.start(); Verifier verifier = new Verifier()) {
            Config cfg = cluster.config(CounterfactualApp.spec(), rest.toArray(String[]::new));
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            Map<String, Object> kafka = cfg.kafkaClientProperties();
            String in = cfg.string(CommonKeys.TOPIC_TRAJECTORIES);
            int maxNew = cfg.integer("max.new.tokens");
            int k = cfg.integer("counterfactual.samples");

            List<Trajectory> base = new ArrayList<>();
            try (RolePolicies<ChatModel> gen = RealTrajectories.policies(modelDir, 1)) {
                TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
                for (int g = 0; g < 4; g++)
                    base.addAll(RealTrajectories.group(runner, gen.current(Roles.REASONER).model(), "seed-" + g,
                            RealTrajectories.task("t" + g), 8, maxNew, 0, g));
            }
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < n; i++) {
                    Trajectory t = Trajectory.newBuilder(base.get(i % base.size())).build();
                    String groupId = "bench-g" + (i / 8);
                    t.setGroupId(groupId);
                    t.setTrajectoryId(groupId + "/" + (i % 8));
                    p.send(new ProducerRecord<>(in, groupId.getBytes(StandardCharsets.UTF_8), serdes.trajectory().serialize(in, t)));
                }
            }
            double one = phase(cluster, cfg, serdes, modelDir, verifier, 1, n, k);
            double two = phase(cluster, cfg, serdes, modelDir, verifier, 2, n, k);
            System.out.printf("RESULT counterfactual: THINK_REASON K=%d max.new.tokens=%d trajectories=%d cores=%d | "
                            + "1 instance: %.2f outcomes/s | 2 instances: %.2f outcomes/s total, %.2f per instance | scaling x%.2f%n",
                    k, maxNew, n, Runtime.getRuntime().availableProcessors(), one, two, two / 2, two / one);
        }
    }

    /** Runs `instances` workers in a fresh consumer group over the whole input; returns outcomes/s over all of them. */
    private static double phase(LocalCluster cluster, Config cfg, RecordSerdes serdes, Path modelDir, Verifier verifier,
                                int instances, int n, int k) throws Exception {
        String group = "bench-" + instances;
        String out = "bench.counterfactuals." + instances;
        cluster.createTopic(out, 4, Map.of());
        Map<String, Object> kafka = cfg.kafkaClientProperties();
        SamplingParams params = new SamplingParams((float) cfg.decimal("temperature"), (float) cfg.decimal("top.p"),
                cfg.integer("max.new.tokens"), List.of(), cfg.longValue("seed"));
        List<TransactionalWorker<Trajectory>> workers = new ArrayList<>();
        List<RolePolicies<ChatModel>> models = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            RolePolicies<ChatModel> policies = RealTrajectories.policies(modelDir, 1);
            models.add(policies);
            CounterfactualComputer computer = new CounterfactualComputer(policies, new PromptLibrary(), verifier, params, k,
                    cfg.longValue("seed"), "bench-" + i);
            CounterfactualHandler handler = new CounterfactualHandler(computer, policies, null, serdes.counterfactual(), out, CharTokenizer.VOCAB);
            workers.add(new TransactionalWorker<>(kafka, group, "w" + i, cfg.string(CommonKeys.TOPIC_TRAJECTORIES),
                    serdes.trajectory().deserializer(), handler, cfg.string(CommonKeys.TOPIC_DLQ), serdes.deadLetter(),
                    cfg.integer("max.poll.records"), cfg.integer("transaction.timeout.ms")));
        }
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + instances);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Progress progress = new Progress(instances + " instance(s)", "outcomes", n, 2000, System.out);
        List<Thread> threads = new ArrayList<>();
        long seen = 0;
        long t0 = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            for (TransactionalWorker<Trajectory> w : workers) {
                Thread t = new Thread(w::run, "bench-worker");
                t.start();
                threads.add(t);
            }
            reader.subscribe(List.of(out));
            long deadline = System.currentTimeMillis() + 20 * 60_000;
            while (seen < n && System.currentTimeMillis() < deadline) {
                seen += reader.poll(Duration.ofMillis(100)).count();
                progress.update(seen, "");
            }
        } finally {
            for (TransactionalWorker<Trajectory> w : workers) w.stop();
            for (Thread t : threads) t.join(60_000);
            for (RolePolicies<ChatModel> m : models) m.close();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        StringBuilder split = new StringBuilder();
        for (TransactionalWorker<Trajectory> w : workers) split.append(' ').append(w.processed());
        System.out.printf("%d instance(s): %d outcomes in %.1fs = %.2f outcomes/s; trajectories per instance:%s%n",
                instances, seen, secs, seen / secs, split);
        if (seen != n) throw new IllegalStateException("expected " + n + " outcomes, saw " + seen);
        return seen / secs;
    }
}
