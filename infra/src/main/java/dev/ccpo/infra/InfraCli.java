package dev.ccpo.infra;

import dev.ccpo.cli.Cli;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.infra.registry.SchemaRegistryServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * infra's command line: up (broker + registry until SIGTERM), topics (create the topics of docs/contract.md on
 * an existing cluster), registry (our registry against an existing cluster), smoke (start a
 * cluster, round-trip one record of every Avro type, stop; exit 0 only if all matched).
 */
public final class InfraCli {
    static final String WORK_DIR = "work.dir";
    static final String KAFKA_PORT = "broker.port";
    static final String REGISTRY_PORT = "registry.port";
    static final String REGISTRY_HOST = "registry.host";
    static final String REGISTRY_MAX_BODY = "registry.max.body.bytes";
    static final String PARTITIONS = "topics.partitions";
    static final String REPLICATION_FACTOR = "topics.replication.factor";
    static final String MIN_INSYNC_REPLICAS = "topics.min.insync.replicas";
    static final String BROKERS = "brokers";
    static final String PID_FILE = "pid.file";
    static final String SMOKE_CLUSTER = "smoke.cluster";

    private InfraCli() { }

    static ConfigSpec spec(String command) {
        return CommonKeys.spec("infra " + command)
                .string(WORK_DIR, "ccpo-local", "Directory for the broker's data and logs (up).")
                .integer(KAFKA_PORT, 9092, 0, 65535, "Broker port on 127.0.0.1 for up; 0 = any free port.")
                .integer(REGISTRY_PORT, 8081, 0, 65535, "Schema registry port; 0 = any free port.")
                .string(REGISTRY_HOST, "127.0.0.1", "Address the registry binds to.")
                .integer(REGISTRY_MAX_BODY, SchemaRegistryServer.DEFAULT_MAX_BODY_BYTES, 1, Integer.MAX_VALUE - 1, "Largest request body the registry reads; a larger one gets HTTP 413 with a Confluent-style error body.")
                .integer(PARTITIONS, TopicsAdmin.DEFAULT_PARTITIONS, 1, 1024, "Partitions of the topics of docs/contract.md (rollout-stats always 1).")
                .integer(REPLICATION_FACTOR, TopicsAdmin.DEFAULT_REPLICATION_FACTOR, 1, 32767,
                        "topics: replicas of every topic of docs/contract.md (up: 3, or its broker count when smaller).")
                .integer(MIN_INSYNC_REPLICAS, TopicsAdmin.DEFAULT_MIN_INSYNC_REPLICAS, 1, 32767,
                        "topics: min.insync.replicas of every topic of docs/contract.md, at most the replication factor (up: 2, or its broker count when smaller).")
                .integer(BROKERS, 1, 1, 9, "up: brokers (each also a KRaft controller) on broker.port, broker.port+1, ...")
                .string(PID_FILE, "", "If set, up writes its process id here (bin/ccpo-down reads it).")
                .choice(SMOKE_CLUSTER, "embedded", "smoke: 'embedded' starts a throwaway cluster; 'existing' uses bootstrap.servers and schema.registry.url.",
                        "embedded", "existing");
    }

