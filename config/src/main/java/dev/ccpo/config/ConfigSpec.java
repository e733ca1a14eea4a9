package dev.ccpo.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The keys a service accepts: name, type, default, allowed values and a one-line doc. One spec
 * per service is the single place its configuration is defined; --help and the README tables
 * are printed from it.
 */
public final class ConfigSpec {

    public enum Type { STRING, INT, LONG, DOUBLE, BOOLEAN, CHOICE }

    /** One key. min/max bound numbers (inclusive, null = unbounded); choices list a CHOICE's allowed values. */
    public record Key(String name, Type type, String defaultValue, String doc, List<String> choices, Double min, Double max) {

        /** Parses and validates a raw value; source says where it came from, for the message. */
        Object parse(String raw, String source) {
            String value = raw.trim();
            try {
                Object parsed = switch (type) {
                    case STRING -> value;
                    case INT -> Integer.parseInt(value);
                    case LONG -> Long.parseLong(value);
                    case DOUBLE -> Double.parseDouble(value);
                    case BOOLEAN -> switch (value.toLowerCase(Locale.ROOT)) {
                        case "true" -> Boolean.TRUE;
                        case "false" -> Boolean.FALSE;
                        default -> throw invalid(raw, source, "allowed values are true, false");
                    };
                    case CHOICE -> {
                        if (!choices.contains(value)) throw invalid(raw, source, "allowed values are " + String.join(", ", choices));
                        yield value;
                    }
                };
                if (parsed instanceof Number n) {
                    double d = n.doubleValue();
                    if (Double.isNaN(d) || (min != null && d < min) || (max != null && d > max))
                        throw invalid(raw, source, "expected a number in " + range());
                }
                return parsed;
            } catch (NumberFormatException e) {
                throw invalid(raw, source, "expected " + (type == Type.DOUBLE ? "a number" : "an integer") + (min != null || max != null ? " in " + range() : ""));
            }
        }

        private ConfigException invalid(String raw, String source, String expectation) {
            return new ConfigException("invalid value '" + raw + "' for config key '" + name + "' (" + source + "): " + expectation);
        }

        private String range() {
            return "[" + (min == null ? "-inf" : fmt(min)) + ", " + (max == null ? "+inf" : fmt(max)) + "]";
        }

        private static String fmt(double d) { return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d); }

        /** The environment variable that sets this key: CCPO_ + upper case, dots and dashes as underscores. */
        public String envName() { return "CCPO_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'); }
    }

    private final String service;
    private final Map<String, Key> keys = new LinkedHashMap<>();

    public ConfigSpec(String service) { this.service = service; }

    public String service() { return service; }

    public Collection<Key> keys() { return keys.values(); }

    Key key(String name) { return keys.get(name); }

    public ConfigSpec string(String name, String defaultValue, String doc) { return add(new Key(name, Type.STRING, defaultValue, doc, List.of(), null, null)); }

    public ConfigSpec integer(String name, int defaultValue, int min, int max, String doc) {
        return add(new Key(name, Type.INT, Integer.toString(defaultValue), doc, List.of(), (double) min, (double) max));
    }

    public ConfigSpec longKey(String name, long defaultValue, long min, String doc) {
        return add(new Key(name, Type.LONG, Long.toString(defaultValue), doc, List.of(), (double) min, null));
    }

    public ConfigSpec decimal(String name, double defaultValue, double min, double max, String doc) {
        return add(new Key(name, Type.DOUBLE, Double.toString(defaultValue), doc, List.of(), min, max));
    }

    public ConfigSpec bool(String name, boolean defaultValue, String doc) {
        return add(new Key(name, Type.BOOLEAN, Boolean.toString(defaultValue), doc, List.of(), null, null));
    }

    public ConfigSpec choice(String name, String defaultValue, String doc, String... allowed) {
        List<String> choices = List.of(allowed);
        if (!choices.contains(defaultValue)) throw new IllegalArgumentException(name + ": default " + defaultValue + " not in " + choices);
        return add(new Key(name, Type.CHOICE, defaultValue, doc, choices, null, null));
    }

    private ConfigSpec add(Key key) {
        if (keys.putIfAbsent(key.name(), key) != null) throw new IllegalArgumentException("config key defined twice: " + key.name());
        return this;
    }

    /** Closest known key to a misspelt one (edit distance at most 3), or null. */
    String suggest(String unknown) {
        String best = null;
        int bestDistance = 4;
        for (String k : keys.keySet()) {
            int d = editDistance(unknown, k);
            if (d < bestDistance) { bestDistance = d; best = k; }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    /** Usage text for --help: every key with its default, allowed values and doc. */
    public String help() {
        StringBuilder out = new StringBuilder("Usage: " + service + " [--config=FILE] [--key=value ...]\n"
                + "Precedence: defaults < properties file < environment (CCPO_KEY_NAME) < --key=value.\n"
                + "Any Kafka client setting can be passed with the prefix kafka. (e.g. --kafka.security.protocol=SASL_SSL).\n\nKeys:\n");
        for (Key k : keys.values()) {
            out.append(String.format("  %-34s %s%n", k.name(), k.doc()));
            out.append(String.format("  %-34s default: %s%s%n", "", k.defaultValue().isEmpty() ? "(empty)" : k.defaultValue(),
                    k.choices().isEmpty() ? "" : "; allowed: " + String.join(", ", k.choices())));
        }
        return out.toString();
    }

    /** The keys as a Markdown table, for the README. */
    public String markdown() {
        List<String> rows = new ArrayList<>();
        rows.add("| key | default | description |");
        rows.add("|---|---|---|");
        for (Key k : keys.values())
            rows.add("| `" + k.name() + "` | `" + k.defaultValue() + "` | " + k.doc()
                    + (k.choices().isEmpty() ? "" : " One of: " + String.join(", ", k.choices()) + ".") + " |");
        return String.join("\n", rows) + "\n";
    }
}
