package dev.ccpo.learner;

import ai.djl.Device;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.Devices;
import dev.ccpo.policy.model.ModelConfig;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The policies the learner trains: role (or per-voter policy) → trainer, one trainer for every role when
 * policy.sharing=shared. Loaded from the latest checkpoint, else from the initial models; saved into a checkpoint.
 */
final class Policies implements AutoCloseable {
    private final Map<String, PolicyTrainer> trainers; // insertion order = roles order
    private final boolean shared;

    private Policies(Map<String, PolicyTrainer> trainers, boolean shared) {
        this.trainers = trainers;
        this.shared = shared;
    }

    static Policies load(LearnerSettings s, Optional<CheckpointStore.Loaded> ck) {
        Device device = Devices.pick(s.device());
        Map<String, PolicyTrainer> trainers = new LinkedHashMap<>();
        PolicyTrainer sharedTrainer = null;
        for (String role : s.roles()) {
            if (s.shared() && sharedTrainer != null) { trainers.put(role, sharedTrainer); continue; }
            String part = part(s.shared(), role);
            CausalLM model = ck.isPresent() ? CausalLM.open(ck.get().dir().resolve(part), device) : initial(s, part, device);
            PolicyTrainer t = new PolicyTrainer(model, s.loss().klCoef() > 0 ? initial(s, part, device) : null,
                    s.optimizer(), s.loss(), s.microBatchSize(), s.temperature());
            if (ck.isPresent()) loadOptimizer(t, ck.get().dir().resolve(part + ".adamw"));
            trainers.put(role, t);
            if (s.shared()) sharedTrainer = t;
        }
        return new Policies(trainers, s.shared());
    }

    /** The policy's initial model: its own folder of policy.model.dirs, else model.dir, else a fresh tiny model. */
    private static CausalLM initial(LearnerSettings s, String policy, Device device) {
        Path own = s.policyDirs().get(policy);
        if (own != null) return CausalLM.open(own, device);
        if (!s.modelDir().isBlank()) return CausalLM.open(Paths.get(s.modelDir()), device);
        return CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), s.seed(), device);
    }

    /** The checkpoint folder of a role's model: "shared" for the one shared model. */
    private static String part(boolean shared, String role) {
        return shared ? "shared" : role;
    }

    Set<String> keys() { return trainers.keySet(); }

    Set<Map.Entry<String, PolicyTrainer>> entries() { return trainers.entrySet(); }

    /** The trainer of a record: its own policy (role + agentId) when there is one, else its role's; null if neither. */
    PolicyTrainer of(AgentAdvantage r) {
        return trainers.get(Learner.policyKey(r, trainers.keySet()));
    }

    PolicyTrainer get(String policy) { return trainers.get(policy); }

    /** The roles a trainer trains, joined by '+' (all of them for a shared policy). */
    String rolesOf(PolicyTrainer t) {
        List<String> rs = new ArrayList<>();
        trainers.forEach((r, x) -> { if (x == t) rs.add(r); });
        return String.join("+", rs);
    }

    /** Writes each model and its optimizer state into a checkpoint folder (a shared model once). */
    void save(Path dir) throws IOException {
        Set<PolicyTrainer> done = new HashSet<>();
        for (Map.Entry<String, PolicyTrainer> e : trainers.entrySet()) {
            if (!done.add(e.getValue())) continue;
            String part = part(shared, e.getKey());
            e.getValue().model().save(dir.resolve(part));
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                    Files.newOutputStream(dir.resolve(part + ".adamw"))))) {
                e.getValue().optimizer().save(out);
            }
        }
    }

    private static void loadOptimizer(PolicyTrainer t, Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            t.optimizer().load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint optimizer state " + file + " unreadable: " + e, e);
        }
    }

    @Override
    public void close() {
        for (PolicyTrainer t : new HashSet<>(trainers.values())) {
            t.close();
            t.model().close();
        }
    }
}