    public static void main(String[] args) throws Exception {
        // Kafka clients log every config at INFO; the CLI's own output is what matters (override with -D)
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null)
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        // AvroSerde builds its writer before trusting dev.ccpo.avro (schemas bug); trust it before Avro loads
        if (System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") == null)
            System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "dev.ccpo");
        if (args.length == 0 || args[0].startsWith("-")) {
            System.err.println("usage: infra (up|topics|registry|smoke) [--key=value ...]   (--help after a command lists keys)");
            System.exit(2);
        }
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "up" -> up(Cli.configOrExit(spec(command), rest));
            case "topics" -> topics(Cli.configOrExit(spec(command), rest));
            case "registry" -> registry(Cli.configOrExit(spec(command), rest));
            case "smoke" -> System.exit(smoke(Cli.configOrExit(spec(command), rest)));
            default -> {
                System.err.println("unknown command '" + command + "': expected up, topics, registry or smoke");
                System.exit(2);
            }
        }
    }

    static void up(Config config) throws Exception {
        writePid(config);
        LocalCluster cluster = LocalCluster.start(Path.of(config.string(WORK_DIR)).toAbsolutePath(), config.integer(BROKERS),
                config.integer(KAFKA_PORT), config.integer(REGISTRY_PORT), config.integer(PARTITIONS));
        System.out.println("bootstrap.servers=" + cluster.bootstrapServers());
        System.out.println("schema.registry.url=" + cluster.registryUrl());
        System.out.println("broker log: " + cluster.brokerLog());
        System.out.flush();
        Cli.awaitShutdown(cluster::close);
    }

    static void topics(Config config) {
        List<TopicsAdmin.TopicSpec> specs = TopicsAdmin.specs(config, config.integer(PARTITIONS),
                (short) config.integer(REPLICATION_FACTOR), config.integer(MIN_INSYNC_REPLICAS));
        List<String> created = TopicsAdmin.createAll(config.kafkaClientProperties(), specs);
        for (TopicsAdmin.TopicSpec s : specs)
            System.out.println((created.contains(s.name()) ? "created " : "exists  ") + s.name() + " partitions=" + s.partitions()
                    + " replicas=" + s.replicationFactor() + " " + s.configs());
    }

    static void registry(Config config) throws Exception {
        writePid(config);
        // kafka.* keys (security settings) reach the registry's own clients of the _schemas topic too
        SchemaRegistryServer server = SchemaRegistryServer.kafkaBacked(config.kafkaClientProperties(),
                LocalCluster.SCHEMAS_TOPIC, config.string(REGISTRY_HOST), config.integer(REGISTRY_PORT),
                config.string(CommonKeys.REGISTRY_USER_INFO)).maxBodyBytes(config.integer(REGISTRY_MAX_BODY));
        System.out.println("schema.registry.url=" + server.url());
        System.out.flush();
        Cli.awaitShutdown(server::close);
    }

    /** Returns the exit status: 0 when every type round-tripped. */
    static int smoke(Config config) {
        if (config.string(SMOKE_CLUSTER).equals("existing")) {
            System.out.println("smoke against bootstrap.servers=" + config.string(CommonKeys.BOOTSTRAP_SERVERS)
                    + " schema.registry.url=" + config.string(CommonKeys.REGISTRY_URL));
            return smoke(config, System.nanoTime());
        }
        long t0 = System.nanoTime();
        try (LocalCluster cluster = LocalCluster.start()) {
            System.out.println("cluster up in " + (System.nanoTime() - t0) / 1_000_000 + " ms: bootstrap.servers="
                    + cluster.bootstrapServers() + " schema.registry.url=" + cluster.registryUrl());
            return smoke(cluster.config(spec("smoke"), "--" + CommonKeys.REGISTRY_USER_INFO + "="), t0);
        } catch (RuntimeException e) {
            System.err.println("smoke failed: " + e);
            e.printStackTrace();
            return 1;
        }
    }

    private static int smoke(Config config, long t0) {
        try {
            List<Smoke.Result> results = Smoke.run(config);
            results.forEach(r -> System.out.println(r.line()));
            long ok = results.stream().filter(Smoke.Result::equal).count();
            System.out.println("smoke: " + ok + "/" + results.size() + " record types round-tripped in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            return ok == results.size() ? 0 : 1;
        } catch (RuntimeException e) {
            System.err.println("smoke failed: " + e);
            e.printStackTrace();
            return 1;
        }
    }

    private static void writePid(Config config) throws IOException {
        String file = config.string(PID_FILE);
        if (!file.isEmpty()) Files.writeString(Path.of(file), ProcessHandle.current().pid() + "\n");
    }
}
