package dev.ccpo.credit;

import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 18: a replay never writes into the live pipeline's outputs unless it names them. */
class ReplaySettingsTest {
    static CreditSettings settings(Map<String, String> args) {
        return CreditSettings.from(Config.of(CreditSettings.spec(), args));
    }

    @Test
    void aReplayWritesToTopicsNamedAfterItsId() {
        CreditSettings s = settings(Map.of("replay", "true", "application.id", "ccpo-credit-replay-1", "credit.mode", "shared"));
        assertEquals(List.of("ccpo.advantages.ccpo-credit-replay-1", "ccpo.dlq.ccpo-credit-replay-1",
                "ccpo.rollout-stats.ccpo-credit-replay-1"), s.outputTopics());
        assertEquals("ccpo.trajectories", s.trajectoriesTopic(), "it reads the live inputs");
        CreditSettings named = settings(Map.of("replay", "true", "application.id", "r2", "topic.advantages", "mine"));
        assertEquals("mine", named.advantagesTopic(), "a topic it names is used as named");
        assertEquals("ccpo.dlq.r2", named.dlqTopic());
    }

    @Test
    void theLiveAppIsUnchangedAndAReplayNeedsItsOwnId() {
        CreditSettings live = settings(Map.of("application.id", "other-id"));
        assertEquals(List.of("ccpo.advantages", "ccpo.dlq", "ccpo.rollout-stats"), live.outputTopics());
        ConfigException e = assertThrows(ConfigException.class, () -> settings(Map.of("replay", "true")));
        assertTrue(e.getMessage().contains("replay=true needs its own application.id (not the live pipeline's ccpo-credit)"), e.getMessage());
    }

    @Test
    void aReplayCommitsAndBatchesForThroughput_theLiveAppForLatency_kafkaKeysWin() {
        var live = CreditStreamApp.streamsProperties(Config.of(CreditSettings.spec(), Map.of()), settings(Map.of()));
        assertEquals(200, live.get("commit.interval.ms"));
        assertEquals(null, live.get("producer.compression.type"));
        Map<String, String> args = Map.of("replay", "true", "application.id", "r1");
        var replay = CreditStreamApp.streamsProperties(Config.of(CreditSettings.spec(), args), settings(args));
        assertEquals(1000, replay.get("commit.interval.ms"));
        assertEquals(4, replay.get("num.stream.threads"));
        assertEquals(50, replay.get("restore.consumer.fetch.max.wait.ms"));
        assertEquals(null, live.get("restore.consumer.fetch.max.wait.ms"));
        assertEquals("exactly_once_v2", replay.get("processing.guarantee"));
        Map<String, String> own = Map.of("replay", "true", "application.id", "r1", "kafka.commit.interval.ms", "300");
        assertEquals("300", CreditStreamApp.streamsProperties(Config.of(CreditSettings.spec(), own), settings(own))
                .get("commit.interval.ms"));
    }

    @Test
    void aReplayChecksForReleasableGroupsTenTimesASecond_otherwiseEverySecond_orAsSet() {
        assertEquals(1000, settings(Map.of()).punctuateMs());
        assertEquals(100, settings(Map.of("replay", "true", "application.id", "r1")).punctuateMs());
        assertEquals(250, settings(Map.of("replay", "true", "application.id", "r1", "punctuate.ms", "250")).punctuateMs());
        ConfigException e = assertThrows(ConfigException.class, () -> settings(Map.of("punctuate.ms", "5")));
        assertTrue(e.getMessage().startsWith("punctuate.ms: expected 0"), e.getMessage());
    }

    @Test
    void internalTopicsCreatedUpFrontTakeStreamsReplicationFactor_andNameTheKeyWhenItIsNotOne() {
        assertEquals(java.util.Optional.empty(), CreditStreamApp.replicationFactor(Config.of(CreditSettings.spec(), Map.of())));
        assertEquals(java.util.Optional.empty(), CreditStreamApp.replicationFactor(
                Config.of(CreditSettings.spec(), Map.of("kafka.replication.factor", "-1"))));
        assertEquals(java.util.Optional.of((short) 3), CreditStreamApp.replicationFactor(
                Config.of(CreditSettings.spec(), Map.of("kafka.replication.factor", "3"))));
        ConfigException e = assertThrows(ConfigException.class, () -> CreditStreamApp.replicationFactor(
                Config.of(CreditSettings.spec(), Map.of("kafka.replication.factor", "three"))));
        assertTrue(e.getMessage().contains("kafka.replication.factor=three"), e.getMessage());
        assertThrows(ConfigException.class, () -> CreditStreamApp.replicationFactor(
                Config.of(CreditSettings.spec(), Map.of("kafka.replication.factor", "0"))));
        // Streams' names for the changelogs: <application.id>-<store>-changelog, the group stores with the input's partitions.
        var topics = CreditTopology.changelogTopics("r1", 4);
        assertEquals(4, topics.get("r1-credit-buffer-changelog"));
        assertEquals(1, topics.get("r1-credit-stats-windows-changelog"));
        assertEquals(9, topics.size());
    }
}
