package dev.ccpo.demo;

import ai.djl.Device;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.CounterfactualMethod;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.counterfactual.CounterfactualApp;
import dev.ccpo.credit.CreditStreamApp;
import dev.ccpo.generator.GeneratorApp;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.learner.LearnerApp;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import dev.ccpo.policy.model.SafeTensors;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsBlob;
import dev.ccpo.weights.WeightsFollower;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18's acceptance test, on a real broker with the four services as separate processes: each class of bad record
 * (extreme rewards, an extreme advantage and one whose update overflows, an oversized question on ccpo.tasks and
 * inside a trajectory, a counterfactual naming another trajectory, a duplicate trajectory id) among valid groups.
 * No service exits, the valid groups train (new weight versions, every float finite), and every bad record is in
 * ccpo.dlq with its reason.
 */
class PoisonPipelineIT {
    static final String HUGE = "7+".repeat(150_000) + "1?";  // 300 KB: ~40 GB of attention scores if it reached the model

    @Test
    void everyBadRecordIsDeadLetteredNoServiceExitsAndTheValidGroupsTrain(@TempDir Path dir) throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            Path model = dir.resolve("tiny");
            byte[] initial;
            try (CausalLM m = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 3, Device.cpu())) {
                m.save(model);
                initial = m.exportWeights();
            }
            Path prompts = DemoTasks.writePrompts(dir.resolve("prompts"));
            RecordSerdes serdes = RecordSerdes.fromConfig(cluster.config("poison-it"));
            List<String> common = List.of("--" + CommonKeys.BOOTSTRAP_SERVERS + "=" + cluster.bootstrapServers(),
                    "--" + CommonKeys.REGISTRY_URL + "=" + cluster.registryUrl());
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                // the oversized task first, on the partition of the valid ones: the generator meets it before them
                p.send(new ProducerRecord<>("ccpo.tasks", 0, null, serdes.task().serialize("ccpo.tasks", task("huge-task", HUGE, "1")))).get();
                for (int i = 0; i < 6; i++)
                    p.send(new ProducerRecord<>("ccpo.tasks", 0, null, serdes.task().serialize("ccpo.tasks", task("t" + i, i + "+2=?", "" + (i + 2))))).get();
            }
            Path logs = dir.resolve("logs");
            List<ServiceProcess> services = new ArrayList<>();
            try {
                services.add(ServiceProcess.start("learner", LearnerApp.class.getName(), concat(common, "--model.dir=" + model,
                        "--model.id=tiny", "--roles=thinker,reasoner", "--device=cpu", "--batch.groups=1", "--micro.batch.size=16",
                        "--alternate.steps=0", "--publish.every=1", "--max.policy.lag=1000", "--checkpoint.dir=" + dir.resolve("ck"),
                        "--checkpoint.every=1000", "--weights.dir=" + dir.resolve("w")), logs, "384m"));
                services.add(ServiceProcess.start("credit", CreditStreamApp.class.getName(), concat(common, "--application.id=poison-it",
                        "--http.port=0", "--group.grace.ms=15000", "--stats.window.ms=2000", "--stats.window.grace.ms=1000",
                        "--history.max.wait.ms=10000", "--kafka.state.dir=" + dir.resolve("credit-state"),
                        // the untrained model's turns all reach max.new.tokens: with the reference's truncation masking every
                        // advantage would be 0 and nothing could show that the valid groups train
                        "--credit.mask.truncated=false"), logs, "384m"));
                services.add(ServiceProcess.start("counterfactual", CounterfactualApp.class.getName(), concat(common, "--worker.id=cf-1",
                        "--model.dir=" + model, "--model.id=tiny", "--device=cpu", "--prompts.dir=" + prompts, "--max.new.tokens=12",
                        "--max.poll.records=4"), logs, "512m"));
                services.add(ServiceProcess.start("generator", GeneratorApp.class.getName(), concat(common, "--worker.id=gen-1",
                        "--model.dir=" + model, "--model.id=tiny", "--device=cpu", "--prompts.dir=" + prompts, "--task.source=topic",
                        "--topology=THINK_REASON", "--group.size=2", "--groups.per.version=1", "--max.policy.lag=1000",
                        "--max.new.tokens=12", "--stop.when.truncated=false"), logs, "512m"));

                List<String> expected = List.of(
                        "task huge-task could not be rolled out", "exceeds the limit of 4096 (max.prompt.tokens)",  // generator
                        "reward 1.0E300 outside the reward domain [0.0, 1.0]",                       // worker and credit
                        "processing failed: dev.ccpo.policy.PromptTooLongException",                 // worker, trajectory's question
                        "trajectory id dup-g/0 at groupIndex 1 is already in group dup-g at groupIndex 0",  // credit
                        "stranger/0",                                                                // credit, foreign counterfactual
                        "advantage 1.0E30 outside [-100.0, 100.0]",                                  // learner
                        "learner: group spoil-g makes the update non-finite");                       // learner, overflowing ratio
                try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                    send(p, "ccpo.trajectories", "absurd-g", serdes.trajectory().serialize("ccpo.trajectories", trajectory("absurd-g", 0, 1, "absurd-g/0", "1+1?", 1e300)));
                    send(p, "ccpo.trajectories", "huge-g", serdes.trajectory().serialize("ccpo.trajectories", trajectory("huge-g", 0, 1, "huge-g/0", HUGE, 1.0)));
                    send(p, "ccpo.trajectories", "dup-g", serdes.trajectory().serialize("ccpo.trajectories", trajectory("dup-g", 0, 2, "dup-g/0", "1+1?", 1.0)));
                    send(p, "ccpo.trajectories", "dup-g", serdes.trajectory().serialize("ccpo.trajectories", trajectory("dup-g", 1, 2, "dup-g/0", "1+1?", 0.0)));
                    send(p, "ccpo.counterfactuals", "dup-g", serdes.counterfactual().serialize("ccpo.counterfactuals", foreign("dup-g")));
                    send(p, "ccpo.advantages", "huge-adv", serdes.advantage().serialize("ccpo.advantages", advantage("huge-adv", 1e30, -0.5f)));
                    send(p, "ccpo.advantages", "spoil-g", serdes.advantage().serialize("ccpo.advantages", advantage("spoil-g", 50.0, -1000f)));
                }

                List<String> reasons = new ArrayList<>();
                long version = 0;
                Map<String, Object> rp = new HashMap<>(cluster.kafkaProps());
                rp.put("group.id", "poison-it-dlq");
                rp.put("auto.offset.reset", "earliest");
                try (KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(rp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                     WeightsFollower weights = new WeightsFollower(cluster.kafkaProps(), "ccpo.weights", serdes.weights(), "tiny", "poison-it").start()) {
                    dlq.subscribe(List.of("ccpo.dlq"));
                    long deadline = System.currentTimeMillis() + 420_000;
                    while (System.currentTimeMillis() < deadline
                            && !(expected.stream().allMatch(e -> reasons.stream().anyMatch(r -> r.contains(e))) && trained(weights, initial))) {
                        dlq.poll(Duration.ofMillis(500)).forEach(r -> reasons.add(serdes.deadLetter().deserialize("ccpo.dlq", r.value()).getReason().toString()));
                        for (ServiceProcess s : services) assertTrue(s.isAlive(), s.name() + " exited; see " + s.log() + "\nreasons so far " + reasons);
                    }
                    for (String e : expected) assertTrue(reasons.stream().anyMatch(r -> r.contains(e)), "'" + e + "' in the DLQ: " + reasons);
                    version = weights.latestVersion();
                    // the bad-only steps publish unchanged weights too: the valid groups trained if the weights moved
                    assertTrue(trained(weights, initial), "the valid groups trained: v" + version + "; reasons " + reasons);
                    for (String role : List.of("thinker", "reasoner")) {
                        WeightsBlob b = weights.newerThan(role, 0).orElseThrow();
                        long[] bad = {0};
                        SafeTensors.read(b.bytes(), (name, t) -> { for (float f : t.data()) if (!Float.isFinite(f)) bad[0]++; });
                        assertTrue(bad[0] == 0, role + " v" + b.policyVersion() + " holds " + bad[0] + " non-finite values");
                    }
                }
                for (ServiceProcess s : services) assertTrue(s.isAlive(), s.name() + " exited; see " + s.log());
                System.out.println("PoisonPipelineIT: every service alive, weights v" + version + " finite and trained; "
                        + reasons.size() + " dead letters:\n  " + String.join("\n  ", reasons));
            } finally {
                for (ServiceProcess s : services) s.stop(30);
            }
        }
    }

    private static boolean trained(WeightsFollower weights, byte[] initial) {
        return weights.newerThan("thinker", 0).map(b -> !java.util.Arrays.equals(initial, b.bytes())).orElse(false);
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, String key, byte[] value) throws Exception {
        p.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(b));
        return out;
    }

    static Task task(String id, String question, String answer) {
        return Task.newBuilder().setTaskId(id).setDataset("poison-it").setQuestion(question).setReferenceAnswer(answer)
                .setAnswerKind(AnswerKind.NUMERIC).setChoices(List.of()).build();
    }

    static Trajectory trajectory(String g, int k, int size, String id, String question, double reward) {
        Turn thinker = Turn.newBuilder().setAgentId(0).setRole("thinker").setPromptTokenIds(List.of(1, 2, 3))
                .setOutputTokenIds(List.of(4, 5)).setBehaviourLogProbs(List.of(-0.5f, -0.5f)).setText("plan").build();
        Turn reasoner = Turn.newBuilder().setAgentId(1).setRole("reasoner").setPromptTokenIds(List.of(1, 2))
                .setOutputTokenIds(List.of(6)).setBehaviourLogProbs(List.of(-0.5f)).setText("\\boxed{2}").build();
        return Trajectory.newBuilder().setTrajectoryId(id).setGroupId(g).setGroupIndex(k).setGroupSize(size)
                .setTask(task("task-" + g, question, "2")).setTopology(Topology.THINK_REASON).setPolicyVersion(0)
                .setTurns(List.of(thinker, reasoner)).setFinalAnswer("2").setReward(reward)
                .setCreatedAtMs(Instant.now()).setWorkerId("poison-it").setTemperature(1f).build();
    }

    static CounterfactualOutcome foreign(String g) {
        return CounterfactualOutcome.newBuilder().setTrajectoryId("stranger/0").setGroupId(g).setGroupIndex(0).setGroupSize(2)
                .setTopology(Topology.THINK_REASON).setMaskedAgentId(0).setMaskedRole("thinker").setMethod(CounterfactualMethod.RERUN)
                .setSamples(1).setRewards(List.of(1.0)).setMeanReward(1.0).setPolicyVersion(0).setTrajectoryPolicyVersion(0)
                .setCreatedAtMs(Instant.now()).setWorkerId("poison-it").build();
    }

    static AgentAdvantage advantage(String g, double adv, float logProb) {
        return AgentAdvantage.newBuilder().setTrajectoryId(g + "/0").setGroupId(g).setGroupIndex(0).setGroupSize(1)
                .setGroupComplete(true).setGroupRecordCount(1).setTaskId("t").setTopology(Topology.THINK_REASON).setAgentId(0)
                .setRole("thinker").setPolicyVersion(0).setPromptTokenIds(List.of(5, 6, 7)).setOutputTokenIds(List.of(8, 9, 10))
                .setBehaviourLogProbs(List.of(logProb, logProb, logProb)).setCreditMode(CreditMode.CCPO).setAdvantage(adv)
                .setReward(1.0).setCounterfactualReward(0.0).setMarginalContribution(1.0).setShapedReward(1.0).setGroupMean(0.5)
                .setGroupStd(0.5).setGlobalMean(0.0).setGlobalStd(1.0).setHistoryCount(0).setGate(null)
                .setCreatedAtMs(Instant.now()).build();
    }
}
