package dev.ccpo.generator;

import ai.djl.Device;
import dev.ccpo.cli.Progress;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.policy.team.Topology;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generator throughput with the real tiny CausalLM on a real local broker: one generator instance
 * (the GeneratorLoop as GeneratorApp wires it, idempotent lz4 producer) over synthetic arithmetic tasks.
 *
 * <p>Run: {@code mvn -o -q -B -pl generator-app test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.ccpo.generator.GeneratorBenchmark -Dexec.args="--groups=8 --group.size=8 --max.new.tokens=32"}
 * Arguments are GeneratorApp keys plus {@code --groups} (tasks to roll out).
 */
public final class GeneratorBenchmark {
    public static void main(String[] args) throws Exception {
        int groups = 8;
        List<String> rest = new java.util.ArrayList<>();
        for (String a : args) {
            if (a.startsWith("--groups=")) groups = Integer.parseInt(a.substring("--groups=".length()));
            else rest.add(a);
        }
        Path modelDir = TinyModels.checkpoint(1);
        try (LocalCluster cluster = LocalCluster.start(); Verifier verifier = new Verifier()) {
            Config cfg = cluster.config(GeneratorApp.spec(), rest.toArray(String[]::new));
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            Map<String, Object> kafka = cfg.kafkaClientProperties();
            TeamSpec team = TeamSpec.of(Topology.valueOf(cfg.string("topology")), cfg.integer("voters"));
            Map<String, ChatModel> initial = new LinkedHashMap<>();
            for (String role : team.policyKeys()) initial.put(role, CausalLM.open(modelDir, Device.cpu()));
            try (RolePolicies<ChatModel> policies = new RolePolicies<>(initial, 0, (r, b) -> CausalLM.open(modelDir, Device.cpu(), b), 1);
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(GeneratorApp.producerProps(cfg, kafka, "bench"),
                         new ByteArraySerializer(), new ByteArraySerializer())) {
                SamplingParams params = new SamplingParams((float) cfg.decimal("temperature"), (float) cfg.decimal("top.p"),
                        cfg.integer("max.new.tokens"), List.of(), cfg.longValue("seed"));
                GroupGenerator gen = new GroupGenerator(new TeamRunner(team, new PromptLibrary(), verifier), "bench",
                        cfg.integer("group.size"), params, cfg.longValue("seed"));
                // One warm-up group (JIT, PyTorch thread pools) that is not timed.
                new GeneratorLoop(TaskSource.ofList(TaskSource.synthetic(99, 1, 2), 1, 0), gen, policies, GeneratorLoop.NONE,
                        producer, serdes.trajectory(), cfg.string(CommonKeys.TOPIC_TRAJECTORIES), 1000, 1000,
                        new Progress("warm-up", "groups", 1, 60_000, System.out)).run();
                GeneratorLoop loop = new GeneratorLoop(TaskSource.ofList(TaskSource.synthetic(cfg.longValue("shuffle.seed"), groups,
                        cfg.integer("synthetic.steps")), 1, 0), gen, policies, GeneratorLoop.NONE, producer, serdes.trajectory(),
                        cfg.string(CommonKeys.TOPIC_TRAJECTORIES), 1000, 1000,
                        new Progress("generator bench", "groups", groups, 2000, System.out));
                long t0 = System.nanoTime();
                loop.run(); // ends with a flush: every trajectory is acknowledged by the broker
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf("RESULT generator: topology=%s G=%d max.new.tokens=%d groups=%d trajectories=%d tokens=%d "
                                + "time=%.1fs -> %.2f trajectories/s, %.0f generated tokens/s, %.2f groups/s (1 instance, %d cores)%n",
                        cfg.string("topology"), cfg.integer("group.size"), cfg.integer("max.new.tokens"), loop.groups(),
                        loop.trajectories(), loop.tokens(), secs, loop.trajectories() / secs, loop.tokens() / secs,
                        loop.groups() / secs, Runtime.getRuntime().availableProcessors());
            }
        }
    }
}
