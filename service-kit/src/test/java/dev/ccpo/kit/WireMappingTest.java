package dev.ccpo.kit;

import dev.ccpo.avro.Task;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.team.CounterfactualMethod;
import dev.ccpo.policy.team.Topology;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WireMappingTest {
    @Test
    void everyConstantRoundTripsUnderItsOwnName() {
        for (Topology t : Topology.values()) {
            assertEquals(t.name(), WireMapping.toWire(t).name());
            assertEquals(t, WireMapping.fromWire(WireMapping.toWire(t)));
        }
        for (AnswerKind k : AnswerKind.values()) {
            assertEquals(k.name(), WireMapping.toWire(k).name());
            assertEquals(k, WireMapping.fromWire(WireMapping.toWire(k)));
        }
        for (CounterfactualMethod m : CounterfactualMethod.values()) {
            assertEquals(m.name(), WireMapping.toWire(m).name());
            assertEquals(m, WireMapping.fromWire(WireMapping.toWire(m)));
        }
        assertEquals(Topology.values().length, dev.ccpo.avro.Topology.values().length);
        assertEquals(AnswerKind.values().length, dev.ccpo.avro.AnswerKind.values().length);
        assertEquals(CounterfactualMethod.values().length, dev.ccpo.avro.CounterfactualMethod.values().length);
    }

    @Test
    void tasksRoundTripWithEveryAnswerKind() {
        for (AnswerKind k : AnswerKind.values()) {
            TaskRecord t = new TaskRecord("gsm8k/test/5", "gsm8k", "q?", "18", k, List.of("A) 1", "B) 2"));
            Task wire = WireMapping.toWire(t);
            assertEquals(k.name(), wire.getAnswerKind().name());
            assertEquals(t, WireMapping.fromWire(wire));
        }
    }
}
