package dev.ccpo.serde;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Avro SpecificRecord serde in Confluent's wire format: magic byte 0, the writer schema's
 * 4-byte big-endian registry id, then Avro binary. Subjects follow the TopicNameStrategy
 * ({@code <topic>-value}). Readers resolve the writer's schema against their own, so a
 * consumer on a newer schema reads data written with an older one (BACKWARD compatibility).
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {
    static final byte MAGIC_BYTE = 0;

    private final Class<T> type;
    private final Schema readerSchema;
    private final SchemaRegistryClient registry;
    private final boolean isKey;
    private final Map<String, Integer> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, SpecificDatumReader<T>> readersByWriterId = new ConcurrentHashMap<>();
    private final SpecificDatumWriter<T> writer;

    public AvroSerde(Class<T> type, SchemaRegistryClient registry, boolean isKey) {
        TrustedPackages.trust(); // before any Avro class lookup, or generated classes are "not trusted"
        this.type = type;
        this.readerSchema = SpecificData.get().getSchema(type);
        this.registry = registry;
        this.isKey = isKey;
        this.writer = new SpecificDatumWriter<>(readerSchema);
    }

    /** A value serde for records of the given class. */
    public static <T extends SpecificRecord> AvroSerde<T> forValues(Class<T> type, SchemaRegistryClient registry) {
        return new AvroSerde<>(type, registry, false);
    }

    public Class<T> type() { return type; }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) return null;
        String subject = topic + (isKey ? "-key" : "-value");
        int id = idsBySubject.computeIfAbsent(subject, s -> registry.register(s, readerSchema));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot serialize " + type.getSimpleName() + " for topic " + topic + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) return null;
        if (data.length < 5 || data[0] != MAGIC_BYTE)
            throw new SerializationException("not a schema-registry Avro record on topic " + topic + ": expected magic byte 0 and a 4-byte schema id, got "
                    + data.length + " bytes starting with " + (data.length == 0 ? "nothing" : String.format("0x%02x", data[0])));
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        try {
            SpecificDatumReader<T> reader = readersByWriterId.computeIfAbsent(id,
                    i -> new SpecificDatumReader<>(registry.schemaById(i), readerSchema));
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
            T record = reader.read(null, decoder);
            if (!decoder.isEnd())
                throw new IOException((data.length - 5) + " bytes of Avro data but the record ended early: trailing bytes");
            return record;
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot deserialize " + type.getSimpleName() + " (writer schema id " + id + ") from topic "
                    + topic + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) { /* configured by the constructor */ }

    @Override
    public void close() { }

    @Override
    public Serializer<T> serializer() { return this; }

    @Override
    public Deserializer<T> deserializer() { return this; }
}
