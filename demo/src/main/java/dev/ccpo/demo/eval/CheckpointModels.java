package dev.ccpo.demo.eval;

import ai.djl.Device;
import dev.ccpo.config.Roles;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.model.CausalLM;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
  * Opens the models of a checkpoint as a map policy key → model, for every key the evaluated teams
  * use (thinker, reasoner, voter). Accepted layouts:
  * <ul>
  *   <li>a model folder (config.json): one model for every role;
  *   <li>a learner checkpoint folder with role subfolders ({@code thinker/}, {@code reasoner/},
  *       {@code voter/}) or {@code shared/};
  *   <li>the learner's checkpoint.dir: its newest complete {@code step-N} folder is used.
  * </ul>
  * Roles without a folder use the Reasoner's model (the answering policy). Each folder is opened once.
  */
public final class CheckpointModels implements AutoCloseable {
    static final String CONFIG = "config.json";
    static final String SHARED = "shared";
    private static final List<String> ROLES = List.of(Roles.THINKER, Roles.REASONER, Roles.VOTER);

    private final Path resolved;
    private final Map<String, ChatModel> byRole;
    private final List<ChatModel> owned;

    private CheckpointModels(Path resolved, Map<String, ChatModel> byRole, List<ChatModel> owned) {
        this.resolved = resolved;
        this.byRole = byRole;
        this.owned = owned;
    }

    /** Opens the checkpoint on the device; the caller closes the result. */
    public static CheckpointModels open(Path dir, Device device) {
        Map<String, Path> folders = roleFolders(dir);
        Map<Path, ChatModel> opened = new LinkedHashMap<>();
        Map<String, ChatModel> byRole = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Path> e : folders.entrySet()) {
                byRole.put(e.getKey(), opened.computeIfAbsent(e.getValue(), p -> CausalLM.open(p, device)));
            }
        } catch (RuntimeException e) {
            opened.values().forEach(ChatModel::close);
            throw e;
        }
        return new CheckpointModels(dir, byRole, new ArrayList<>(opened.values()));
    }

    /** Wraps models already in memory (not closed by {@link #close()}): tests and the demo's live policies. */
    public static CheckpointModels of(Map<String, ? extends ChatModel> byRole) {
        Map<String, ChatModel> m = new LinkedHashMap<>(byRole);
        ChatModel fallback = m.get(Roles.REASONER);
        if (fallback == null && !m.isEmpty()) {
            fallback = m.values().iterator().next();
        }
        for (String role : ROLES) {
            if (!m.containsKey(role) && fallback != null) {
                m.put(role, fallback);
            }
        }
        return new CheckpointModels(null, m, List.of());
    }

    /** A model for each of thinker, reasoner, voter. */
    public Map<String, ChatModel> models() {
        return Map.copyOf(byRole);
    }

    /** Number of distinct model instances. */
    public int distinctModels() {
        Map<ChatModel, Boolean> seen = new IdentityHashMap<>();
        byRole.values().forEach(m -> seen.put(m, true));
        return seen.size();
    }

    public Optional<Path> folder() {
        return Optional.ofNullable(resolved);
    }

    /** Which folder each role's model comes from (no model is loaded). */
    public static Map<String, Path> roleFolders(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("config key 'checkpoint': folder not found: " + dir.toAbsolutePath());
        }
        if (Files.isRegularFile(dir.resolve(CONFIG))) {
            Map<String, Path> all = new LinkedHashMap<>();
            ROLES.forEach(r -> all.put(r, dir));
            return all;
        }
        Optional<Path> step = newestStep(dir);
        if (step.isPresent()) {
            return roleFolders(step.get());
        }
        Map<String, Path> found = new LinkedHashMap<>();
        Path shared = dir.resolve(SHARED);
        for (String role : ROLES) {
            Path p = dir.resolve(role);
            if (Files.isRegularFile(p.resolve(CONFIG))) {
                found.put(role, p);
            } else if (Files.isRegularFile(shared.resolve(CONFIG))) {
                found.put(role, shared);
            }
        }
        Path answering = found.get(Roles.REASONER);
        if (answering == null) {
            throw new IllegalArgumentException("config key 'checkpoint': " + dir.toAbsolutePath() + " has no model: expected "
                    + CONFIG + " in it, or a reasoner/ or shared/ subfolder with one, or step-N checkpoint folders");
        }
        for (String role : ROLES) {
            found.putIfAbsent(role, answering);
        }
        return found;
    }

    /** The highest step-N subfolder that is complete (has meta.properties, written last by the learner). */
    static Optional<Path> newestStep(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                    .filter(p -> Files.isRegularFile(p.resolve("meta.properties")))
                    .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(5))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoint folder " + dir, e);
        }
    }

    @Override
    public void close() {
        owned.forEach(ChatModel::close);
    }
}
