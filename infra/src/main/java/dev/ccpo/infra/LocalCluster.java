package dev.ccpo.infra;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.infra.registry.SchemaRegistryServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.admin.TopicDescription;
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
 * A real Kafka cluster (KRaft) of one or more nodes, each broker and controller in its own child process on loopback
 * ports, plus our schema registry (backed by the _schemas topic), for integration tests and local runs. The topics
 * of docs/contract.md are created on start: with 3 replicas and min.insync.replicas 2 on three or more brokers, 1 and 1 on a
 * single broker (which cannot hold more).
 *
 * <p>A test cluster's folder is {@code target/local-clusters/<name>} when the working directory has a {@code target}
 * folder (a Maven module), else a temp folder. On close the partition data is deleted and, under {@code target},
 * the brokers' logs ({@code kafka*}/broker.log) and settings are kept, so a failed test's broker log is there to read;
 * {@code -Dccpo.cluster.keep=true} keeps the data as well.
 */
public final class LocalCluster implements AutoCloseable {
    public static final String SCHEMAS_TOPIC = "_schemas";

    private final Path workDir;
    private final boolean deleteDataOnClose;
    private final List<KafkaBrokerProcess> brokers = new ArrayList<>();
    private final Thread shutdownHook;
    private SchemaRegistryServer registry;
    private volatile boolean closed;

    private LocalCluster(Path workDir, boolean deleteDataOnClose, int brokerCount, int firstBrokerPort, KafkaBrokerProcess.Sasl sasl) {
        if (brokerCount < 1) throw new IllegalArgumentException("a cluster needs at least one broker, not " + brokerCount);
        this.workDir = workDir;
        this.deleteDataOnClose = deleteDataOnClose;
        List<KafkaBrokerProcess.Node> quorum = new ArrayList<>();
        for (int id = 1; id <= brokerCount; id++)
            quorum.add(KafkaBrokerProcess.Node.of(id, firstBrokerPort > 0 ? firstBrokerPort + id - 1 : 0));
        String clusterId = KafkaBrokerProcess.newClusterId();
        for (KafkaBrokerProcess.Node n : quorum) // one broker keeps its folder name of earlier versions (infra up's data)
            brokers.add(new KafkaBrokerProcess(workDir.resolve(brokerCount == 1 ? "kafka" : "kafka-" + n.id()), n, quorum, clusterId, sasl));
        // destroys the child brokers when the test JVM exits without close()
        this.shutdownHook = new Thread(() -> brokers.forEach(KafkaBrokerProcess::kill), "local-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A single-broker cluster in a fresh test folder, on free loopback ports. */
    public static LocalCluster start() { return start(1); }

    /** A cluster of {@code brokers} brokers (each also a KRaft controller) in a fresh test folder, on free loopback ports. */
    public static LocalCluster start(int brokers) {
        return start(testFolder("ccpo-cluster-"), true, brokers, 0, 0, TopicsAdmin.DEFAULT_PARTITIONS, null);
    }

    /**
     * A cluster in a fresh temp directory whose broker only speaks SASL (SCRAM-SHA-256) and denies what no ACL
     * allows. {@link #kafkaProps()} are the super user's ({@code admin}, with {@code adminPassword}), which the
     * registry and topic creation use; {@link #createUser} and {@link #kafkaProps(String, String)} make others.
     */
    public static LocalCluster startWithSasl(String adminPassword) {
        return start(testFolder("ccpo-cluster-sasl-"), true, 1, 0, 0, TopicsAdmin.DEFAULT_PARTITIONS,
                new KafkaBrokerProcess.Sasl("admin", adminPassword));
    }

    /** A single-broker cluster whose broker data and logs live in workDir (kept on close). */
    public static LocalCluster start(Path workDir) {
        return start(workDir, false, 1, 0, 0, TopicsAdmin.DEFAULT_PARTITIONS, null);
    }

    /**
     * For `InfraCli up`: {@code brokers} brokers on ports {@code brokerPort}, {@code brokerPort + 1}, ... (0 = any
     * free ones), the registry's port (0 = any free one) and the partition count of the topics of docs/contract.md.
     */
    public static LocalCluster start(Path workDir, int brokers, int brokerPort, int registryPort, int partitions) {
        return start(workDir, false, brokers, brokerPort, registryPort, partitions, null);
    }

    private static LocalCluster start(Path workDir, boolean deleteDataOnClose, int brokers, int brokerPort, int registryPort,
                                      int partitions, KafkaBrokerProcess.Sasl sasl) {
        LocalCluster c = new LocalCluster(workDir, deleteDataOnClose, brokers, brokerPort, sasl);
        try {
            c.startBrokers(c.brokers);
            c.registry = SchemaRegistryServer.kafkaBacked(c.kafkaProps(), SCHEMAS_TOPIC, "127.0.0.1", registryPort, null);
            TopicsAdmin.createAll(c.kafkaProps(), TopicsAdmin.specs(c.config("infra"), partitions, c.replicationFactor(), c.minInsyncReplicas()));
            c.awaitLeaders();
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** {@code target/local-clusters/<prefix><time>-<n>} in a Maven module (kept for reading after a failure), else a temp folder. */
    private static Path testFolder(String prefix) {
        try {
            Path target = Path.of("target");
            if (!Files.isDirectory(target)) return Files.createTempDirectory(prefix);
            Path parent = Files.createDirectories(target.resolve("local-clusters"));
            String stamp = java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            return Files.createTempDirectory(parent, prefix + stamp + "-").toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the local cluster", e);
        }
    }

    /** Every broker's address, comma-separated. */
    public String bootstrapServers() { return String.join(",", brokers.stream().map(KafkaBrokerProcess::bootstrapServers).toList()); }

    /** The number of brokers. */
    public int brokerCount() { return brokers.size(); }

    /** The replication factor of the topics this cluster creates: 3, or the broker count when smaller. */
    public short replicationFactor() { return (short) Math.min(3, brokers.size()); }

    /** min.insync.replicas of the topics this cluster creates: 2, or the broker count when smaller. */
    public int minInsyncReplicas() { return Math.min(2, brokers.size()); }

    public String registryUrl() { return registry.url(); }

    public SchemaRegistryServer registry() { return registry; }

    public Path workDir() { return workDir; }

    /** The first broker's log file (stdout and stderr of the child process). */
    public Path brokerLog() { return brokers.get(0).logFile(); }

    /** Client settings for this cluster: bootstrap.servers, plus the super user's credentials on a SASL cluster. */
    public Map<String, Object> kafkaProps() {
        Map<String, Object> m = brokers.get(0).adminClientProps();
        m.put("bootstrap.servers", bootstrapServers());
        return m;
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
            Map<String, String> withIsr = new HashMap<>(Map.of("min.insync.replicas", String.valueOf(minInsyncReplicas())));
            withIsr.putAll(configs);
            admin.createTopics(List.of(new NewTopic(name, partitions, replicationFactor()).configs(withIsr))).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException))
                throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + name + ": " + e, e);
        }
        awaitLeaders();
    }

