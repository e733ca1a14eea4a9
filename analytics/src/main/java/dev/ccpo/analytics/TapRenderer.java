package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ccpo.serde.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns one raw record of any pipeline topic into a JSON line: the value is decoded with the writer schema
 * fetched from the registry by its id (so the tap needs no compiled record classes and follows schema
 * evolution), then filtered by groupId and role.
 */
public final class TapRenderer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SchemaRegistryClient registry;
    private final AvroJson avroJson;
    private final String group;
    private final String role;
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new ConcurrentHashMap<>();

    /** group / role: only records whose groupId / role matches; empty or null for no filter. */
    public TapRenderer(SchemaRegistryClient registry, AvroJson.BytesMode bytesMode, String group, String role) {
        this.registry = registry;
        this.avroJson = new AvroJson(bytesMode);
        this.group = group == null || group.isEmpty() ? null : group;
        this.role = role == null || role.isEmpty() ? null : role;
    }

    /** The record decoded through the registry, with the writer schema's id. */
    public record Decoded(int schemaId, GenericRecord value) { }

    /** Decodes a Confluent wire-format value (magic byte 0, 4-byte schema id, Avro binary). */
    public Decoded decode(String topic, byte[] data) {
        if (data == null) return null;
        if (data.length < 5 || data[0] != 0)
            throw new IllegalArgumentException("not a schema-registry Avro value on topic " + topic
                    + ": expected magic byte 0 and a 4-byte schema id, got " + data.length + " bytes");
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        GenericDatumReader<GenericRecord> reader = readers.computeIfAbsent(id, i -> {
            Schema writer = registry.schemaById(i);
            return new GenericDatumReader<>(writer, writer);
        });
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
            return new Decoded(id, reader.read(null, decoder));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot decode value (schema id " + id + ") on topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** Whether the record passes the group and role filters; a set filter excludes records without that field. */
    public boolean matches(GenericRecord value) {
        if (group != null && !group.equals(field(value, "groupId"))) return false;
        if (role != null && !hasRole(value, role)) return false;
        return true;
    }

    /** role, maskedRole (counterfactuals), or the role of any turn (trajectories). */
    static boolean hasRole(GenericRecord value, String role) {
        if (role.equals(field(value, "role")) || role.equals(field(value, "maskedRole"))) return true;
        if (value.getSchema().getField("turns") != null && value.get("turns") instanceof Iterable<?> turns)
            for (Object t : turns)
                if (t instanceof GenericRecord turn && role.equals(field(turn, "role"))) return true;
        return false;
    }

    private static String field(GenericRecord r, String name) {
        if (r.getSchema().getField(name) == null) return null;
        Object v = r.get(name);
        return v == null ? null : v.toString();
    }

    /**
     * The JSON line for one record, or empty when a filter rejects it. Tombstones (null values) print with
     * "value": null and pass only when no filter is set.
     */
    public Optional<String> render(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        Decoded d = decode(topic, value);
        if (d == null && (group != null || role != null)) return Optional.empty();
        if (d != null && !matches(d.value())) return Optional.empty();
        ObjectNode line = JSON.createObjectNode();
        line.put("topic", topic).put("partition", partition).put("offset", offset).put("timestamp", timestamp);
        line.set("key", key(key));
        if (d != null) {
            line.put("schemaId", d.schemaId()).put("type", d.value().getSchema().getFullName());
            line.set("value", avroJson.render(d.value()));
        } else {
            line.putNull("value");
        }
        try {
            return Optional.of(JSON.writeValueAsString(line));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON for " + topic + "-" + partition + "@" + offset, e);
        }
    }

    /** Keys are UTF-8 strings in this pipeline; anything else (e.g. a raw DLQ key) prints as {"base64": ...}. */
    static JsonNode key(byte[] key) {
        if (key == null) return JSON.nullNode();
        try {
            CharBuffer s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(key));
            return JSON.getNodeFactory().textNode(s.toString());
        } catch (CharacterCodingException e) {
            return JSON.createObjectNode().put("base64", Base64.getEncoder().encodeToString(key));
        }
    }
}
