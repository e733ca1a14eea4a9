package dev.ccpo.serde;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Trajectory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Current schemas read data written with every released contract (src/test/resources/schemas-v1, schemas-v3). */
class SchemaEvolutionTest {
    /** Parse order: named types before the records that use them. */
    private static final List<String> FILES = List.of("Topology", "AnswerKind", "CounterfactualMethod", "CreditMode",
            "Task", "Turn", "Trajectory", "CounterfactualOutcome", "RolloutStats", "AgentAdvantage", "PolicyWeights", "DeadLetter");

    /** Released contracts kept in src/test/resources, oldest first. */
    private static final List<String> RELEASES = List.of("schemas-v1", "schemas-v3");

    private static Map<String, Schema> previousSchemas() throws IOException {
        return schemasOf("schemas-v1");
    }

    private static Map<String, Schema> schemasOf(String release) throws IOException {
        Schema.Parser parser = new Schema.Parser();
        for (String name : FILES)
            try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/" + release + "/" + name + ".avsc")) {
                parser.parse(in);
            }
        return parser.getTypes();
    }

    @Test
    void everyCurrentSchemaIsBackwardCompatibleWithEveryReleasedVersion() throws IOException {
        for (String release : RELEASES) {
            Map<String, Schema> previous = schemasOf(release);
            for (Schema current : List.of(Task.getClassSchema(), Trajectory.getClassSchema(), CounterfactualOutcome.getClassSchema(),
                    RolloutStats.getClassSchema(), AgentAdvantage.getClassSchema(), PolicyWeights.getClassSchema(), DeadLetter.getClassSchema())) {
                var result = SchemaCompatibility.checkReaderWriterCompatibility(current, previous.get(current.getFullName()));
                assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE, result.getType(),
                        release + " " + current.getName() + ": " + result.getResult().getIncompatibilities());
            }
        }
    }

    @Test
    void readsATrajectoryWrittenWithThePreviousSchema() throws IOException {
        Schema oldTrajectory = previousSchemas().get("dev.ccpo.avro.Trajectory");
        Schema oldTask = oldTrajectory.getField("task").schema();
        GenericRecord task = new GenericData.Record(oldTask);
        task.put("taskId", "gsm8k/test/5");
        task.put("dataset", "gsm8k");
        task.put("question", "q");
        task.put("referenceAnswer", "18");
        task.put("answerKind", new GenericData.EnumSymbol(oldTask.getField("answerKind").schema(), "NUMERIC"));
        GenericRecord old = new GenericData.Record(oldTrajectory);
        old.put("trajectoryId", "g/1");
        old.put("groupId", "g");
        old.put("groupIndex", 1);
        old.put("groupSize", 2);
        old.put("task", task);
        old.put("topology", new GenericData.EnumSymbol(oldTrajectory.getField("topology").schema(), "VOTING"));
        old.put("policyVersion", 7L);
        old.put("turns", List.of());
        old.put("finalAnswer", "18");
        old.put("reward", 1.0);
        old.put("createdAtMs", 42L);

        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        int oldId = registry.register("ccpo.trajectories-value", oldTrajectory);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.writeBytes(ByteBuffer.allocate(4).putInt(oldId).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(oldTrajectory).write(old, encoder);
        encoder.flush();

        Trajectory read = new RecordSerdes(registry).trajectory().deserialize("ccpo.trajectories", out.toByteArray());
        assertEquals("g/1", read.getTrajectoryId());
        assertEquals(7L, read.getPolicyVersion());
        assertEquals(AnswerKind.NUMERIC, read.getTask().getAnswerKind());
        assertEquals("", read.getWorkerId(), "field added in v2 takes its default");
        assertEquals(1.0f, read.getTemperature());
        assertTrue(read.getTask().getChoices().isEmpty());
    }
}
