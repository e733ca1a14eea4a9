package dev.ccpo.counterfactual;

import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.kafka.TransactionalWorker;
import dev.ccpo.serde.AvroSerde;
import dev.ccpo.weights.WeightsBlob;
import dev.ccpo.worker.RolePolicies;
import dev.ccpo.worker.TrajectoryValidation;
import dev.ccpo.worker.ValueDomains;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * TransactionalWorker handler: validate (invalid -> RejectedRecordException -> DLQ with the reason),
 * swap to newer weights between records (never mid-record), compute, emit keyed by groupId so the
 * credit app sees a group's outcomes in one partition.
 */
public final class CounterfactualHandler implements TransactionalWorker.Handler<Trajectory> {
    private final CounterfactualComputer computer;
    private final RolePolicies<?> policies;
    private final RolePolicies.NewerWeights weights;
    private final AvroSerde<CounterfactualOutcome> serde;
    private final String outTopic;
    private final int vocabSize;
    private final ValueDomains domains;

    public CounterfactualHandler(CounterfactualComputer computer, RolePolicies<?> policies, RolePolicies.NewerWeights weights,
                                 AvroSerde<CounterfactualOutcome> serde, String outTopic, int vocabSize) {
        this(computer, policies, weights, serde, outTopic, vocabSize, ValueDomains.DEFAULT);
    }

    public CounterfactualHandler(CounterfactualComputer computer, RolePolicies<?> policies, RolePolicies.NewerWeights weights,
                                 AvroSerde<CounterfactualOutcome> serde, String outTopic, int vocabSize, ValueDomains domains) {
        this.computer = computer;
        this.policies = policies;
        this.weights = weights == null ? (role, v) -> Optional.<WeightsBlob>empty() : weights;
        this.serde = serde;
        this.outTopic = outTopic;
        this.vocabSize = vocabSize;
        this.domains = domains;
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> handle(Trajectory t, ConsumerRecord<byte[], byte[]> raw) {
        TrajectoryValidation.validate(t, vocabSize, domains);
        policies.refresh(weights);
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        byte[] key = t.getGroupId().getBytes(StandardCharsets.UTF_8);
        for (CounterfactualOutcome o : computer.compute(t)) out.add(new ProducerRecord<>(outTopic, key, serde.serialize(outTopic, o)));
        return out;
    }
}
