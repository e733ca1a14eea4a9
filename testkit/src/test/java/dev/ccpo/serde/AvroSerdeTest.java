package dev.ccpo.serde;

import dev.ccpo.avro.Trajectory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AvroSerdeTest {
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final RecordSerdes serdes = new RecordSerdes(registry);

    @Test
    void roundTripsInConfluentWireFormat() {
        Trajectory original = TestRecords.trajectory();
        byte[] bytes = serdes.trajectory().serialize("ccpo.trajectories", original);

        assertEquals(0, bytes[0], "magic byte");
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertEquals(Trajectory.getClassSchema(), registry.schemaById(id), "id points at the writer schema");
        assertEquals(original, serdes.trajectory().deserialize("ccpo.trajectories", bytes));
    }

    @Test
    void registersOncePerSubjectAndSharesIdsAcrossSubjects() {
        byte[] a = serdes.task().serialize("t1", TestRecords.task());
        byte[] b = serdes.task().serialize("t2", TestRecords.task());
        assertArrayEquals(Arrays.copyOfRange(a, 0, 5), Arrays.copyOfRange(b, 0, 5), "same schema, same global id");
    }

    @Test
    void rejectsBytesThatAreNotRegistryAvro() {
        SerializationException e = assertThrows(SerializationException.class,
                () -> serdes.trajectory().deserialize("ccpo.trajectories", "{\"json\":1}".getBytes()));
        assertTrue(e.getMessage().contains("magic byte 0"), e.getMessage());
    }

    @Test
    void rejectsTruncatedAndTrailingData() {
        byte[] bytes = serdes.trajectory().serialize("t", TestRecords.trajectory());
        assertThrows(SerializationException.class, () -> serdes.trajectory().deserialize("t", Arrays.copyOf(bytes, bytes.length - 3)));
        assertThrows(SerializationException.class, () -> serdes.trajectory().deserialize("t", Arrays.copyOf(bytes, bytes.length + 2)));
    }

    @Test
    void unknownSchemaIdNamesTheId() {
        byte[] bytes = serdes.trajectory().serialize("t", TestRecords.trajectory());
        ByteBuffer.wrap(bytes, 1, 4).putInt(999);
        SerializationException e = assertThrows(SerializationException.class, () -> serdes.trajectory().deserialize("t", bytes));
        assertTrue(e.getMessage().contains("999"), e.getMessage());
    }
}
