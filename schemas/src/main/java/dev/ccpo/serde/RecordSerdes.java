package dev.ccpo.serde;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;

/** The one place the pipeline's value serdes are built: one per record type, sharing a registry client. */
public final class RecordSerdes {
    private final SchemaRegistryClient registry;
    private final AvroSerde<Task> task;
    private final AvroSerde<Trajectory> trajectory;
    private final AvroSerde<CounterfactualOutcome> counterfactual;
    private final AvroSerde<RolloutStats> rolloutStats;
    private final AvroSerde<AgentAdvantage> advantage;
    private final AvroSerde<PolicyWeights> weights;
    private final AvroSerde<DeadLetter> deadLetter;

    public RecordSerdes(SchemaRegistryClient registry) {
        this.registry = registry;
        this.task = AvroSerde.forValues(Task.class, registry);
        this.trajectory = AvroSerde.forValues(Trajectory.class, registry);
        this.counterfactual = AvroSerde.forValues(CounterfactualOutcome.class, registry);
        this.rolloutStats = AvroSerde.forValues(RolloutStats.class, registry);
        this.advantage = AvroSerde.forValues(AgentAdvantage.class, registry);
        this.weights = AvroSerde.forValues(PolicyWeights.class, registry);
        this.deadLetter = AvroSerde.forValues(DeadLetter.class, registry);
    }

    /** Serdes talking to the registry named by schema.registry.url (and its basic-auth user info). */
    public static RecordSerdes fromConfig(Config config) {
        return new RecordSerdes(new HttpSchemaRegistryClient(
                config.string(CommonKeys.REGISTRY_URL), config.string(CommonKeys.REGISTRY_USER_INFO)));
    }

    public SchemaRegistryClient registry() { return registry; }
    public AvroSerde<Task> task() { return task; }
    public AvroSerde<Trajectory> trajectory() { return trajectory; }
    public AvroSerde<CounterfactualOutcome> counterfactual() { return counterfactual; }
    public AvroSerde<RolloutStats> rolloutStats() { return rolloutStats; }
    public AvroSerde<AgentAdvantage> advantage() { return advantage; }
    public AvroSerde<PolicyWeights> weights() { return weights; }
    public AvroSerde<DeadLetter> deadLetter() { return deadLetter; }
}
