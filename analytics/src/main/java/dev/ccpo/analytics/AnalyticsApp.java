package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ccpo.cli.Cli;
import dev.ccpo.config.Config;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Live analytics: a consumer of its own over the pipeline topics, aggregates in memory, and a small HTTP
 * server with the page (GET /) and its data (GET /api/summary). It reads only topics and the Admin API.
 * `java -jar analytics.jar [serve] [--key=value...]` or `java -jar analytics.jar tap <topic> ...`.
 */
public final class AnalyticsApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AnalyticsApp.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String PAGE = "/dev/ccpo/analytics/index.html";

    private final String groupId;
    private final Aggregates aggregates;
    private final TopicReader reader;
    private final Thread readerThread;
    private final Admin admin;
    private final LagProbe lagProbe;
    private final ScheduledExecutorService lagTimer;
    private final HttpServer server;
    private final byte[] page;
    private volatile ObjectNode lag;

    private AnalyticsApp(Config config) {
        String g = config.string(AnalyticsKeys.GROUP_ID);
        this.groupId = g.isEmpty() ? "ccpo-analytics-" + UUID.randomUUID().toString().substring(0, 8) : g;
        this.page = loadPage();
        this.aggregates = new Aggregates(config.decimal(AnalyticsKeys.HIST_MIN), config.decimal(AnalyticsKeys.HIST_MAX),
                config.integer(AnalyticsKeys.HIST_BINS));
        // bind first: a busy port should fail before any Kafka client exists
        String bind = config.string(AnalyticsKeys.HTTP_BIND);
        int port = config.integer(AnalyticsKeys.HTTP_PORT);
        try {
            server = HttpServer.create(new InetSocketAddress(bind, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind " + AnalyticsKeys.HTTP_BIND + "=" + bind + " " + AnalyticsKeys.HTTP_PORT + "=" + port
                    + " (is another process using the port? pass --" + AnalyticsKeys.HTTP_PORT + "=0 for any free one)", e);
        }
        this.reader = new TopicReader(config, groupId, RecordSerdes.fromConfig(config), aggregates);
        this.readerThread = new Thread(reader, "analytics-reader");
        this.admin = Admin.create(config.kafkaClientProperties());
        this.lagProbe = new LagProbe(admin, groupId);
        this.lagTimer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "analytics-lag"));
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> new Thread(r, "analytics-http")));
        long every = config.longValue(AnalyticsKeys.LAG_INTERVAL_MS);
        lagTimer.scheduleWithFixedDelay(() -> lag = lagProbe.probe(System.currentTimeMillis()), 0, every, TimeUnit.MILLISECONDS);
        readerThread.start();
        server.start();
    }

    /** Starts the consumer, the lag probe and the HTTP server. */
    public static AnalyticsApp start(Config config) { return new AnalyticsApp(config); }

    public int port() { return server.getAddress().getPort(); }

    public String url() { return "http://" + server.getAddress().getHostString() + ":" + port() + "/"; }

    public String groupId() { return groupId; }

    /** What GET /api/summary returns. */
    public ObjectNode summary() {
        ObjectNode s = aggregates.summary(System.currentTimeMillis(), lag);
        s.putObject("consumer").put("groupId", groupId).put("recordsConsumed", reader.consumed());
        return s;
    }

    private static byte[] loadPage() {
        try (InputStream in = AnalyticsApp.class.getResourceAsStream(PAGE)) {
            if (in == null) throw new IllegalStateException("the page " + PAGE + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                send(ex, 405, "text/plain", ("only GET is served\n").getBytes());
            } else if (path.equals("/") || path.equals("/index.html")) {
                send(ex, 200, "text/html; charset=utf-8", page);
            } else if (path.equals("/api/summary")) {
                byte[] body;
                try {
                    body = JSON.writeValueAsBytes(summary());
                } catch (RuntimeException e) {
                    send(ex, 500, "application/json", JSON.writeValueAsBytes(JSON.createObjectNode().put("error", String.valueOf(e))));
                    return;
                }
                send(ex, 200, "application/json", body);
            } else {
                send(ex, 404, "text/plain", ("no such page: " + path + " (try / or /api/summary)\n").getBytes());
            }
        }
    }

    private static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.getResponseHeaders().add("Cache-Control", "no-store");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(code, head ? -1 : body.length);
        if (!head) try (OutputStream o = ex.getResponseBody()) { o.write(body); }
    }

    @Override
    public void close() {
        server.stop(0);
        lagTimer.shutdownNow();
        reader.stop();
        try {
            readerThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close();
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    public static void main(String[] args) throws Exception {
        // Kafka's client INFO lines (config dumps) would bury ours; slf4j-simple writes to stderr, so the tap's stdout stays JSON only
        if (System.getProperty("org.slf4j.simpleLogger.log.org.apache.kafka") == null)
            System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
        if (args.length > 0 && args[0].equals("tap")) {
            Tap.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        String[] rest = args.length > 0 && args[0].equals("serve") ? Arrays.copyOfRange(args, 1, args.length) : args;
        if (rest.length > 0 && !rest[0].startsWith("-")) {
            System.err.println("analytics: unknown command '" + rest[0] + "'; use serve (default) or tap <topic> (see --help)");
            System.exit(2);
        }
        Config config = Cli.configOrExit(AnalyticsKeys.serveSpec(), rest);
        AnalyticsApp app = start(config);
        LOG.info("analytics serving {} (consumer group {}); config: {}", app.url(), app.groupId(), config);
        Cli.awaitShutdown(app::close);
    }
}
