package dev.ccpo.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A service's validated configuration. Sources, later ones winning: the spec's defaults, a
 * properties file (--config=FILE), environment variables (CCPO_KEY_NAME), --key=value
 * arguments. Keys starting with "kafka." are passed through to every Kafka client (security,
 * tuning). An unknown key or an invalid value is a ConfigException that names it.
 */
public final class Config {
    public static final String KAFKA_PREFIX = "kafka.";

    private final ConfigSpec spec;
    private final Map<String, Object> values;
    private final Map<String, String> kafkaOverrides;

    private Config(ConfigSpec spec, Map<String, Object> values, Map<String, String> kafkaOverrides) {
        this.spec = spec;
        this.values = values;
        this.kafkaOverrides = kafkaOverrides;
    }

    /** Thrown by {@link #load} for --help; its message is the usage text. */
    public static final class HelpRequested extends RuntimeException {
        HelpRequested(String usage) { super(usage); }
    }

    public static Config load(ConfigSpec spec, String[] args, Map<String, String> env) {
        Map<String, String> fromArgs = new LinkedHashMap<>();
        String file = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) throw new HelpRequested(spec.help());
            if (!arg.startsWith("--"))
                throw new ConfigException("unexpected argument '" + arg + "': use --key=value or --config=FILE (see --help)");
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
            String value;
            if (eq >= 0) value = arg.substring(eq + 1);
            else if (i + 1 < args.length && !args[i + 1].startsWith("--")) value = args[++i];
            else throw new ConfigException("argument --" + name + " has no value: use --" + name + "=VALUE");
            if (name.equals("config")) file = value;
            else fromArgs.put(name, value);
        }

        Map<String, Object> values = new HashMap<>();
        Map<String, String> kafka = new LinkedHashMap<>();
        for (ConfigSpec.Key k : spec.keys()) values.put(k.name(), k.parse(k.defaultValue(), "default"));
        if (file != null) apply(spec, readProperties(Path.of(file)), "file " + file, values, kafka);
        Map<String, String> fromEnv = new LinkedHashMap<>();
        for (ConfigSpec.Key k : spec.keys()) {
            String v = env.get(k.envName());
            if (v != null) fromEnv.put(k.name(), v);
        }
        apply(spec, fromEnv, "environment", values, kafka);
        apply(spec, fromArgs, "command line", values, kafka);
        return new Config(spec, values, kafka);
    }

    /** For tests and embedded use: defaults plus the given overrides, no file, no environment. */
    public static Config of(ConfigSpec spec, Map<String, String> overrides) {
        String[] args = overrides.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        return load(spec, args, Map.of());
    }

    private static void apply(ConfigSpec spec, Map<String, String> raw, String source,
                              Map<String, Object> values, Map<String, String> kafka) {
        for (Map.Entry<String, String> e : raw.entrySet()) {
            String name = e.getKey();
            if (name.startsWith(KAFKA_PREFIX) && name.length() > KAFKA_PREFIX.length()) {
                kafka.put(name.substring(KAFKA_PREFIX.length()), e.getValue());
                continue;
            }
            ConfigSpec.Key key = spec.key(name);
            if (key == null) {
                String hint = spec.suggest(name);
                throw new ConfigException("unknown config key '" + name + "' (" + source + ") for " + spec.service()
                        + (hint == null ? "" : "; did you mean '" + hint + "'?") + " Run with --help to list the keys.");
            }
            values.put(name, key.parse(e.getValue(), source));
        }
    }

    private static Map<String, String> readProperties(Path file) {
        if (!Files.isRegularFile(file))
            throw new ConfigException("config file " + file.toAbsolutePath() + " does not exist or is not a file (--config expects a .properties file)");
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) out.put(name, p.getProperty(name));
        return out;
    }

    public ConfigSpec spec() { return spec; }

    public String string(String key) { return (String) get(key); }

    public int integer(String key) { return (Integer) get(key); }

    public long longValue(String key) { return (Long) get(key); }

    public double decimal(String key) { return (Double) get(key); }

    public boolean bool(String key) { return (Boolean) get(key); }

    private Object get(String key) {
        Object v = values.get(key);
        if (v == null && !values.containsKey(key)) throw new IllegalArgumentException("no config key '" + key + "' in the spec of " + spec.service());
        return v;
    }

    /** Settings to pass to every Kafka client: bootstrap servers plus all kafka.* keys. */
    public Map<String, Object> kafkaClientProperties() {
        Map<String, Object> props = new HashMap<>(kafkaOverrides);
        props.put("bootstrap.servers", string(CommonKeys.BOOTSTRAP_SERVERS));
        return props;
    }

    /**
     * kafka.* keys that no Kafka client knows (producer, consumer, admin, and Streams when it is on the class path;
     * prefixed producer./consumer./admin./main.consumer./restore.consumer./global.consumer./topic. ones pass):
     * most likely misspelt, so every service warns about them at start-up.
     */
    public List<String> unknownKafkaKeys() {
        Set<String> known = new HashSet<>();
        known.addAll(org.apache.kafka.clients.producer.ProducerConfig.configNames());
        known.addAll(org.apache.kafka.clients.consumer.ConsumerConfig.configNames());
        known.addAll(org.apache.kafka.clients.admin.AdminClientConfig.configNames());
        try {
            Object def = Class.forName("org.apache.kafka.streams.StreamsConfig").getMethod("configDef").invoke(null);
            known.addAll(((org.apache.kafka.common.config.ConfigDef) def).names());
        } catch (ReflectiveOperationException | LinkageError e) {
            // not a Streams service
        }
        List<String> out = new ArrayList<>();
        for (String k : kafkaOverrides.keySet()) {
            boolean prefixed = List.of("producer.", "consumer.", "admin.", "main.consumer.", "restore.consumer.",
                    "global.consumer.", "topic.").stream().anyMatch(k::startsWith);
            if (!prefixed && !known.contains(k)) out.add(KAFKA_PREFIX + k);
        }
        return out;
    }

    /** The effective values, for a start-up log line. Passwords are not printed. */
    @Override
    public String toString() {
        Map<String, Object> shown = new LinkedHashMap<>();
        for (ConfigSpec.Key k : spec.keys()) shown.put(k.name(), values.get(k.name()));
        kafkaOverrides.forEach((k, v) -> shown.put(KAFKA_PREFIX + k, k.contains("password") || k.contains("jaas") ? "[hidden]" : v));
        shown.computeIfPresent(CommonKeys.REGISTRY_USER_INFO, (k, v) -> v.toString().isEmpty() ? v : "[hidden]");
        return shown.toString();
    }
}
