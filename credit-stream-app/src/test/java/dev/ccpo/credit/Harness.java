package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.serde.InMemorySchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

/** TopologyTestDriver around CreditTopology, with record timestamps = event times (never the wall clock). */
final class Harness implements AutoCloseable {
    final RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
    final CreditCounters counters = new CreditCounters();
    final TopologyTestDriver driver;
    final TestInputTopic<String, Trajectory> traj;
    final TestInputTopic<String, CounterfactualOutcome> cfs;
    final TestInputTopic<String, byte[]> raw;
    final TestOutputTopic<String, AgentAdvantage> out;
    final CreditSettings settings;
    final TestOutputTopic<String, RolloutStats> stats;

    Harness(CreditSettings s, Path stateDir) {
        driver = driver(s, stateDir, serdes, counters);
        traj = driver.createInputTopic(s.trajectoriesTopic(), new StringSerializer(), serdes.trajectory().serializer(),
                Instant.EPOCH, Duration.ZERO);
        cfs = driver.createInputTopic(s.counterfactualsTopic(), new StringSerializer(), serdes.counterfactual().serializer(),
                Instant.EPOCH, Duration.ZERO);
        raw = driver.createInputTopic(s.trajectoriesTopic(), new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer(), Instant.EPOCH, Duration.ZERO);
        settings = s;
        out = driver.createOutputTopic(s.advantagesTopic(), new StringDeserializer(), serdes.advantage().deserializer());
        stats = driver.createOutputTopic(s.statsTopic(), new StringDeserializer(), serdes.rolloutStats().deserializer());
    }

    /** A THINK_REASON group, episode k at event time ts + k. */
    void send(String g, double[] joint, double[] solo, long ts) {
        for (int k = 0; k < joint.length; k++) {
            traj.pipeInput(g, Fixtures.thinkReason(g, k, joint.length, joint[k], ts + k), ts + k);
            cfs.pipeInput(g, Fixtures.solo(g, k, joint.length, solo[k], ts + k), ts + k);
        }
    }

    /** One wall tick (punctuate.ms): held groups whose stats are in the global store are released. */
    void settle() { driver.advanceWallClockTime(Duration.ofMillis(1_000)); }

    /** A heartbeat (null value): moves the partition's stream time to ts, carries no data. */
    void tick(long ts) {
        raw.pipeInput("tick", null, ts);
        settle();
    }

    /** Stream time at which a group with event time ts is released: its window end + grace. */
    long releaseAt(long ts) {
        return settings.stats().windowStart(ts) + settings.stats().windowMs() + settings.stats().graceMs();
    }

    /** Sends a group, moves stream time to its release point, and returns what was emitted. */
    List<AgentAdvantage> group(String g, double[] joint, double[] solo, long ts) {
        send(g, joint, solo, ts);
        tick(releaseAt(ts));
        return out.readValuesToList();
    }

    static AgentAdvantage find(List<AgentAdvantage> l, int k, int agent) {
        return l.stream().filter(a -> a.getGroupIndex() == k && a.getAgentId() == agent).findFirst().orElseThrow();
    }

    @Override
    public void close() { driver.close(); }

    /** The credit topology of these settings in a test driver (state under stateDir). */
    static TopologyTestDriver driver(CreditSettings s, Path stateDir, RecordSerdes serdes, CreditCounters counters) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, s.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return new TopologyTestDriver(CreditTopology.build(s, serdes.trajectory(), serdes.counterfactual(),
                serdes.advantage(), serdes.deadLetter(), serdes.rolloutStats(), counters), p);
    }
}
