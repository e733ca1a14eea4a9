package dev.ccpo.infra;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * One real Kafka node in KRaft combined mode (broker+controller) as a child JVM, alone or one of the voters of a
 * local quorum ({@link Node}s on loopback ports). The ports and the data directory are fixed at construction, so
 * stop/start keeps the cluster's data (fault tests).
 * With {@link Sasl} it only speaks SASL: clients authenticate with SCRAM-SHA-256, the controller
 * listener with PLAIN (KRaft controllers cannot check SCRAM), and the StandardAuthorizer denies
 * whatever no ACL allows; the admin user is a super user, created when the storage is formatted.
 */
final class KafkaBrokerProcess {
    /** The super user of a SASL broker. */
    record Sasl(String adminUser, String adminPassword) {}

    /**
     * One node of the quorum: its id, its client (broker) port, its controller port, and the directory id its
     * metadata log is formatted with (a multi-node quorum's initial voters name each voter's directory).
     */
    record Node(int id, int brokerPort, int controllerPort, String directoryId) {
        /** brokerPort 0 picks a free loopback port; the controller port is always a free one. */
        static Node of(int id, int brokerPort) {
            return new Node(id, brokerPort > 0 ? brokerPort : freePort(), freePort(), newClusterId());
        }

        String voter() { return id + "@127.0.0.1:" + controllerPort + ":" + directoryId; }
    }

    static final String SCRAM = "SCRAM-SHA-256";

    private final Path workDir;
    private final Node self;
    private final List<Node> quorum;
    private final String clusterId;
    private final String classpath;
    private final Sasl sasl;
    private Process process;

    /** self is one of quorum (null = a quorum of self alone); clusterId is used when the storage is formatted; sasl null = PLAINTEXT. */
    KafkaBrokerProcess(Path workDir, Node self, List<Node> quorum, String clusterId, Sasl sasl) {
        this.workDir = workDir;
        this.self = self;
        this.quorum = quorum == null ? List.of(self) : List.copyOf(quorum);
        this.clusterId = clusterId;
        this.classpath = kafkaClasspath();
        this.sasl = sasl;
    }

    int nodeId() { return self.id(); }

    String bootstrapServers() { return "127.0.0.1:" + self.brokerPort(); }

    /** Client settings of the super user (just bootstrap.servers on a PLAINTEXT broker). */
    Map<String, Object> adminClientProps() {
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("bootstrap.servers", bootstrapServers());
        if (sasl != null) m.putAll(scramClientProps(sasl.adminUser(), sasl.adminPassword()));
        return m;
    }

