package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.infra.SampleRecords;
import dev.ccpo.serde.InMemorySchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TapRendererTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final RecordSerdes serdes = new RecordSerdes(registry);

    private TapRenderer renderer(String group, String role) {
        return new TapRenderer(registry, AvroJson.BytesMode.AUTO, group, role);
    }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    private JsonNode line(TapRenderer r, String topic, byte[] key, byte[] value) throws Exception {
        Optional<String> s = r.render(topic, 2, 17, 1234L, key, value);
        assertTrue(s.isPresent(), "expected a line for " + topic);
        assertTrue(!s.get().contains("\n"), "one JSON object per line");
        return JSON.readTree(s.get());
    }

    @Test
    void trajectoryRendersAllFieldsWithKeyAndPosition() throws Exception {
        byte[] v = serdes.trajectory().serialize("ccpo.trajectories", SampleRecords.trajectory());
        JsonNode n = line(renderer(null, null), "ccpo.trajectories", utf8("g1"), v);
        assertEquals("ccpo.trajectories", n.get("topic").asText());
        assertEquals(2, n.get("partition").asInt());
        assertEquals(17, n.get("offset").asLong());
        assertEquals("g1", n.get("key").asText());
        assertEquals("dev.ccpo.avro.Trajectory", n.get("type").asText());
        JsonNode t = n.get("value");
        assertEquals("g1/0", t.get("trajectoryId").asText());
        assertEquals(3, t.get("policyVersion").asLong());
        assertEquals("THINK_REASON", t.get("topology").asText());
        assertEquals("reasoner", t.get("turns").get(1).get("role").asText());
        assertEquals(-1.25, t.get("turns").get(0).get("behaviourLogProbs").get(1).asDouble(), 1e-9);
        assertEquals(1_700_000_000_123L, t.get("createdAtMs").asLong());
        assertEquals("2", t.get("task").get("referenceAnswer").asText());
        assertEquals(1.0, t.get("reward").asDouble());
    }

    @Test
    void groupFilterKeepsOnlyThatGroupAndSkipsRecordsWithoutGroupId() {
        byte[] v = serdes.advantage().serialize("ccpo.advantages", SampleRecords.advantage());
        assertTrue(renderer("g1", null).render("ccpo.advantages", 0, 0, 0, utf8("g1"), v).isPresent());
        assertTrue(renderer("g2", null).render("ccpo.advantages", 0, 0, 0, utf8("g1"), v).isEmpty());
        byte[] w = serdes.weights().serialize("ccpo.weights", SampleRecords.weights());
        assertTrue(renderer("g1", null).render("ccpo.weights", 0, 0, 0, utf8("tiny"), w).isEmpty(), "weights have no groupId");
    }

    @Test
    void roleFilterLooksAtRoleMaskedRoleAndTurns() {
        TapRenderer thinker = renderer(null, "thinker");
        TapRenderer reasoner = renderer(null, "reasoner");
        AgentAdvantage adv = SampleRecords.advantage();
        byte[] a = serdes.advantage().serialize("t", adv);
        assertTrue(thinker.render("t", 0, 0, 0, null, a).isPresent());
        assertTrue(reasoner.render("t", 0, 0, 0, null, a).isEmpty());
        byte[] cf = serdes.counterfactual().serialize("c", SampleRecords.counterfactual());  // maskedRole thinker
        assertTrue(thinker.render("c", 0, 0, 0, null, cf).isPresent());
        assertTrue(reasoner.render("c", 0, 0, 0, null, cf).isEmpty());
        byte[] traj = serdes.trajectory().serialize("tr", SampleRecords.trajectory());  // turns of both roles
        assertTrue(reasoner.render("tr", 0, 0, 0, null, traj).isPresent());
        assertTrue(renderer(null, "critic").render("tr", 0, 0, 0, null, traj).isEmpty());
        byte[] stats = serdes.rolloutStats().serialize("s", SampleRecords.rolloutStats());
        assertTrue(thinker.render("s", 0, 0, 0, null, stats).isPresent());
        // both filters must hold
        assertTrue(new TapRenderer(registry, AvroJson.BytesMode.AUTO, "g1", "reasoner").render("t", 0, 0, 0, null, a).isEmpty());
        assertTrue(new TapRenderer(registry, AvroJson.BytesMode.AUTO, "g1", "thinker").render("t", 0, 0, 0, null, a).isPresent());
    }

    @Test
    void weightsChunksAreSummarizedEvenInBase64Mode() throws Exception {
        PolicyWeights big = PolicyWeights.newBuilder(SampleRecords.weights())
                .setBytes(ByteBuffer.wrap(new byte[100_000])).setTotalBytes(100_000).build();
        byte[] v = serdes.weights().serialize("ccpo.weights", big);
        TapRenderer r = new TapRenderer(registry, AvroJson.BytesMode.BASE64, null, null);
        JsonNode n = line(r, "ccpo.weights", utf8("tiny"), v);
        assertEquals(100_000, n.get("value").get("bytes").get("bytes").asInt());
        assertEquals("thinker", n.get("value").get("role").asText());
        assertTrue(n.toString().length() < 1000, "a 100 kB chunk prints as a short line: " + n.toString().length());
    }

    @Test
    void deadLetterBytesAreBase64WhenShortOrLengthOnRequest() throws Exception {
        byte[] v = serdes.deadLetter().serialize("ccpo.dlq", SampleRecords.deadLetter());
        JsonNode auto = line(renderer(null, null), "ccpo.dlq", new byte[] {(byte) 0xff, 0x00}, v);
        assertEquals("AAE=", auto.get("value").get("value").asText());
        assertEquals("aw==", auto.get("value").get("key").asText());
        assertEquals("/wA=", auto.get("key").get("base64").asText(), "a non-UTF-8 key prints as base64");
        JsonNode len = line(new TapRenderer(registry, AvroJson.BytesMode.LENGTH, null, null), "ccpo.dlq", null, v);
        assertEquals(2, len.get("value").get("value").get("bytes").asInt());
        assertTrue(len.get("key").isNull());
    }

    @Test
    void tombstonesPrintWithNullValueUnlessFiltered() throws Exception {
        JsonNode n = line(renderer(null, null), "ccpo.weights", utf8("tiny"), null);
        assertTrue(n.get("value").isNull());
        assertTrue(renderer("g1", null).render("ccpo.weights", 0, 0, 0, utf8("tiny"), null).isEmpty());
    }

    @Test
    void notRegistryFramedValueIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> renderer(null, null).render("ccpo.trajectories", 0, 5, 0, null, utf8("{\"json\":1}")));
        assertTrue(e.getMessage().contains("magic byte 0") && e.getMessage().contains("ccpo.trajectories"), e.getMessage());
    }

    @Test
    void shortTopicNamesResolveThroughTheTopicKeys() {
        Config c = Config.of(AnalyticsKeys.tapSpec(), Map.of(CommonKeys.TOPIC_ADVANTAGES, "run2.advantages"));
        assertEquals("run2.advantages", Tap.resolveTopic(c, "advantages"));
        assertEquals("ccpo.rollout-stats", Tap.resolveTopic(c, "rollout-stats"));
        assertEquals("ccpo.trajectories", Tap.resolveTopic(c, "ccpo.trajectories"));
    }
}
