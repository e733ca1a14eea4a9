package dev.ccpo.weights;

import dev.ccpo.avro.PolicyWeights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reassembles PolicyWeights chunks into complete blobs and verifies them. Pure (no Kafka): feed
 * it records in log order. Chunks of an older version than one already completed for the same
 * role are ignored; a blob whose sha256, size or model id is wrong is rejected (counted and
 * logged) and the caller keeps the weights it had.
 */
public final class WeightsAssembler {
    private static final Logger log = LoggerFactory.getLogger(WeightsAssembler.class);

    private final String expectedModelId;
    private final Map<String, Partial> partials = new HashMap<>();
    private final Map<String, Long> latestCompleted = new HashMap<>();
    private long rejected;

    private static final class Partial {
        final long version;
        final TreeMap<Integer, byte[]> chunks = new TreeMap<>();
        Partial(long version) { this.version = version; }
    }

    public WeightsAssembler(String expectedModelId) { this.expectedModelId = expectedModelId; }

    /** Number of weight sets refused so far (bad sha256, size, model id, or unreadable file). */
    public long rejected() { return rejected; }

    /** Adds one record; returns the blob when it completes a verified version newer than any seen for its role. */
    public Optional<WeightsBlob> accept(PolicyWeights w) {
        String role = w.getRole();
        if (!expectedModelId.equals(w.getModelId())) {
            return reject(w, "model id " + w.getModelId() + " does not match this worker's model " + expectedModelId);
        }
        if (w.getPolicyVersion() <= latestCompleted.getOrDefault(role, Long.MIN_VALUE)) return Optional.empty();
        if (w.getChunkCount() < 1 || w.getChunkIndex() < 0 || w.getChunkIndex() >= w.getChunkCount()) {
            return reject(w, "chunk " + w.getChunkIndex() + " of " + w.getChunkCount() + " is out of range");
        }
        byte[] blob;
        if (w.getUri() != null) {
            try {
                blob = Files.readAllBytes(Path.of(URI.create(w.getUri())));
            } catch (IOException | RuntimeException e) {
                return reject(w, "cannot read weights at " + w.getUri() + ": " + e.getMessage());
            }
        } else {
            Partial p = partials.get(role);
            if (p == null || p.version != w.getPolicyVersion()) {
                if (p != null && p.version > w.getPolicyVersion()) return Optional.empty();
                p = new Partial(w.getPolicyVersion());
                partials.put(role, p);
            }
            p.chunks.put(w.getChunkIndex(), toArray(w.getBytes()));
            if (p.chunks.size() < w.getChunkCount()) return Optional.empty();
            partials.remove(role);
            int total = p.chunks.values().stream().mapToInt(c -> c.length).sum();
            blob = new byte[total];
            int pos = 0;
            for (byte[] c : p.chunks.values()) {
                System.arraycopy(c, 0, blob, pos, c.length);
                pos += c.length;
            }
        }
        if (blob.length != w.getTotalBytes()) return reject(w, "size " + blob.length + " bytes, manifest says " + w.getTotalBytes());
        String sha = WeightsBlob.sha256Hex(blob);
        if (!sha.equals(w.getSha256())) return reject(w, "sha256 " + sha + " does not match the published " + w.getSha256());
        latestCompleted.put(role, w.getPolicyVersion());
        return Optional.of(new WeightsBlob(w.getModelId(), role, w.getPolicyVersion(), blob, sha));
    }

    private Optional<WeightsBlob> reject(PolicyWeights w, String reason) {
        rejected++;
        partials.remove(w.getRole());
        log.error("refusing weights {}/{} v{}: {}; keeping the current weights", w.getModelId(), w.getRole(), w.getPolicyVersion(), reason);
        return Optional.empty();
    }

    private static byte[] toArray(ByteBuffer buffer) {
        if (buffer == null) return new byte[0];
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
