package dev.ccpo.analytics;

import dev.ccpo.cli.Cli;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * `tap <topic> [--group=ID] [--role=R] [--from=earliest|latest] [--max=N] [--follow=false]`: prints the records
 * of a pipeline topic as JSON lines. It reads without a consumer group (all partitions assigned), so it
 * commits nothing and never disturbs the services.
 */
public final class Tap {
    private final Config config;
    private final String topic;
    private final TapRenderer renderer;

    public Tap(Config config, String topicOrAlias, TapRenderer renderer) {
        this.config = config;
        this.topic = resolveTopic(config, topicOrAlias);
        this.renderer = renderer;
    }

    public static void main(String[] args) throws InterruptedException {
        ConfigSpec spec = AnalyticsKeys.tapSpec();
        if (args.length == 0 || args[0].startsWith("-")) {
            if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
                System.out.print(usage() + spec.help());
                System.exit(0);
            }
            System.err.println("tap: missing <topic>.\n" + usage());
            System.exit(2);
        }
        Config config = Cli.configOrExit(spec, Arrays.copyOfRange(args, 1, args.length));
        TapRenderer renderer = new TapRenderer(RecordSerdes.fromConfig(config).registry(),
                AvroJson.BytesMode.valueOf(config.string(AnalyticsKeys.TAP_BYTES).toUpperCase(Locale.ROOT)),
                config.string(AnalyticsKeys.TAP_GROUP), config.string(AnalyticsKeys.TAP_ROLE));
        Tap tap = new Tap(config, args[0], renderer);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(config)) {
            CountDownLatch done = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                consumer.wakeup();
                try { done.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            }, "tap-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                tap.run(consumer, System.out, System.err);
            } catch (IllegalArgumentException e) {
                System.err.println("tap: " + e.getMessage());
                done.countDown();
                System.exit(2);
            } finally {
                done.countDown();
            }
            System.out.flush();
        }
    }

    static String usage() {
        return "usage: tap <topic> [--group=ID] [--role=R] [--from=earliest|latest] [--max=N] [--follow=false] [--bytes=auto|base64|length]\n"
                + "  <topic>: a topic name (ccpo.trajectories) or its short name (trajectories, advantages, rollout-stats, ...)\n\n";
    }

    /** A topic name, or a short name that is a topic.* key of the config (trajectories → topic.trajectories's value). */
    static String resolveTopic(Config config, String name) {
        if (config.spec().keys().stream().anyMatch(k -> k.name().equals("topic." + name))) return config.string("topic." + name);
        return name;
    }

    public String topic() { return topic; }

    /** A consumer without a group: read_committed, no commits. */
    public static KafkaConsumer<byte[], byte[]> consumer(Config config) {
        Map<String, Object> p = new HashMap<>(config.kafkaClientProperties());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);  // weights chunks are large
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Prints matching records until --max, the end (--follow=false) or a wakeup; returns how many were printed. */
    public long run(KafkaConsumer<byte[], byte[]> consumer, PrintStream out, PrintStream err) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty())
            throw new IllegalArgumentException("topic '" + topic + "' does not exist on " + config.string(CommonKeys.BOOTSTRAP_SERVERS)
                    + " (pass a topic name or one of the short names of the topic.* keys)");
        List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
        consumer.assign(parts);
        if (config.string(AnalyticsKeys.TAP_FROM).equals("latest")) consumer.seekToEnd(parts);
        else consumer.seekToBeginning(parts);
        Map<TopicPartition, Long> end = config.bool(AnalyticsKeys.TAP_FOLLOW) ? null : consumer.endOffsets(parts);
        long max = config.longValue(AnalyticsKeys.TAP_MAX);
        long printed = 0;
        try {
            while (true) {
                if (end != null && caughtUp(consumer, end)) return printed;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    Optional<String> line;
                    try {
                        line = renderer.render(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value());
                    } catch (RuntimeException e) {
                        // not dropped silently: the bad record's position and the reason go to stderr
                        err.println("tap: skipped " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
                        continue;
                    }
                    if (line.isEmpty()) continue;
                    out.println(line.get());
                    if (max > 0 && ++printed >= max) return printed;
                    if (max <= 0) printed++;
                }
            }
        } catch (WakeupException e) {
            return printed;  // SIGTERM / Ctrl-C
        }
    }

    private static boolean caughtUp(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet())
            if (consumer.position(e.getKey()) < e.getValue()) return false;
        return true;
    }
}
