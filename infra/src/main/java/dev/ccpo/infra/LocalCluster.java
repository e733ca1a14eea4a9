package dev.ccpo.infra;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.infra.registry.SchemaRegistryServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-node Kafka cluster (KRaft, child process) plus our schema registry (backed by the
 * _schemas topic) for integration tests and local runs. DESIGN.md's topics are created on start.
 */
public final class LocalCluster implements AutoCloseable {
    public static final String SCHEMAS_TOPIC = "_schemas";

    private final Path workDir;
    private final boolean deleteOnClose;
    private final KafkaBrokerProcess broker;
    private final Thread shutdownHook;
    private SchemaRegistryServer registry;
    private volatile boolean closed;

    private LocalCluster(Path workDir, boolean deleteOnClose, int brokerPort, KafkaBrokerProcess.Sasl sasl) {
        this.workDir = workDir;
        this.deleteOnClose = deleteOnClose;
        this.broker = new KafkaBrokerProcess(workDir.resolve("kafka"), brokerPort, sasl);
        // destroys the child broker when the test JVM exits without close()
        this.shutdownHook = new Thread(broker::kill, "local-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A cluster in a fresh temp directory (deleted on close), on free loopback ports. */
    public static LocalCluster start() {
        try {
            return start(Files.createTempDirectory("ccpo-cluster-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp directory for the local cluster", e);
        }
    }

    /**
     * A cluster in a fresh temp directory whose broker only speaks SASL (SCRAM-SHA-256) and denies what no ACL
     * allows. {@link #kafkaProps()} are the super user's ({@code admin}, with {@code adminPassword}), which the
     * registry and topic creation use; {@link #createUser} and {@link #kafkaProps(String, String)} make others.
     */
    public static LocalCluster startWithSasl(String adminPassword) {
        try {
            return start(Files.createTempDirectory("ccpo-cluster-sasl-"), true, 0, 0, TopicsAdmin.DEFAULT_PARTITIONS,
                    new KafkaBrokerProcess.Sasl("admin", adminPassword));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp directory for the local cluster", e);
        }
    }

    /** A cluster whose broker data and logs live in workDir (kept on close). */
    public static LocalCluster start(Path workDir) { return start(workDir, false); }

    private static LocalCluster start(Path workDir, boolean deleteOnClose) {
        return start(workDir, deleteOnClose, 0, 0, TopicsAdmin.DEFAULT_PARTITIONS, null);
    }

    /** For `InfraCli up`: fixed ports (0 = any free one) and the partition count of the DESIGN.md topics. */
    public static LocalCluster start(Path workDir, int brokerPort, int registryPort, int partitions) {
        return start(workDir, false, brokerPort, registryPort, partitions, null);
    }

    private static LocalCluster start(Path workDir, boolean deleteOnClose, int brokerPort, int registryPort, int partitions,
                                      KafkaBrokerProcess.Sasl sasl) {
        LocalCluster c = new LocalCluster(workDir, deleteOnClose, brokerPort, sasl);
        try {
            c.broker.start();
            c.registry = SchemaRegistryServer.kafkaBacked(c.kafkaProps(), SCHEMAS_TOPIC, "127.0.0.1", registryPort, null);
            TopicsAdmin.createAll(c.kafkaProps(), TopicsAdmin.specs(c.config("infra"), partitions));
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public String bootstrapServers() { return broker.bootstrapServers(); }

    public String registryUrl() { return registry.url(); }

    public SchemaRegistryServer registry() { return registry; }

    public Path workDir() { return workDir; }

    /** The broker's log file (stdout and stderr of the child process). */
    public Path brokerLog() { return broker.logFile(); }

    /** Client settings for this cluster: bootstrap.servers, plus the super user's credentials on a SASL cluster. */
    public Map<String, Object> kafkaProps() {
        return broker.adminClientProps();
    }

    /** Client settings of another principal of a SASL cluster (see {@link #createUser}). */
    public Map<String, Object> kafkaProps(String user, String password) {
        Map<String, Object> m = new HashMap<>(KafkaBrokerProcess.scramClientProps(user, password));
        m.put("bootstrap.servers", bootstrapServers());
        return m;
    }

    /** The same settings as a service's {@code --kafka.*} arguments. */
    public List<String> serviceArgs(String user, String password) {
        List<String> args = new ArrayList<>();
        KafkaBrokerProcess.scramClientProps(user, password).forEach((k, v) -> args.add("--kafka." + k + "=" + v));
        return args;
    }

    /** Adds a SCRAM-SHA-256 user to a SASL cluster (as the super user). */
    public void createUser(String user, String password) {
        try (Admin admin = Admin.create(kafkaProps())) {
            admin.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(user,
                    new org.apache.kafka.clients.admin.ScramCredentialInfo(org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_256, 8192),
                    password))).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the SCRAM user " + user + ": " + e, e);
        }
    }

    /** A Config of CommonKeys.spec(service) pointing at this cluster, plus --key=value extraArgs. */
    public Config config(String service, String... extraArgs) { return config(CommonKeys.spec(service), extraArgs); }

    /** A Config of the given (service's own) spec pointing at this cluster, plus --key=value extraArgs. */
    public Config config(ConfigSpec spec, String... extraArgs) {
        List<String> args = new ArrayList<>();
        args.add("--" + CommonKeys.BOOTSTRAP_SERVERS + "=" + bootstrapServers());
        args.add("--" + CommonKeys.REGISTRY_URL + "=" + registryUrl());
        args.addAll(List.of(extraArgs));
        return Config.load(spec, args.toArray(String[]::new), Map.of());
    }

    public void createTopic(String name, int partitions, Map<String, String> configs) {
        try (Admin admin = Admin.create(kafkaProps())) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException))
                throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + name + ": " + e, e);
        }
    }

    /** Clean shutdown (SIGTERM); the registry keeps serving from memory. */
    public void stopBroker() { broker.stop(); }

    /** Restarts on the same ports and data directory and waits until ready. */
    public void startBroker() { broker.start(); }

    /** kill -9 of the broker process. */
    public void killBroker() { broker.kill(); }

    public boolean brokerAlive() { return broker.isAlive(); }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (registry != null) registry.close();
        broker.stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // already shutting down: the hook runs anyway
        }
        if (deleteOnClose) deleteRecursively(workDir);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the cluster directory " + dir, e);
        }
    }
}