    /** The client settings a principal needs on a SASL broker (without bootstrap.servers). */
    static Map<String, Object> scramClientProps(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", SCRAM,
                "sasl.jaas.config", jaas("org.apache.kafka.common.security.scram.ScramLoginModule", user, password, ""));
    }

    private static String jaas(String module, String user, String password, String extra) {
        return module + " required username=\"" + user + "\" password=\"" + password + "\"" + extra + ";";
    }

    Path logFile() { return workDir.resolve("broker.log"); }

    /** The partition data (log.dirs). */
    Path dataDir() { return workDir.resolve("data"); }

    synchronized boolean isAlive() { return process != null && process.isAlive(); }

    /** Formats the storage on first use, starts the broker and waits until it is registered in its cluster. */
    synchronized void start() {
        launch();
        awaitReady(90_000);
    }

    /**
     * Formats the storage on first use and starts the process without waiting: the nodes of a quorum must all be
     * launched before any of them can become ready.
     */
    synchronized void launch() {
        if (isAlive()) return;
        try {
            Files.createDirectories(workDir);
            Path props = writeServerProperties();
            if (!Files.exists(workDir.resolve("data").resolve("meta.properties"))) {
                List<String> format = new ArrayList<>(List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", props.toString()));
                if (quorum.size() == 1) format.add("--standalone");
                else format.addAll(List.of("--initial-controllers", String.join(",", quorum.stream().map(Node::voter).toList())));
                if (sasl != null) // the super user's SCRAM credential, so the broker and the admin can log in at all
                    format.addAll(List.of("--add-scram", SCRAM + "=[name=" + sasl.adminUser() + ",password=" + sasl.adminPassword() + "]"));
                int rc = runJava(format).waitFor();
                // the log's tail goes into the message: a temp cluster deletes its folder, log included, on close
                if (rc != 0) throw new IllegalStateException("kafka StorageTool format failed with exit " + rc + "; " + logFile() + " ends with:\n" + logTail(30));
            }
            // C1 only: a local broker shares a small machine with the clients it serves, and its C2 compiles were the
            // largest part of its CPU there (demo bench, 67 s of the pipeline: 10.2 of 22.3 s; with C1 only, 14.3 s in
            // all). A production broker runs on its own machine with its own JVM options.
            process = runJava(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "kafka.Kafka", props.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Kafka broker in " + workDir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while formatting Kafka storage", e);
        }
    }

    /** SIGTERM without waiting (see {@link #stop()}). */
    synchronized void signalStop() {
        if (process != null) process.destroy();
    }

    /** SIGTERM and wait for a clean shutdown (forcibly after 30 s). */
    synchronized void stop() {
        if (process == null) return;
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** SIGKILL: the broker gets no chance to flush or deregister. */
    synchronized void kill() {
        if (process == null) return;
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /**
     * Waits until this node answers describeCluster as a member of its own cluster (the cluster id it was formatted
     * with, its node id listed), so another cluster's broker that happens to hold the port never passes for it.
     * Partition leadership comes later: see {@link LocalCluster#awaitLeaders}.
     */
    synchronized void awaitReady(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        Exception last = null;
        // wait for the listener first: an AdminClient polling a closed port logs a warning per attempt
        while (System.currentTimeMillis() < deadline && process.isAlive()) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", self.brokerPort()), 500);
                break;
            } catch (IOException e) {
                last = e;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the Kafka broker", ie);
                }
            }
        }
        Map<String, Object> adminProps = adminClientProps();
        adminProps.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        adminProps.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        try (Admin admin = Admin.create(adminProps)) {
            while (System.currentTimeMillis() < deadline) {
                if (!process.isAlive())
                    throw new IllegalStateException("Kafka broker exited with code " + process.exitValue() + " during start-up; " + logFile() + " ends with:\n" + logTail(30));
                try {
                    DescribeClusterResult d = admin.describeCluster(new DescribeClusterOptions().timeoutMs(3000));
                    String id = d.clusterId().get(5, TimeUnit.SECONDS);
                    if (!id.equals(formattedClusterId()))
                        throw new IllegalStateException("port " + self.brokerPort() + " is answered by another Kafka cluster (" + id
                                + ", not " + formattedClusterId() + "): the broker could not bind it; " + logFile() + " ends with:\n" + logTail(30));
                    if (d.nodes().get(5, TimeUnit.SECONDS).stream().anyMatch(n -> n.id() == self.id()))
                        return;
                } catch (IllegalStateException e) {
                    throw e;
                } catch (Exception e) {
                    last = e;
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
        }
        throw new IllegalStateException("Kafka broker at " + bootstrapServers() + " not ready after " + timeoutMs + " ms (last error: "
                + last + "); see " + logFile());
    }

    private String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile());
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(cannot read " + logFile() + ": " + e + ")";
        }
    }

    /** The cluster id in this node's meta.properties (the one it was formatted with, maybe in an earlier run). */
    private String formattedClusterId() {
        java.util.Properties meta = new java.util.Properties();
        try (InputStream in = Files.newInputStream(workDir.resolve("data").resolve("meta.properties"))) {
            meta.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + workDir.resolve("data").resolve("meta.properties"), e);
        }
        return meta.getProperty("cluster.id");
    }

    private Process runJava(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add("-Dkafka.logs.dir=" + workDir.resolve("logs"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
    }

    private Path writeServerProperties() throws IOException {
        String data = workDir.resolve("data").toString();
        String listener = sasl == null ? "PLAINTEXT" : "SASL_PLAINTEXT";
        // internal topics as a production cluster has them, as far as the node count allows: 3 replicas, 2 in sync
        int replicas = Math.min(3, quorum.size()), minIsr = Math.min(2, quorum.size());
        String props = String.join("\n",
                "process.roles=broker,controller",
                "node.id=" + self.id(),
                "controller.quorum.bootstrap.servers=" + String.join(",", quorum.stream().map(n -> "127.0.0.1:" + n.controllerPort()).toList()),
                "listeners=" + listener + "://127.0.0.1:" + self.brokerPort() + ",CONTROLLER://127.0.0.1:" + self.controllerPort(),
                "advertised.listeners=" + listener + "://127.0.0.1:" + self.brokerPort(),
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=" + listener,
                "listener.security.protocol.map=" + listener + ":" + listener + ",CONTROLLER:" + listener,
                saslProperties(),
                "log.dirs=" + data,
                "num.partitions=1",
                "offsets.topic.replication.factor=" + replicas,
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=" + replicas,
                "transaction.state.log.min.isr=" + minIsr,
                "transaction.state.log.num.partitions=4",
                "share.coordinator.state.topic.replication.factor=" + replicas,
                "share.coordinator.state.topic.min.isr=" + minIsr,
                "default.replication.factor=" + replicas,
                "min.insync.replicas=" + minIsr,
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "log.segment.bytes=67108864",
                "message.max.bytes=8388608",
                "");
        Path file = workDir.resolve("server.properties");
        Files.writeString(file, props, StandardCharsets.UTF_8);
        return file;
    }

    /** The SASL and authorizer settings (an empty line on a PLAINTEXT broker). */
    private String saslProperties() {
        if (sasl == null) return "";
        String user = sasl.adminUser(), password = sasl.adminPassword();
        return String.join("\n",
                "sasl.enabled.mechanisms=" + SCRAM,
                "sasl.mechanism.inter.broker.protocol=" + SCRAM,
                "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config="
                        + jaas("org.apache.kafka.common.security.scram.ScramLoginModule", user, password, ""),
                "sasl.mechanism.controller.protocol=PLAIN",
                "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
                "listener.name.controller.plain.sasl.jaas.config="
                        + jaas("org.apache.kafka.common.security.plain.PlainLoginModule", user, password, " user_" + user + "=\"" + password + "\""),
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users=User:" + user,
                "allow.everyone.if.no.acl.found=false");
    }

    /**
     * A free loopback port below the kernel's ephemeral range. A port from {@code new ServerSocket(0)} lies inside
     * that range, where any outgoing client connection (another test's producer) may take it between this check
     * and the broker's bind, or while a stopped broker waits to be restarted on it: a broker failed to start with
     * "Address already in use" once that way. Client connections never use ports below the range.
     */
    static int freePort() {
        int below = ephemeralRangeStart();
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200 && below > 11_024; attempt++) {
            int port = random.nextInt(10_000, below);
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // another server holds it: try the next
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    /** The first port of Linux's ip_local_port_range (32768 when it cannot be read, the kernel's default). */
    static int ephemeralRangeStart() {
        // read line-wise: Files.readString trusts the size /proc reports and returned "3" for "32768\t60999"
        try (java.io.BufferedReader r = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            return Integer.parseInt(r.readLine().trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    /**
     * A random cluster id as Kafka writes them (base64url of a UUID), never starting with '-': the storage tool's
     * argument parser would take "-t -abc..." for an option and fail (1 start in 64 failed that way).
     */
    static String newClusterId() {
        while (true) {
            String id = uuidToKafkaId(UUID.randomUUID());
            if (!id.startsWith("-")) return id;
        }
    }

    private static String uuidToKafkaId(UUID u) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /**
     * The broker's classpath: kafka-classpath.txt written at build time (works in surefire/failsafe,
     * where java.class.path can be a manifest-only booter jar); else the jar holding kafka.Kafka
     * when it is our shaded jar; else java.class.path, expanding a booter jar's manifest Class-Path.
     */
    static String kafkaClasspath() {
        try (InputStream in = KafkaBrokerProcess.class.getResourceAsStream("/kafka-classpath.txt")) {
            if (in != null) {
                String cp = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
                if (!cp.isEmpty() && cp.split(File.pathSeparator).length > 0
                        && java.util.Arrays.stream(cp.split(File.pathSeparator)).allMatch(p -> new File(p).exists()))
                    return cp;
            }
        } catch (IOException ignored) {
            // fall through to the other sources
        }
        try {
            Path kafkaJar = Path.of(Class.forName("kafka.Kafka").getProtectionDomain().getCodeSource().getLocation().toURI());
            Path ourJar = Path.of(KafkaBrokerProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (kafkaJar.equals(ourJar) && Files.isRegularFile(ourJar)) return ourJar.toString();
        } catch (Exception ignored) {
            // fall through
        }
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(e);
            if (e.endsWith(".jar")) entries.addAll(manifestClassPath(Path.of(e)));
        }
        return String.join(File.pathSeparator, entries);
    }

    private static List<String> manifestClassPath(Path jar) {
        List<String> out = new ArrayList<>();
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest m = jf.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
            if (cp == null) return out;
            for (String u : cp.trim().split("\\s+")) {
                try {
                    out.add(Path.of(jar.toUri().resolve(u)).toString());
                } catch (Exception ignored) {
                    // a malformed entry cannot be on the classpath anyway
                }
            }
        } catch (IOException ignored) {
            // not a readable jar: no extra entries
        }
        return out;
    }
}
