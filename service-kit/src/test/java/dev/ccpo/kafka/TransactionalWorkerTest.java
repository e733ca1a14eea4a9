package dev.ccpo.kafka;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

class TransactionalWorkerTest {

    /** Echoes each input as one record, and throws for the whole call when "poison" is among its inputs. */
    private static final class Echo implements TransactionalWorker.Handler<String> {
        final List<Integer> callSizes = new ArrayList<>();

        @Override
        public List<TransactionalWorker.Result> handle(List<String> inputs) {
            callSizes.add(inputs.size());
            if (inputs.contains("poison")) throw new IllegalStateException("poisoned batch");
            return inputs.stream().map(s -> s.equals("bad") ? TransactionalWorker.Result.failed(new RejectedRecordException("bad input"))
                    : TransactionalWorker.Result.of(List.of(new ProducerRecord<>("out", s.getBytes(), s.getBytes())))).toList();
        }
    }

    @Test
    void aBatchIsOneCallAndItsRejectedInputFailsAlone() {
        Echo h = new Echo();
        List<TransactionalWorker.Result> r = TransactionalWorker.handleIsolated(h, List.of("a", "bad", "b"));
        assertEquals(List.of(3), h.callSizes);
        assertEquals("a", new String(r.get(0).outputs().get(0).value()));
        assertInstanceOf(RejectedRecordException.class, r.get(1).failure());
        assertEquals("b", new String(r.get(2).outputs().get(0).value()));
    }

    @Test
    void aBatchThatThrowsIsRetriedOneInputAtATimeSoOnlyThePoisonPillFails() {
        Echo h = new Echo();
        List<TransactionalWorker.Result> r = TransactionalWorker.handleIsolated(h, List.of("a", "poison", "b"));
        assertEquals(List.of(3, 1, 1, 1), h.callSizes);
        assertNull(r.get(0).failure());
        assertEquals("poisoned batch", r.get(1).failure().getMessage());
        assertEquals(1, r.get(2).outputs().size());
    }
}
