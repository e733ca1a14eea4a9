package dev.ccpo.demo.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
  * Rows of named numeric columns (one row per evaluation point, e.g. per policy version). Columns
  * are kept in first-seen order; a value a row does not have is NaN (empty in CSV, null in JSON).
  * Column names used by {@link Report} are in {@link Columns}.
  */
public final class MetricsTable {
    /** Column names the demo and {@link Report} agree on. Per-role/per-stage columns end in ".name". */
    public static final class Columns {
        private Columns() {}
        public static final String POLICY_VERSION = "policy_version";
        public static final String STEP = "step";
        public static final String TEAM_ACCURACY = "team_accuracy";
        public static final String MEAN_REWARD = "mean_reward";
        public static final String POLICY_LAG = "policy_lag";
        /** Per-role mean marginal contribution: {@code marginal_contribution.<role>}. */
        public static final String MARGINAL_PREFIX = "marginal_contribution.";
        public static final String ADV_MEAN_PREFIX = "advantage_mean.";
        public static final String ADV_STD_PREFIX = "advantage_std.";
        /** Records per second of a stage: {@code records_per_s.<stage>}. */
        public static final String RATE_PREFIX = "records_per_s.";

        /** Credit against the turns' ground truth (analytics' CreditQuality), per role. */
        public static final String CREDIT_AUC_PREFIX = "credit_auc.";
        public static final String REWARDED_MISTAKES_PREFIX = "rewarded_mistakes.";
        public static final String PUNISHED_SUCCESSES_PREFIX = "punished_successes.";
        /** Share of a role's advantages whose sign is opposite to the shared reward's (CreditQuality.signFlips). */
        public static final String SIGN_FLIPS_PREFIX = "sign_flips.";

        public static String marginal(String role) { return MARGINAL_PREFIX + role; }
        public static String creditAuc(String role) { return CREDIT_AUC_PREFIX + role; }
        public static String rewardedMistakes(String role) { return REWARDED_MISTAKES_PREFIX + role; }
        public static String punishedSuccesses(String role) { return PUNISHED_SUCCESSES_PREFIX + role; }
        public static String signFlips(String role) { return SIGN_FLIPS_PREFIX + role; }
        public static String advantageMean(String role) { return ADV_MEAN_PREFIX + role; }
        public static String advantageStd(String role) { return ADV_STD_PREFIX + role; }
        public static String rate(String stage) { return RATE_PREFIX + stage; }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Set<String> columns = new LinkedHashSet<>();
    private final List<Map<String, Double>> rows = new ArrayList<>();

    /** Appends a row; new column names are added at the end. Null values count as missing. */
    public synchronized MetricsTable addRow(Map<String, ? extends Number> row) {
        Map<String, Double> copy = new LinkedHashMap<>();
        for (Map.Entry<String, ? extends Number> e : row.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isBlank() || name.contains(",") || name.contains("\"") || name.contains("\n")) {
                throw new IllegalArgumentException("bad metrics column name '" + name + "' (no commas, quotes or newlines)");
            }
            columns.add(name);
            copy.put(name, e.getValue() == null ? Double.NaN : e.getValue().doubleValue());
        }
        rows.add(copy);
        return this;
    }

    public synchronized List<String> columns() {
        return List.copyOf(columns);
    }

    public synchronized int size() {
        return rows.size();
    }

    /** Value of a column in row i, NaN when absent. */
    public synchronized double get(int i, String column) {
        return rows.get(i).getOrDefault(column, Double.NaN);
    }

    /** Row i as an unmodifiable map (only the columns it has). */
    public synchronized Map<String, Double> row(int i) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(rows.get(i)));
    }

    /** A whole column, NaN where a row lacks it. */
    public synchronized double[] column(String name) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i).getOrDefault(name, Double.NaN);
        }
        return out;
    }

    public synchronized boolean hasColumn(String name) {
        return columns.contains(name);
    }

    /** Column names starting with prefix, in table order. */
    public synchronized List<String> columnsWithPrefix(String prefix) {
        return columns.stream().filter(c -> c.startsWith(prefix)).toList();
    }

    public synchronized void writeCsv(Path file) {
        StringBuilder sb = new StringBuilder(String.join(",", columns)).append('\n');
        for (Map<String, Double> r : rows) {
            List<String> cells = new ArrayList<>();
            for (String c : columns) {
                Double v = r.get(c);
                cells.add(v == null || Double.isNaN(v) ? "" : formatNumber(v));
            }
            sb.append(String.join(",", cells)).append('\n');
        }
        write(file, sb.toString());
    }

    /** JSON: {"columns": [...], "rows": [{column: value-or-null, ...}, ...]}. */
    public synchronized void writeJson(Path file) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode cols = root.putArray("columns");
        columns.forEach(cols::add);
        ArrayNode rs = root.putArray("rows");
        for (Map<String, Double> r : rows) {
            ObjectNode o = rs.addObject();
            for (String c : columns) {
                Double v = r.get(c);
                if (v == null || !Double.isFinite(v)) {
                    o.putNull(c);
                } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
                    o.put(c, v.longValue());
                } else {
                    o.put(c, v);
                }
            }
        }
        try {
            write(file, JSON.writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode metrics as JSON for " + file, e);
        }
    }

    public static MetricsTable readCsv(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read metrics CSV " + file, e);
        }
        MetricsTable t = new MetricsTable();
        if (lines.isEmpty() || lines.get(0).isBlank()) {
            return t;
        }
        String[] header = lines.get(0).split(",", -1);
        t.columns.addAll(List.of(header));
        for (int li = 1; li < lines.size(); li++) {
            if (lines.get(li).isEmpty()) {
                continue;
            }
            String[] cells = lines.get(li).split(",", -1);
            if (cells.length != header.length) {
                throw new IllegalArgumentException(file + " line " + (li + 1) + ": " + cells.length
                        + " cells, expected " + header.length + " (the header's)");
            }
            Map<String, Double> row = new LinkedHashMap<>();
            for (int c = 0; c < cells.length; c++) {
                if (!cells[c].isEmpty()) {
                    try {
                        row.put(header[c], Double.parseDouble(cells[c]));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(file + " line " + (li + 1) + " column '" + header[c]
                                + "': not a number: '" + cells[c] + "'", e);
                    }
                }
            }
            t.rows.add(row);
        }
        return t;
    }

    public static MetricsTable readJson(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read metrics JSON " + file, e);
        }
        if (root == null || !root.has("columns") || !root.has("rows")) {
            throw new IllegalArgumentException(file + ": expected an object with 'columns' and 'rows'");
        }
        MetricsTable t = new MetricsTable();
        root.get("columns").forEach(c -> t.columns.add(c.asText()));
        for (JsonNode r : root.get("rows")) {
            Map<String, Double> row = new LinkedHashMap<>();
            r.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    row.put(e.getKey(), e.getValue().asDouble());
                }
            });
            t.rows.add(row);
        }
        return t;
    }

    /** Shortest text that parses back to the same double. */
    static String formatNumber(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    private static void write(Path file, String text) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
