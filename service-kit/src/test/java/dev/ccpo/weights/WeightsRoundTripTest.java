package dev.ccpo.weights;

import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.serde.InMemorySchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightsRoundTripTest {
    private final RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());

    private static byte[] blob(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private List<PolicyWeights> published() {
        return producer.history().stream().map(r -> serdes.weights().deserialize(r.topic(), r.value())).toList();
    }

    @Test
    void chunksReassembleToTheSameBytes() {
        byte[] weights = blob(10_000, 1);
        new WeightsPublisher(producer, serdes.weights(), "w", 3000, Long.MAX_VALUE, null).publish("tiny", "thinker", 5, weights);

        List<PolicyWeights> records = published();
        assertEquals(4, records.size(), "10000 bytes in chunks of 3000");
        ProducerRecord<byte[], byte[]> last = producer.history().get(3);
        assertEquals("tiny/thinker/3", new String(last.key()));

        WeightsAssembler assembler = new WeightsAssembler("tiny");
        Optional<WeightsBlob> out = Optional.empty();
        for (PolicyWeights w : records) {
            assertTrue(out.isEmpty(), "complete only after the last chunk");
            out = assembler.accept(w);
        }
        assertArrayEquals(weights, out.orElseThrow().bytes());
        assertEquals(5, out.get().policyVersion());
    }

    @Test
    void corruptedChunkIsRefusedAndCounted() {
        new WeightsPublisher(producer, serdes.weights(), "w", 100, Long.MAX_VALUE, null).publish("tiny", "reasoner", 2, blob(250, 2));
        List<PolicyWeights> records = published();
        byte[] flipped = records.get(1).getBytes().array().clone();
        flipped[0] ^= 1;
        records.get(1).setBytes(ByteBuffer.wrap(flipped));

        WeightsAssembler assembler = new WeightsAssembler("tiny");
        records.forEach(r -> assertTrue(assembler.accept(r).isEmpty()));
        assertEquals(1, assembler.rejected());
    }

    @Test
    void otherModelAndOlderVersionsAreIgnored() {
        WeightsPublisher publisher = new WeightsPublisher(producer, serdes.weights(), "w", 1000, Long.MAX_VALUE, null);
        publisher.publish("tiny", "thinker", 3, blob(10, 3));
        publisher.publish("tiny", "thinker", 2, blob(10, 4));
        publisher.publish("other", "thinker", 4, blob(10, 5));
        WeightsAssembler assembler = new WeightsAssembler("tiny");
        List<Optional<WeightsBlob>> results = published().stream().map(assembler::accept).toList();
        assertTrue(results.get(0).isPresent());
        assertTrue(results.get(1).isEmpty(), "v2 after v3 is stale");
        assertTrue(results.get(2).isEmpty(), "another model's weights are refused");
        assertEquals(1, assembler.rejected());
    }

    @Test
    void largeBlobsGoToAFileWithAManifest(@TempDir Path dir) throws Exception {
        byte[] weights = blob(5000, 6);
        new WeightsPublisher(producer, serdes.weights(), "w", 1000, 4000, dir).publish("tiny", "shared", 9, weights);
        List<PolicyWeights> records = published();
        assertEquals(1, records.size());
        assertEquals(null, records.get(0).getBytes());
        assertArrayEquals(weights, Files.readAllBytes(Path.of(java.net.URI.create(records.get(0).getUri()))));
        assertArrayEquals(weights, new WeightsAssembler("tiny").accept(records.get(0)).orElseThrow().bytes());
    }
}