    /**
     * Waits until every partition of every topic has a leader. Until then a producer can lose its first batch: the
     * broker answers it NOT_LEADER_OR_FOLLOWER, the producer's next batch (up to 5 are in flight) arrives once the
     * leader is in place and is accepted although its sequence is not 0 (the broker accepts any first sequence from
     * a producer it has no state for), and every retry of the first batch is then OUT_OF_ORDER_SEQUENCE_NUMBER until
     * delivery.timeout.ms expires it (KAFKA-15591). A freshly created topic and a restarted single broker are
     * both in that state for a moment after the broker itself answers.
     */
    public void awaitLeaders() {
        long deadline = System.currentTimeMillis() + 120_000;
        String last = "";
        try (Admin admin = Admin.create(kafkaProps())) {
            while (System.currentTimeMillis() < deadline) {
                try {
                    Map<String, TopicDescription> topics = admin.describeTopics(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                            .allTopicNames().get(10, TimeUnit.SECONDS);
                    List<String> leaderless = new ArrayList<>();
                    Map<TopicPartition, OffsetSpec> all = new HashMap<>();
                    topics.forEach((name, d) -> d.partitions().forEach(p -> {
                        if (p.leader() == null || p.leader().isEmpty()) leaderless.add(name + "-" + p.partition());
                        all.put(new TopicPartition(name, p.partition()), OffsetSpec.latest());
                    }));
                    if (leaderless.isEmpty()) {
                        // metadata names a leader a moment before that broker acts as one; ListOffsets is served by the
                        // leader itself, so its answer for every partition means each leader is in place
                        admin.listOffsets(all).all().get(30, TimeUnit.SECONDS);
                        return;
                    }
                    last = "without a leader: " + leaderless;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    last = e.toString();
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for partition leaders", e);
        }
        throw new IllegalStateException("partitions on " + bootstrapServers() + " still lack a leader after 120 s (" + last + "); see " + workDir);
    }

    /** Broker ids, 1..{@link #brokerCount()}. */
    public List<Integer> brokerIds() { return brokers.stream().map(KafkaBrokerProcess::nodeId).toList(); }

    /** Clean shutdown (SIGTERM) of every broker; the registry keeps serving from memory. */
    public void stopBroker() {
        // all at once: a broker alone waits for a quorum that its stopped peers no longer make
        brokers.forEach(KafkaBrokerProcess::signalStop);
        brokers.forEach(KafkaBrokerProcess::stop);
    }

    /** Restarts every broker on the same ports and data and waits until each is ready and every partition has a leader. */
    public void startBroker() {
        startBrokers(brokers);
        awaitLeaders();
    }

    /** kill -9 of every broker process. */
    public void killBroker() { brokers.forEach(KafkaBrokerProcess::kill); }

    /** Clean shutdown (SIGTERM) of one broker. */
    public void stopBroker(int id) { broker(id).stop(); }

    /** kill -9 of one broker: it gets no chance to flush or to hand its partitions over. */
    public void killBroker(int id) { broker(id).kill(); }

    /**
     * Restarts one broker on its ports and data and waits until it is back in the cluster (its partitions may be
     * led by others for a while: leadership goes back to it at the next preferred-leader election).
     */
    public void startBroker(int id) { startBrokers(List.of(broker(id))); }

    public boolean brokerAlive() { return brokers.stream().allMatch(KafkaBrokerProcess::isAlive); }

    public boolean brokerAlive(int id) { return broker(id).isAlive(); }

    private KafkaBrokerProcess broker(int id) {
        return brokers.stream().filter(b -> b.nodeId() == id).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no broker " + id + " in " + brokerIds()));
    }

    /** Launches them all first (a quorum needs a majority before anyone is ready), then waits for each. */
    private void startBrokers(List<KafkaBrokerProcess> which) {
        which.forEach(KafkaBrokerProcess::launch);
        which.forEach(b -> b.awaitReady(120_000));
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (registry != null) registry.close();
        stopBroker();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // already shutting down: the hook runs anyway
        }
        if (!deleteDataOnClose || Boolean.getBoolean("ccpo.cluster.keep")) return;
        if (workDir.startsWith(Path.of("target", "local-clusters").toAbsolutePath()))
            for (KafkaBrokerProcess b : brokers) deleteRecursively(b.dataDir()); // the logs stay for a failed test
        else deleteRecursively(workDir);
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
