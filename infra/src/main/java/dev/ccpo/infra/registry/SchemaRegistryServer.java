package dev.ccpo.infra.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

/**
 * The Confluent Schema Registry REST API (the subset Avro clients use) on the JDK's HTTP server.
 * State lives in a {@link SchemaStore}: in memory, or journaled to the compacted Kafka topic
 * _schemas via {@link KafkaSchemaJournal}.
 */
public final class SchemaRegistryServer implements AutoCloseable {
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    /** Default of registry.max.body.bytes: a request body over it is refused with HTTP 413 before it is read whole. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
    private volatile int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;

    private final SchemaStore store;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String expectedAuth;
    private final AutoCloseable onClose;

    private SchemaRegistryServer(SchemaStore store, String host, int port, String userInfo, AutoCloseable onClose) throws IOException {
        this.store = store;
        this.onClose = onClose;
        this.expectedAuth = userInfo == null || userInfo.isEmpty() ? null
                : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        this.server = HttpServer.create(new InetSocketAddress(host, port), 64);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "schema-registry-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** An in-memory registry on 127.0.0.1 (port 0 = any free port). */
    public static SchemaRegistryServer inMemory(int port) {
        try {
            return new SchemaRegistryServer(SchemaStore.inMemory(), "127.0.0.1", port, null, () -> { });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot bind the schema registry to 127.0.0.1:" + port, e);
        }
    }

    /** A registry whose schemas live in the Kafka topic (created compacted if missing) and are read back on start. */
    public static SchemaRegistryServer kafkaBacked(String bootstrapServers, String topic, String host, int port, String userInfo) {
        return kafkaBacked(Map.of("bootstrap.servers", bootstrapServers), topic, host, port, userInfo);
    }

    /** As above, with the Kafka client settings (bootstrap.servers, security) of the registry's own principal. */
    public static SchemaRegistryServer kafkaBacked(Map<String, Object> kafkaClientProps, String topic, String host, int port, String userInfo) {
        KafkaSchemaJournal journal = KafkaSchemaJournal.open(kafkaClientProps, topic);
        SchemaStore store = new SchemaStore(journal::append);
        journal.replayInto(store);
        try {
            return new SchemaRegistryServer(store, host, port, userInfo, journal);
        } catch (IOException e) {
            journal.close();
            throw new java.io.UncheckedIOException("cannot bind the schema registry to " + host + ":" + port, e);
        }
    }

    /** Sets registry.max.body.bytes; returns this. */
    public SchemaRegistryServer maxBodyBytes(int bytes) {
        if (bytes < 1) throw new IllegalArgumentException("registry.max.body.bytes must be >= 1, got " + bytes);
        this.maxBodyBytes = bytes;
        return this;
    }

    public String url() { return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort(); }

    public int port() { return server.getAddress().getPort(); }

