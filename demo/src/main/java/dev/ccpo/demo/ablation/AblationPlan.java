package dev.ccpo.demo.ablation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The runs of an ablation: every team shape × seed × credit mode, in that order (the modes of one seed run one after
 * the other, so they share the seed's cached warm start). Each run is the demo with the base arguments plus its own
 * --team, --seed, --credit.mode and --report.dir (the last value of a key wins).
 */
public record AblationPlan(List<String> shapes, List<Long> seeds, List<String> modes) {
    public static final List<String> SHAPES = List.of("think-reason", "voting");
    public static final List<String> MODES = List.of("ccpo", "shared", "ccpo-bonus");

    /** One configuration of the ablation. */
    public record Run(String shape, long seed, String mode) {
        /** The demo's arguments of this run: the base, then this run's keys. */
        public String[] args(String[] base, Path ablationDir) {
            String[] all = Arrays.copyOf(base, base.length + 4);
            all[base.length] = "--team=" + shape;
            all[base.length + 1] = "--seed=" + seed;
            all[base.length + 2] = "--credit.mode=" + mode;
            all[base.length + 3] = "--report.dir=" + reportDir(ablationDir);
            return all;
        }

        public Path reportDir(Path ablationDir) {
            return ablationDir.resolve(shape).resolve("seed" + seed).resolve(mode);
        }

        @Override
        public String toString() { return "team=" + shape + " seed=" + seed + " credit.mode=" + mode; }
    }

    public AblationPlan {
        shapes = List.copyOf(shapes);
        seeds = List.copyOf(seeds);
        modes = List.copyOf(modes);
    }

    /** From the ablation.* keys' values: comma-separated lists; each message names the key and what it accepts. */
    public static AblationPlan parse(String shapes, String seeds, String modes) {
        return new AblationPlan(names("ablation.shapes", shapes, SHAPES), seeds(seeds), names("ablation.modes", modes, MODES));
    }

    public List<Run> runs() {
        List<Run> runs = new ArrayList<>();
        for (String shape : shapes) for (long seed : seeds) for (String mode : modes) runs.add(new Run(shape, seed, mode));
        return runs;
    }

    static List<String> names(String key, String value, List<String> allowed) {
        List<String> out = split(value);
        if (out.isEmpty()) throw new IllegalArgumentException(key + " must name at least one of " + allowed);
        for (String s : out) {
            if (!allowed.contains(s)) throw new IllegalArgumentException(key + ": '" + s + "' is not one of " + allowed);
        }
        if (out.stream().distinct().count() != out.size()) throw new IllegalArgumentException(key + " names a value twice: " + value);
        return out;
    }

    static List<Long> seeds(String value) {
        List<Long> out = new ArrayList<>();
        for (String s : split(value)) {
            try {
                long seed = Long.parseLong(s);
                if (seed < 0) throw new NumberFormatException();
                out.add(seed);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("ablation.seeds: '" + s + "' is not a seed (a whole number >= 0)");
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("ablation.seeds must list at least one seed, e.g. 1,2,3");
        if (out.stream().distinct().count() != out.size()) throw new IllegalArgumentException("ablation.seeds names a seed twice: " + value);
        return out;
    }

    private static List<String> split(String value) {
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
