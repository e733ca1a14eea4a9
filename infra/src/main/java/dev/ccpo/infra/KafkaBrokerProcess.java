package dev.ccpo.infra;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

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
 * One real Kafka broker in KRaft combined mode (broker+controller) as a child JVM. The ports and
 * the data directory are fixed at construction, so stop/start keeps the cluster's data (fault tests).
 * With {@link Sasl} it only speaks SASL: clients authenticate with SCRAM-SHA-256, the controller
 * listener with PLAIN (KRaft controllers cannot check SCRAM), and the StandardAuthorizer denies
 * whatever no ACL allows; the admin user is a super user, created when the storage is formatted.
 */
final class KafkaBrokerProcess {
    /** The super user of a SASL broker. */
    record Sasl(String adminUser, String adminPassword) {}

    static final String SCRAM = "SCRAM-SHA-256";

    private final Path workDir;
    private final int brokerPort;
    private final int controllerPort;
    private final String classpath;
    private final Sasl sasl;
    private Process process;

    KafkaBrokerProcess(Path workDir) { this(workDir, 0, null); }

    /** brokerPort 0 picks a free loopback port; the controller port is always a free one; sasl null = PLAINTEXT. */
    KafkaBrokerProcess(Path workDir, int brokerPort, Sasl sasl) {
        this.workDir = workDir;
        this.brokerPort = brokerPort > 0 ? brokerPort : freePort();
        this.controllerPort = freePort();
        this.classpath = kafkaClasspath();
        this.sasl = sasl;
    }

    String bootstrapServers() { return "127.0.0.1:" + brokerPort; }

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

    synchronized boolean isAlive() { return process != null && process.isAlive(); }

    /** Formats the storage on first use, starts the broker and waits until it answers describeCluster. */
    synchronized void start() {
        if (isAlive()) return;
        try {
            Files.createDirectories(workDir);
            Path props = writeServerProperties();
            if (!Files.exists(workDir.resolve("data").resolve("meta.properties"))) {
                String clusterId = newClusterId();
                List<String> format = new ArrayList<>(List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", props.toString(), "--standalone"));
                if (sasl != null) // the super user's SCRAM credential, so the broker and the admin can log in at all
                    format.addAll(List.of("--add-scram", SCRAM + "=[name=" + sasl.adminUser() + ",password=" + sasl.adminPassword() + "]"));
                int rc = runJava(format).waitFor();
                // the log's tail goes into the message: a temp cluster deletes its folder, log included, on close
                if (rc != 0) throw new IllegalStateException("kafka StorageTool format failed with exit " + rc + "; " + logFile() + " ends with:\n" + logTail(30));
            }
            process = runJava(List.of("-Xmx512m", "kafka.Kafka", props.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Kafka broker in " + workDir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while formatting Kafka storage", e);
        }
        awaitReady(90_000);
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

    private void awaitReady(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        Exception last = null;
        // wait for the listener first: an AdminClient polling a closed port logs a warning per attempt
        while (System.currentTimeMillis() < deadline && process.isAlive()) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", brokerPort), 500);
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
                    if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(3000)).nodes().get(5, TimeUnit.SECONDS).isEmpty())
                        return;
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
        String props = String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=" + listener + "://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=" + listener + "://127.0.0.1:" + brokerPort,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=" + listener,
                "listener.security.protocol.map=" + listener + ":" + listener + ",CONTROLLER:" + listener,
                saslProperties(),
                "log.dirs=" + data,
                "num.partitions=1",
                // a single node: every replicated internal topic must fit on it
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=4",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "default.replication.factor=1",
                "min.insync.replicas=1",
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

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
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
