package dev.ccpo.credit;

import dev.ccpo.cli.Cli;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Properties;

/** Credit service: trajectories + counterfactuals -> per-agent advantages. Config: CreditSettings.spec(). */
public final class CreditStreamApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CreditStreamApp.class);

    private final KafkaStreams streams;
    private final StatsServer http;
    private final CreditCounters counters = new CreditCounters();

    public CreditStreamApp(Config config) {
        CreditSettings s = resolvePartitions(CreditSettings.from(config), config);
        boolean replay = config.bool(CreditSettings.REPLAY);
        if (!replay && !s.applicationId().equals(CreditSettings.LIVE_APPLICATION_ID) && s.advantagesTopic().equals("ccpo.advantages"))
            log.warn("{}={} is not the live pipeline's {} but writes the live {}, {} and {}; for a replay pass --{}=true",
                    CreditSettings.APPLICATION_ID, s.applicationId(), CreditSettings.LIVE_APPLICATION_ID, s.advantagesTopic(),
                    s.dlqTopic(), s.statsTopic(), CreditSettings.REPLAY);
        createMissingTopics(s, config, replay);
        RecordSerdes serdes = RecordSerdes.fromConfig(config);
        Properties p = streamsProperties(config, s);
        streams = new KafkaStreams(CreditTopology.build(s, serdes.trajectory(), serdes.counterfactual(),
                serdes.advantage(), serdes.deadLetter(), serdes.rolloutStats(), counters), p);
        http = s.httpPort() > 0 ? new StatsServer(s, streams, counters) : null;
    }

    /**
     * The Streams client's properties: kafka.* keys as given, over these defaults. Live: a transaction every 200 ms
     * (latency). A replay reads a backlog, so it trades latency for throughput: four stream threads, a transaction per
     * second, bigger polls, bigger producer batches. None of them changes a record (replays stay byte-identical).
     */
    static Properties streamsProperties(Config config, CreditSettings s) {
        Properties p = new Properties();
        boolean replay = config.bool(CreditSettings.REPLAY);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, replay ? 1000 : 200);
        if (replay) {
            // Threads wait on transactions and fetches: with four (one per input partition of the pipeline's topics),
            // one processes while others wait (CreditBenchmark, credit-stream-app README).
            p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 4);
            // Restoring the (empty) stores of a fresh replay: a task added while the restore consumer's fetch waits
            // (fetch.max.wait.ms, 500 ms) started half a second late.
            p.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 50);
            p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 5000);
            p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 20);
            p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024);
            // No compression: on a replay's profile, lz4's per-batch set-up (many small changelog batches) was a top
            // frame, for nothing on a local broker; a remote one may pass --kafka.producer.compression.type=lz4.
            p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "none");
        }
        p.putAll(config.kafkaClientProperties());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, s.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.string(CommonKeys.BOOTSTRAP_SERVERS));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.string(CreditSettings.PROCESSING_GUARANTEE));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, config.string(CreditSettings.AUTO_OFFSET_RESET));
        return p;
    }

    /**
     * The stats task closes a window when every input partition has passed it, so it must know how many
     * there are: input.partitions, or (0) the trajectories topic's partition count from the broker.
     */
    static CreditSettings resolvePartitions(CreditSettings s, Config config) {
        if (s.stats().inputPartitions() > 0) return s;
        try (Admin admin = Admin.create(config.kafkaClientProperties())) {
            TopicDescription d = admin.describeTopics(List.of(s.trajectoriesTopic())).allTopicNames()
                    .get(60, TimeUnit.SECONDS).get(s.trajectoriesTopic());
            int n = d.partitions().size();
            log.info("{}: {} has {} partitions", CreditSettings.INPUT_PARTITIONS, s.trajectoriesTopic(), n);
            return s.withStats(s.stats().withInputPartitions(n));
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the partition count of " + s.trajectoriesTopic() + " (set "
                    + CreditSettings.INPUT_PARTITIONS + " or create the topic first): " + e.getMessage(), e);
        }
    }

    /**
     * The topics the app needs before its Streams client starts, created when missing:
     * <ul>
     *   <li>the stats repartition topic, as Streams would create it. Otherwise the consumers subscribe while it does
     *       not exist yet, see their metadata change when the group leader creates it, and rebalance a second time:
     *       measured 2.4 s of a 14 s replay (a thread learns of the new rebalance at its next heartbeat, up to
     *       heartbeat.interval.ms = 3 s later);</li>
     *   <li>the stores' changelogs, as Streams would create them (compacted; CreateTime). Streams creates them
     *       during the first rebalance and then waits until each has a leader, polling every 100 ms: 0.8 s of a
     *       replay's start-up for nine topics on a local broker, now overlapped with the client's own start;</li>
     *   <li>a replay's own outputs (a fresh cluster has only the pipeline's topics): advantages and dead letters with
     *       the input's partitions, statistics with one partition and append-time retention, like the live ones.</li>
     * </ul>
     * A topic another instance creates meanwhile is fine.
     */
    static void createMissingTopics(CreditSettings s, Config config, boolean replay) {
        java.util.Optional<Short> replicas = replicationFactor(config);  // as Streams creates its internal topics
        // Streams' own repartition-topic settings (RepartitionTopicConfig): it purges what it has consumed itself.
        List<NewTopic> wanted = new java.util.ArrayList<>(List.of(new NewTopic(CreditTopology.statsRepartitionTopic(s.applicationId()),
                java.util.Optional.of(1), replicas).configs(java.util.Map.of("cleanup.policy", "delete",
                "segment.bytes", "52428800", "retention.ms", "-1", "message.timestamp.type", "CreateTime"))));
        CreditTopology.changelogTopics(s.applicationId(), s.stats().inputPartitions()).forEach((name, partitions) ->
                wanted.add(new NewTopic(name, java.util.Optional.of(partitions), replicas)
                        .configs(java.util.Map.of("cleanup.policy", "compact", "message.timestamp.type", "CreateTime"))));
        if (replay) {
            int n = s.stats().inputPartitions();
            wanted.add(new NewTopic(s.advantagesTopic(), java.util.Optional.of(n), java.util.Optional.empty()));
            wanted.add(new NewTopic(s.dlqTopic(), java.util.Optional.of(n), java.util.Optional.empty()));
            wanted.add(new NewTopic(s.statsTopic(), java.util.Optional.of(1), java.util.Optional.empty())
                    .configs(java.util.Map.of("retention.ms", String.valueOf(24L * 3600 * 1000), "message.timestamp.type", "LogAppendTime")));
        }
        List<String> names = wanted.stream().map(NewTopic::name).toList();
        try (Admin admin = Admin.create(config.kafkaClientProperties())) {
            java.util.Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
            List<String> created = new java.util.ArrayList<>();
            for (var f : admin.createTopics(missing).values().entrySet()) {
                try {
                    f.getValue().get(60, TimeUnit.SECONDS);
                    created.add(f.getKey());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) throw e;
                }
            }
            if (!created.isEmpty()) log.info("{}: created {}", s.applicationId(), created);
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(s.applicationId() + ": cannot create the topics it needs " + names + ": "
                    + cause.getMessage(), e);
        }
    }

    /** kafka.replication.factor as Streams reads it: empty for -1 or unset (the broker's default). */
    static java.util.Optional<Short> replicationFactor(Config config) {
        Object rf = config.kafkaClientProperties().get(StreamsConfig.REPLICATION_FACTOR_CONFIG);
        if (rf == null) return java.util.Optional.empty();
        short n;
        try {
            n = Short.parseShort(rf.toString().trim());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n == -1) return java.util.Optional.empty();
        if (n < 1) throw new dev.ccpo.config.ConfigException("kafka." + StreamsConfig.REPLICATION_FACTOR_CONFIG + "=" + rf
                + ": expected a replication factor (an integer >= 1, or -1 for the broker's default)");
        return java.util.Optional.of(n);
    }

    public KafkaStreams streams() { return streams; }

    public CreditCounters counters() { return counters; }

    public void start() {
        streams.setUncaughtExceptionHandler(ThreadFailurePolicy.standard());
        streams.start();
        if (http != null) http.start();
    }

    @Override
    public void close() {
        if (http != null) http.stop();
        streams.close(Duration.ofSeconds(30));
    }

    /**
     * The service, or with {@code credit} as the first argument the credit command (stdin JSON lines to stdout,
     * same keys; exit status 1 when a line was answered with an error).
     */
    public static void main(String[] args) throws InterruptedException, java.io.IOException {
        if (args.length > 0 && args[0].equals("credit")) {
            Config config = Cli.configOrExit(CreditSettings.spec(), java.util.Arrays.copyOfRange(args, 1, args.length));
            int errors = CreditCommand.run(CreditSettings.from(config), new java.io.BufferedReader(
                    new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8)), System.out);
            System.exit(errors == 0 ? 0 : 1);
        }
        Config config = Cli.configOrExit(CreditSettings.spec(), args);
        Cli.brokerOrExit(config);
        CreditStreamApp app;
        try {
            app = new CreditStreamApp(config);
        } catch (dev.ccpo.config.ConfigException e) {  // e.g. a replay without its own application.id
            System.err.println("credit-stream-app: " + e.getMessage());
            System.exit(2);
            return;
        }
        // A failed client must not linger: the process exits non-zero (a supervisor restarts it, a replay reports it).
        java.util.concurrent.CountDownLatch failed = new java.util.concurrent.CountDownLatch(1);
        app.streams.setStateListener((now, before) -> { if (now == KafkaStreams.State.ERROR) failed.countDown(); });
        Thread exitOnError = new Thread(() -> {
            try {
                failed.await();
            } catch (InterruptedException e) {
                return;
            }
            log.error("credit-stream-app {} failed (state ERROR); exiting with status 1", config.string(CreditSettings.APPLICATION_ID));
            System.exit(1);
        }, "exit-on-error");
        exitOnError.setDaemon(true);
        exitOnError.start();
        app.start();
        log.info("credit-stream-app started: {}", config);
        Cli.awaitShutdown(app::close);
    }
}
