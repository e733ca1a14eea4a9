package dev.ccpo.weights;

import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Arrays;

/**
 * Publishes a policy's weights to the weights topic: as chunks in the log when small, or as a
 * file written to a shared folder with only a manifest record in the log when large. Chunks are
 * keyed modelId/role/chunkIndex, so compaction keeps the newest version of every chunk; each
 * chunk carries the sha256 of the whole blob, which readers verify before use.
 */
public final class WeightsPublisher {
    private final Producer<byte[], byte[]> producer;
    private final AvroSerde<PolicyWeights> serde;
    private final String topic;
    private final int chunkBytes;
    private final long inlineMaxBytes;
    private final Path externalDir;

    /**
     * @param chunkBytes     size of each chunk; keep it under the topic's max.message.bytes
     * @param inlineMaxBytes blobs larger than this go to externalDir (null: always inline)
     */
    public WeightsPublisher(Producer<byte[], byte[]> producer, AvroSerde<PolicyWeights> serde, String topic,
                            int chunkBytes, long inlineMaxBytes, Path externalDir) {
        if (chunkBytes < 1) throw new IllegalArgumentException("chunkBytes must be >= 1");
        this.producer = producer;
        this.serde = serde;
        this.topic = topic;
        this.chunkBytes = chunkBytes;
        this.inlineMaxBytes = inlineMaxBytes;
        this.externalDir = externalDir;
    }

    /** Sends every record of the blob and flushes; callers that use transactions wrap this in one. */
    public void publish(String modelId, String role, long policyVersion, byte[] blob) {
        String sha = WeightsBlob.sha256Hex(blob);
        Instant now = Instant.now();
        if (externalDir != null && blob.length > inlineMaxBytes) {
            Path file = writeExternal(modelId, role, policyVersion, blob);
            send(modelId, role, record(modelId, role, policyVersion, sha, blob.length, 0, 1, null, file.toUri().toString(), now));
        } else {
            int count = Math.max(1, (blob.length + chunkBytes - 1) / chunkBytes);
            for (int i = 0; i < count; i++) {
                byte[] chunk = Arrays.copyOfRange(blob, i * chunkBytes, Math.min(blob.length, (i + 1) * chunkBytes));
                send(modelId, role, record(modelId, role, policyVersion, sha, blob.length, i, count, ByteBuffer.wrap(chunk), null, now));
            }
        }
        producer.flush();
    }

    private void send(String modelId, String role, PolicyWeights w) {
        byte[] key = (modelId + "/" + role + "/" + w.getChunkIndex()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, key, serde.serialize(topic, w)));
    }

    private static PolicyWeights record(String modelId, String role, long version, String sha, long total, int index, int count,
                                        ByteBuffer bytes, String uri, Instant now) {
        return PolicyWeights.newBuilder().setModelId(modelId).setRole(role).setPolicyVersion(version).setFormat("safetensors")
                .setSha256(sha).setTotalBytes(total).setChunkIndex(index).setChunkCount(count).setBytes(bytes).setUri(uri)
                .setCreatedAtMs(now).build();
    }

    /** Writes to a temporary file, fsyncs and renames, so readers never see a partial file. */
    private Path writeExternal(String modelId, String role, long version, byte[] blob) {
        try {
            Files.createDirectories(externalDir);
            Path target = externalDir.resolve(modelId + "-" + role + "-v" + version + ".safetensors");
            Path tmp = Files.createTempFile(externalDir, ".weights-", ".tmp");
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(blob);
                while (buf.hasRemaining()) channel.write(buf);
                channel.force(true);
            }
            return Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write weights to " + externalDir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }
}
