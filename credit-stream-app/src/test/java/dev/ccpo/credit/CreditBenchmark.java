package dev.ccpo.credit;

import dev.ccpo.config.Config;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * Throughput of the credit app against a raw loopback, in one process and one run, on one local broker.
 * Input: N synthetic THINK_REASON groups of G trajectories (each with its Thinker-masked counterfactual), then a
 * heartbeat per partition, so every window closes by stream time.
 * <ol>
 *   <li>raw: the same records (same keys, sizes, partitions) produced to a fresh topic and consumed back
 *       (read_committed) with plain clients, timed from the first send to the last record read;</li>
 *   <li>credit: the app as a replay ({@code --replay=true}, its defaults) from the earliest offsets
 *       (exactly_once_v2, default windows), timed from its start to the last advantage read (read_committed),
 *       app start-up included;</li>
 *   <li>ceilings (between the two): a stateless Kafka Streams app with the replay's settings copying the input
 *       records to a fresh topic, and the same with each record put into a changelogged store and deleted later (as
 *       the group buffer does), timed the same way: what any Streams app that buffers records can reach here.</li>
 * </ol>
 * On the way it prints the app's counters every 2 s ({@code -Dbench.progress.ms} to change), the CPU time of this
 * process and of the broker over the app's run, and per stream thread its commits, polls and time blocked in the
 * Kafka clients (Streams' thread metrics). Prints one final line {@code advantages/s <A> raw records/s <B> ratio <A/B>}.
 * Usage: CreditBenchmark [groups=10000] [G=8] [app args, e.g. --replay=true]
 */
public final class CreditBenchmark {
    public static void main(String[] args) throws Exception {
        int groups = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int g = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        List<String> appArgs = new ArrayList<>(List.of("--replay=true", "--application.id=ccpo-credit-bench", "--http.port=0"));
        for (int i = 2; i < args.length; i++) appArgs.add(args[i]);
        try (LocalCluster cluster = LocalCluster.start()) {
            CreditStreamAppIT.cluster = cluster;
            RecordSerdes serdes = new RecordSerdes(new HttpSchemaRegistryClient(cluster.registryUrl(), ""));
            CreditStreamAppIT.produceSyntheticGroups(cluster, serdes, "ccpo.trajectories", "ccpo.counterfactuals", groups, g, 42);
            double raw = rawLoopback(cluster, List.of("ccpo.trajectories", "ccpo.counterfactuals"));
            int expected = groups * g * 2;
            double copy = streamsCopy(cluster, List.of("ccpo.trajectories", "ccpo.counterfactuals"), expected, false);
            double copyBuffered = streamsCopy(cluster, List.of("ccpo.trajectories", "ccpo.counterfactuals"), expected, true);
            long t0 = System.nanoTime();
            double cpu0 = cpuSeconds(ProcessHandle.current()), brokerCpu0 = childrenCpuSeconds();
            Map<String, Double> threads0 = threadCpu(ProcessHandle.current());
            Map<String, Double> brokerThreads0 = threadCpu(ProcessHandle.current().children().findFirst().orElseThrow());
            double adv;
            try (CreditStreamApp app = CreditStreamAppIT.app(appArgs.toArray(String[]::new))) {
                Thread progress = new Thread(() -> {  // where the time goes: held vs emitted over time
                    try {
                        while (true) {
                            Thread.sleep(Long.getLong("bench.progress.ms", 2000));
                            System.out.printf("  %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, app.counters().snapshot());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "bench-progress");
                progress.setDaemon(true);
                progress.start();
                // The three phases of a replay: start-up (until the first group is held), intake (until the last), tail.
                long[] phase = {0, 0};
                Thread phases = new Thread(() -> {
                    try {
                        while (phase[1] == 0) {
                            long held = app.counters().get("groups.held"), now = System.nanoTime() - t0;
                            if (phase[0] == 0 && held > 0) phase[0] = now;
                            if (held >= groups) phase[1] = now;
                            Thread.sleep(20);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "bench-phases");
                phases.setDaemon(true);
                phases.start();
                int got = CreditStreamAppIT.readAll("ccpo.advantages.ccpo-credit-bench", expected, Duration.ofMinutes(10)).size();
                double s = (System.nanoTime() - t0) / 1e9;
                adv = got / s;
                System.out.printf("credit: %d groups (G=%d), %d advantages in %.2f s (incl. app start-up) = %.0f advantages/s; %s%n",
                        groups, g, got, s, adv, app.counters().snapshot());
                System.out.printf("phases: start-up %.2f s, intake %.2f s, tail %.2f s%n", phase[0] / 1e9,
                        (phase[1] - phase[0]) / 1e9, s - phase[1] / 1e9);
                double cpu = cpuSeconds(ProcessHandle.current()) - cpu0, brokerCpu = childrenCpuSeconds() - brokerCpu0;
                // The machine's CPU is the limit here, and CPU time is steadier than the wall clock from run to run.
                System.out.printf("cpu: this process (app and reader) %.1f s, broker %.1f s, %.1f us per advantage%n",
                        cpu, brokerCpu, (cpu + brokerCpu) / got * 1e6);
                threadTimes(app);
                printCpuBy("this process", threads0, threadCpu(ProcessHandle.current()));
                printCpuBy("broker", brokerThreads0, threadCpu(ProcessHandle.current().children().findFirst().orElseThrow()));
                if (got != expected) throw new IllegalStateException("read " + got + " advantages, expected " + expected);
            }
            System.out.printf("ceilings: streams copy records/s %.0f (ratio %.3f), with a buffer %.0f (ratio %.3f); the credit app "
                    + "reaches %.2f and %.2f of them%n", copy, copy / raw, copyBuffered, copyBuffered / raw, adv / copy, adv / copyBuffered);
            System.out.printf("advantages/s %.0f raw records/s %.0f ratio %.3f%n", adv, raw, adv / raw);
        }
    }

    /** Per stream thread: commits and their mean latency, polls, and the time blocked in Kafka clients. */
    static void threadTimes(CreditStreamApp app) {
        Map<String, Map<String, Object>> by = new java.util.TreeMap<>();
        app.streams().metrics().forEach((name, m) -> {
            String thread = name.tags().get("thread-id");
            if (name.group().equals("stream-thread-metrics") && thread != null && java.util.Set.of("commit-total",
                    "commit-latency-avg", "commit-latency-max", "poll-total", "poll-latency-avg", "process-total",
                    "punctuate-latency-avg", "punctuate-total", "blocked-time-ns-total").contains(name.name()))
                by.computeIfAbsent(thread.replaceAll(".*-", ""), k -> new java.util.TreeMap<>()).put(name.name(), m.metricValue());
        });
        by.forEach((t, m) -> System.out.printf("  stream thread %s: %s%n", t, m));
    }

    /** CPU seconds per kind of thread (its name without numbers), from /proc/PID/task (Linux; empty elsewhere). */
    static Map<String, Double> threadCpu(ProcessHandle p) {
        Map<String, Double> by = new java.util.TreeMap<>();
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + p.pid() + "/task"))) {
            tasks.forEach(t -> {
                try {
                    String stat = java.nio.file.Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    by.merge(name, statCpuSeconds(stat), Double::sum);
                } catch (java.io.IOException | RuntimeException e) {
                    // a thread that ended meanwhile
                }
            });
        } catch (java.io.IOException e) {
            return by;
        }
        return by;
    }

    static void printCpuBy(String what, Map<String, Double> before, Map<String, Double> after) {
        StringBuilder sb = new StringBuilder("  cpu by thread, " + what + ":");
        after.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0.0)))
                .filter(e -> e.getValue() >= 0.05).sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sb.append(String.format(" %s %.2f;", e.getKey(), e.getValue())));
        System.out.println(sb);
    }

    /** User + system CPU seconds of a process, from /proc (Linux; NaN elsewhere). */
    static double cpuSeconds(ProcessHandle p) {
        try {
            return statCpuSeconds(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + p.pid() + "/stat")));
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** User + system CPU seconds from a /proc stat line (a process's or a thread's). */
    private static double statCpuSeconds(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;  // utime, stime in clock ticks (USER_HZ 100)
    }

    /** CPU seconds of this process's children: the broker (the schema registry runs in this process). */
    static double childrenCpuSeconds() {
        return ProcessHandle.current().children().mapToDouble(CreditBenchmark::cpuSeconds).sum();
    }

    /**
     * Ceilings of Kafka Streams apps here with the replay's settings (exactly_once_v2, the replay's threads, commits
     * and producer settings), timed as the credit app is (from its start to the last record read, read_committed):
     * a stateless copy of the input records to a fresh topic; with {@code buffered}, each record is also put into a
     * changelogged in-memory store and deleted 16 records later, as the credit app's group buffer does (a record
     * waits in it for its group). The credit app does that and more per record: its other state, the statistics,
     * Avro both ways.
     */
    static double streamsCopy(LocalCluster cluster, List<String> topics, int expected, boolean buffered) throws Exception {
        String id = buffered ? "ccpo-bench-copy-buffered" : "ccpo-bench-copy";
        Config cfg = cluster.config(CreditSettings.spec(), "--replay=true", "--application.id=" + id);
        Properties p = CreditStreamApp.streamsProperties(cfg, CreditSettings.from(cfg));
        p.put(StreamsConfig.STATE_DIR_CONFIG, java.nio.file.Files.createTempDirectory(id).toString());
        String out = "bench." + id;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cluster.kafkaProps(), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            cluster.createTopic(out, c.partitionsFor(topics.get(0)).size(), Map.of());
        }
        StreamsBuilder b = new StreamsBuilder();
        var in = b.stream(topics, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .filter((k, v) -> v != null);  // not the heartbeats: as many records as advantages
        if (buffered) {
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("buffer"), Serdes.Long(), Serdes.ByteArray()));
            in = in.process(() -> new Processor<byte[], byte[], byte[], byte[]>() {
                private ProcessorContext<byte[], byte[]> ctx;
                private KeyValueStore<Long, byte[]> store;
                private long n;

                @Override
                public void init(ProcessorContext<byte[], byte[]> context) {
                    ctx = context;
                    store = context.getStateStore("buffer");
                }

                @Override
                public void process(Record<byte[], byte[]> r) {
                    store.put(n, r.value());
                    if (n >= 16) store.put(n - 16, null);
                    n++;
                    ctx.forward(r);
                }
            }, "buffer");
        }
        in.to(out, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        long t0 = System.nanoTime();
        try (KafkaStreams ks = new KafkaStreams(b.build(), p)) {
            ks.start();
            int got = CreditStreamAppIT.readAll(out, expected, Duration.ofMinutes(5)).size();
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("streams copy%s: %d records in %.2f s (incl. start-up) = %.0f records/s%n",
                    buffered ? " + buffer" : "", got, s, got / s);
            if (got != expected) throw new IllegalStateException("copied " + got + " records, expected " + expected);
            return got / s;
        }
    }

    /** Copies the input's records (bytes, keys, partitions) to a fresh topic while a plain consumer reads them back. */
    static double rawLoopback(LocalCluster cluster, List<String> topics) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (String t : topics) recs.addAll(CreditStreamAppIT.readAll(t, Integer.MAX_VALUE, Duration.ofSeconds(5)).stream()
                .filter(r -> r.value() != null).toList());
        int parts = recs.stream().mapToInt(ConsumerRecord::partition).max().orElse(0) + 1;
        String topic = "bench.raw";
        cluster.createTopic(topic, parts, Map.of());
        Map<String, Object> cp = new HashMap<>(cluster.kafkaProps());
        cp.put("group.id", "bench-raw");
        cp.put("isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < parts; i++) tps.add(new TopicPartition(topic, i));
            c.assign(tps);
            c.seekToBeginning(tps);
            c.poll(Duration.ZERO);
            long t0 = System.nanoTime();
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                for (ConsumerRecord<byte[], byte[]> r : recs)
                    p.send(new ProducerRecord<>(topic, r.partition(), r.timestamp(), r.key(), r.value()));
                p.flush();
            });
            int n = 0;
            while (n < recs.size()) n += c.poll(Duration.ofMillis(100)).count();
            sent.get();
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("raw: %d records produced and consumed in %.2f s = %.0f records/s%n", n, s, n / s);
            return n / s;
        }
    }
}