    public SchemaStore store() { return store; }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            onClose.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the schema registry's journal failed", e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            if (expectedAuth != null && !expectedAuth.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"schema-registry\"");
                throw new RegistryException(401, 401, "Unauthorized");
            }
            JsonNode result = route(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), readBody(ex));
            send(ex, 200, result);
        } catch (RegistryException e) {
            send(ex, e.httpStatus(), error(e.errorCode(), e.getMessage()));
        } catch (Exception e) {
            send(ex, 500, error(50001, "Error in the backend data store: " + e));
        }
    }

    private JsonNode route(String method, String rawPath, JsonNode body) {
        List<String> p = java.util.Arrays.stream(rawPath.split("/")).filter(s -> !s.isEmpty())
                .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toList();
        int n = p.size();
        if (n == 1 && p.get(0).equals("subjects") && method.equals("GET")) {
            ArrayNode a = SchemaStore.JSON.createArrayNode();
            store.subjects().forEach(a::add);
            return a;
        }
        if (n >= 2 && p.get(0).equals("subjects")) {
            String subject = p.get(1);
            if (n == 2 && method.equals("POST")) return versionJson(store.lookup(subject, parse(body)));
            if (n == 3 && p.get(2).equals("versions") && method.equals("POST"))
                return SchemaStore.JSON.createObjectNode().put("id", store.register(subject, parse(body)).id());
            if (n == 3 && p.get(2).equals("versions") && method.equals("GET")) {
                ArrayNode a = SchemaStore.JSON.createArrayNode();
                store.versions(subject).forEach(v -> a.add(v.version()));
                return a;
            }
            if (n == 4 && p.get(2).equals("versions") && method.equals("GET")) return versionJson(store.version(subject, p.get(3)));
            if (n == 5 && p.get(2).equals("versions") && p.get(4).equals("schema") && method.equals("GET"))
                return rawSchema(store.version(subject, p.get(3)).schema());
        }
        if (n == 3 && p.get(0).equals("schemas") && p.get(1).equals("ids") && method.equals("GET")) {
            int id;
            try {
                id = Integer.parseInt(p.get(2));
            } catch (NumberFormatException e) {
                throw new RegistryException(404, 40403, "Schema " + p.get(2) + " not found");
            }
            return SchemaStore.JSON.createObjectNode().put("schema", store.schemaById(id));
        }
        if (n == 5 && p.get(0).equals("compatibility") && p.get(1).equals("subjects") && p.get(3).equals("versions") && method.equals("POST")) {
            Schema schema = parse(body);
            String subject = p.get(2);
            List<SchemaStore.Version> against;
            if (store.subjects().contains(subject)) {
                against = p.get(4).equals("latest") ? store.versions(subject) : List.of(store.version(subject, p.get(4)));
            } else {
                if (!p.get(4).equals("latest")) throw new RegistryException(404, 40401, "Subject '" + subject + "' not found.");
                against = List.of();
            }
            List<String> problems = store.checkAgainst(subject, schema, against);
            ObjectNode r = SchemaStore.JSON.createObjectNode().put("is_compatible", problems.isEmpty());
            if (!problems.isEmpty()) {
                ArrayNode msgs = r.putArray("messages");
                problems.forEach(msgs::add);
            }
            return r;
        }
        if (p.size() >= 1 && p.get(0).equals("config") && n <= 2) {
            String subject = n == 2 ? p.get(1) : null;
            if (method.equals("GET")) {
                String level = subject == null ? store.compatibilityOf(null) : store.subjectCompatibilityOrNull(subject);
                if (level == null) throw new RegistryException(404, 40408, "Subject '" + subject + "' does not have subject-level compatibility configured");
                return SchemaStore.JSON.createObjectNode().put("compatibilityLevel", level);
            }
            if (method.equals("PUT")) {
                if (body == null || !body.hasNonNull("compatibility"))
                    throw new RegistryException(422, 42203, "Invalid compatibility level: body must be {\"compatibility\": LEVEL}");
                store.setCompatibility(subject, body.get("compatibility").asText());
                return SchemaStore.JSON.createObjectNode().put("compatibility", store.compatibilityOf(subject));
            }
        }
        if (n == 0 && method.equals("GET")) return SchemaStore.JSON.createObjectNode();
        throw new RegistryException(404, 404, "HTTP 404 Not Found: " + method + " " + rawPath);
    }

    private static JsonNode rawSchema(String schema) {
        try {
            return SchemaStore.JSON.readTree(schema);
        } catch (IOException e) {
            throw new IllegalStateException("stored schema is not JSON", e);
        }
    }

    private static ObjectNode versionJson(SchemaStore.Version v) {
        return SchemaStore.JSON.createObjectNode().put("subject", v.subject()).put("version", v.version())
                .put("id", v.id()).put("schema", v.schema());
    }

    private static Schema parse(JsonNode body) {
        if (body == null || !body.hasNonNull("schema")) throw new RegistryException(422, 42201, "Invalid schema: the body has no \"schema\" field");
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) throw new RegistryException(422, 42201, "Invalid schema: only AVRO is supported, got " + type);
        try {
            return new Schema.Parser().parse(body.get("schema").asText());
        } catch (SchemaParseException e) {
            throw new RegistryException(422, 42201, "Invalid schema: " + e.getMessage());
        }
    }

    private JsonNode readBody(HttpExchange ex) throws IOException {
        int limit = maxBodyBytes;
        byte[] bytes = ex.getRequestBody().readNBytes(limit + 1);  // never more than the limit in memory
        if (bytes.length > limit) {
            // drain (not keep) a bounded rest, so the client reads the 413 rather than a reset connection
            byte[] buf = new byte[8192];
            long drained = 0;
            for (int r; drained < 16L * limit && (r = ex.getRequestBody().read(buf)) >= 0; ) drained += r;
            throw new RegistryException(413, 413, "Request body larger than registry.max.body.bytes=" + limit + " bytes");
        }
        if (bytes.length == 0) return null;
        try {
            return SchemaStore.JSON.readTree(bytes);
        } catch (IOException e) {
            throw new RegistryException(400, 400, "Unrecognized JSON body: " + e.getMessage());
        }
    }

    private static ObjectNode error(int code, String message) {
        return SchemaStore.JSON.createObjectNode().put("error_code", code).put("message", message);
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = SchemaStore.JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
