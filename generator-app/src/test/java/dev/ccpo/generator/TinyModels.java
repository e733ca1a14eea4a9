package dev.ccpo.generator;

import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** Test helpers: the real tiny CausalLM (testkit's TinyModels), corrupt weights records, and plain readers. */
final class TinyModels {
    private TinyModels() { }

    /** A fresh tiny checkpoint (char tokenizer, random init with the seed) in a new temp folder. */
    static Path checkpoint(long seed) throws IOException { return dev.ccpo.testkit.TinyModels.checkpoint(seed); }

    /** safetensors bytes of another random init: a stand-in for a trained policy version. */
    static byte[] weights(long seed) { return dev.ccpo.testkit.TinyModels.weights(seed); }

    /** One inline weights record whose sha256 does not match its bytes (what a corrupted publish looks like). */
    static void publishCorrupt(Producer<byte[], byte[]> producer, AvroSerde<PolicyWeights> serde, String topic,
                               String modelId, String role, long version, byte[] blob) {
        byte[] key = (modelId + "/" + role + "/0").getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, key, serde.serialize(topic, badShaRecord(modelId, role, version, blob))));
        producer.flush();
    }

    /** One whole-blob weights chunk whose sha256 does not match its bytes. */
    static PolicyWeights badShaRecord(String modelId, String role, long version, byte[] blob) {
        return PolicyWeights.newBuilder().setModelId(modelId).setRole(role).setPolicyVersion(version)
                .setFormat("safetensors").setSha256("0".repeat(64)).setTotalBytes(blob.length).setChunkIndex(0)
                .setChunkCount(1).setBytes(ByteBuffer.wrap(blob)).setUri(null).setCreatedAtMs(Instant.now()).build();
    }

    static KafkaConsumer<byte[], byte[]> reader(Map<String, Object> kafka) {
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + System.nanoTime());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
