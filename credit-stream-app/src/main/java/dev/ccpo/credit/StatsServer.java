package dev.ccpo.credit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ccpo.credit.StateSerdes.HistoryKey;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** JSON endpoints over the app's stores (interactive queries) and consumer metrics: /stats, /groups/recent, /lag. */
final class StatsServer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final KafkaStreams streams;
    private final CreditCounters counters;

    StatsServer(CreditSettings s, KafkaStreams streams, CreditCounters counters) {
        this.streams = streams;
        this.counters = counters;
        try {
            server = HttpServer.create(new InetSocketAddress(s.httpBind(), s.httpPort()), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind " + CreditSettings.HTTP_BIND + "=" + s.httpBind() + " "
                    + CreditSettings.HTTP_PORT + "=" + s.httpPort(), e);
        }
        server.createContext("/stats", ex -> reply(ex, this::stats));
        server.createContext("/groups/recent", ex -> reply(ex, () -> recent(limit(ex))));
        server.createContext("/lag", ex -> reply(ex, this::lag));
    }

    void start() { server.start(); }

    void stop() { server.stop(0); }

    int port() { return server.getAddress().getPort(); }

    private interface Body { ObjectNode get() throws Exception; }

    private static void reply(HttpExchange ex, Body body) throws IOException {
        int code = 200;
        byte[] bytes;
        try {
            bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body.get());
        } catch (Exception e) {
            code = 503;  // stores not queryable yet (rebalancing, starting)
            bytes = JSON.writeValueAsBytes(JSON.createObjectNode().put("error", String.valueOf(e.getMessage())));
        }
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream o = ex.getResponseBody()) { o.write(bytes); }
    }

    private static int limit(HttpExchange ex) {
        String q = ex.getRequestURI().getQuery();
        if (q != null) for (String kv : q.split("&")) if (kv.startsWith("limit=")) return Integer.parseInt(kv.substring(6));
        return 10;
    }

    private <K, V> ReadOnlyKeyValueStore<K, V> store(String name) {
        return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore()));
    }

    private ObjectNode stats() {
        ObjectNode root = JSON.createObjectNode();
        root.put("state", streams.state().toString());
        // Per role: stats watermark and the history after each of the latest closed windows (global store).
        ObjectNode roles = root.putObject("roles");
        ReadOnlyKeyValueStore<HistoryKey, RolloutHistory.Entry> h = store(CreditTopology.GLOBAL_STATS_STORE);
        try (KeyValueIterator<HistoryKey, RolloutHistory.Entry> it = h.reverseAll()) {
            while (it.hasNext()) {
                KeyValue<HistoryKey, RolloutHistory.Entry> kv = it.next();
                String role = kv.key.role();
                ObjectNode r = roles.has(role) ? (ObjectNode) roles.get(role) : roles.putObject(role);
                if (kv.key.isWatermark()) { r.put("closedThroughMs", kv.value.closedThroughMs()); continue; }
                ArrayNode w = r.has("windows") ? (ArrayNode) r.get("windows") : r.putArray("windows");
                if (w.size() >= 10) continue;
                ObjectNode e = w.addObject().put("windowEndMs", kv.key.windowEndMs());
                CreditMath.History[] p = kv.value.histories();
                String[] names = {"credit", "joint", "counterfactual"};
                for (int i = 0; i < 3; i++) {
                    CreditMath.History x = p[i];
                    e.putObject(names[i]).put("count", x.count()).put("mean", x.mean()).put("std", x.std());
                }
            }
        }
        ObjectNode c = root.putObject("counters");
        counters.snapshot().forEach(c::put);
        return root;
    }

    private ObjectNode recent(int limit) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode groups = root.putArray("groups");
        ReadOnlyKeyValueStore<Long, RecentGroups.Summary> r = store(CreditTopology.RECENT_STORE);
        try (KeyValueIterator<Long, RecentGroups.Summary> it = r.reverseAll()) {
            for (int i = 0; i < limit && it.hasNext(); i++) groups.add(JSON.valueToTree(it.next().value));
        }
        return root;
    }

    /** Input lag per partition from the embedded consumer's records-lag metric. */
    private ObjectNode lag() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode parts = root.putObject("partitions");
        long total = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (!n.name().equals("records-lag") || !n.tags().containsKey("partition")) continue;
            Object v = e.getValue().metricValue();
            if (!(v instanceof Number num) || Double.isNaN(num.doubleValue())) continue;
            parts.put(n.tags().get("topic") + "-" + n.tags().get("partition"), num.longValue());
            total += num.longValue();
        }
        root.put("total", total);
        return root;
    }
}
