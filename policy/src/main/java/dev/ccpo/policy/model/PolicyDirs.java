package dev.ccpo.policy.model;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code policy.model.dirs} key of the generator and the learner: per-policy initial checkpoints that override
 * {@code model.dir} for those policies ("voter0=/ckpt/a,voter1=/ckpt/b"), so that the agents of one team can start
 * from different checkpoints of the same architecture (published weights are still loaded over model.dir's config).
 */
public final class PolicyDirs {
    public static final String KEY = "policy.model.dirs";
    public static final String DESCRIPTION = "Per-policy initial checkpoints overriding model.dir, comma-separated policy=folder "
            + "(e.g. voter0=/ckpt/a,voter1=/ckpt/b; the same architecture as model.dir); empty = every policy starts from model.dir.";

    private PolicyDirs() {}

    /** policy -> folder; the message names the key and the expected form. */
    public static Map<String, Path> parse(String value) {
        Map<String, Path> dirs = new LinkedHashMap<>();
        for (String entry : value.split(",")) {
            if (entry.isBlank()) continue;
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException(KEY + ": '" + entry.strip() + "' is not policy=folder (e.g. voter0=/ckpt/a)");
            }
            String policy = entry.substring(0, eq).strip();
            if (dirs.put(policy, Path.of(entry.substring(eq + 1).strip())) != null) {
                throw new IllegalArgumentException(KEY + " names policy '" + policy + "' twice");
            }
        }
        return dirs;
    }

    /** The initial checkpoint of {@code policy}: its own folder, else model.dir. */
    public static Path of(Map<String, Path> dirs, String policy, Path modelDir) {
        return dirs.getOrDefault(policy, modelDir);
    }
}
