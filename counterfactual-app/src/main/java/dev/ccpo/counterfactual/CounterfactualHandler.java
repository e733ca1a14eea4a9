package dev.ccpo.counterfactual;

import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.kafka.RejectedRecordException;
import dev.ccpo.kafka.TransactionalWorker;
import dev.ccpo.serde.AvroSerde;
import dev.ccpo.weights.WeightsBlob;
import dev.ccpo.worker.RolePolicies;
import dev.ccpo.worker.TrajectoryValidation;
import dev.ccpo.worker.ValueDomains;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * TransactionalWorker handler for the trajectories of one poll: validate each (invalid -> RejectedRecordException ->
 * DLQ with the reason), swap to newer weights between polls (never during one), compute the valid ones in one
 * batch, emit keyed by groupId so the credit app sees a group's outcomes in one partition.
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

    /**
     * Validates each trajectory (an invalid one fails alone, for the DLQ), swaps in newer weights once per poll
     * (between polls, never during one), then computes the valid ones together.
     */
    @Override
    public List<TransactionalWorker.Result> handle(List<Trajectory> trajectories) {
        List<TransactionalWorker.Result> results = new ArrayList<>(Collections.nCopies(trajectories.size(), null));
        List<Trajectory> valid = new ArrayList<>();
        List<Integer> validAt = new ArrayList<>();
        for (int i = 0; i < trajectories.size(); i++) {
            try {
                TrajectoryValidation.validate(trajectories.get(i), vocabSize, domains);
                valid.add(trajectories.get(i));
                validAt.add(i);
            } catch (RejectedRecordException e) {
                results.set(i, TransactionalWorker.Result.failed(e));
            }
        }
        policies.refresh(weights);
        List<List<CounterfactualOutcome>> outcomes = computer.computeAll(valid);
        for (int k = 0; k < valid.size(); k++) {
            byte[] key = valid.get(k).getGroupId().getBytes(StandardCharsets.UTF_8);
            List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
            for (CounterfactualOutcome o : outcomes.get(k)) out.add(new ProducerRecord<>(outTopic, key, serde.serialize(outTopic, o)));
            results.set(validAt.get(k), TransactionalWorker.Result.of(out));
        }
        return results;
    }
}
