package dev.ccpo.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client for Confluent Schema Registry's REST API (also served by Apicurio's ccompat API,
 * Karapace, Redpanda and this project's own registry). Ids and schemas are cached forever:
 * a registered schema never changes its id.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String authorization;
    private final HttpClient http;
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    /** userInfo is "user:password" for HTTP basic auth, or null. */
    public HttpSchemaRegistryClient(String baseUrl, String userInfo) {
        if (baseUrl == null || !(baseUrl.startsWith("http://") || baseUrl.startsWith("https://")))
            throw new IllegalArgumentException("schema.registry.url must be an http(s) URL such as http://localhost:8081, got '" + baseUrl + "'");
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.authorization = userInfo == null || userInfo.isEmpty() ? null
                : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    public HttpSchemaRegistryClient(String baseUrl) { this(baseUrl, null); }

    public String baseUrl() { return baseUrl; }

    @Override
    public int register(String subject, Schema schema) {
        return idsBySubjectAndSchema.computeIfAbsent(subject + '\0' + schema.toString(), k -> {
            String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
            int id = call("POST", "/subjects/" + encode(subject) + "/versions", body).get("id").asInt();
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public Schema schemaById(int id) {
        return schemasById.computeIfAbsent(id, k -> {
            String text = call("GET", "/schemas/ids/" + id, null).get("schema").asText();
            return new Schema.Parser().parse(text);
        });
    }

    /**
     * How long a call retries while the registry is unreachable or answers 5xx, e.g. while it cannot write to a
     * Kafka cluster below min.insync.replicas: as long as a Kafka producer waits for its acknowledgement
     * (delivery.timeout.ms' default), so a service blocks through a broker outage instead of failing at once.
     * A 4xx answer (a refusal) is never retried.
     */
    static final long RETRY_MS = 120_000;

    private JsonNode call(String method, String path, String body) {
        long deadline = System.nanoTime() + RETRY_MS * 1_000_000L;
        long backoffMs = 500;
        for (int attempt = 1; ; attempt++) {
            try {
                return callOnce(method, path, body);
            } catch (SchemaRegistryException e) {
                boolean retriable = e.errorCode() == -1 || e.errorCode() / 100 == 5 || e.errorCode() / 100 == 500;
                if (!retriable || Thread.currentThread().isInterrupted() || System.nanoTime() + backoffMs * 1_000_000L > deadline) {
                    if (attempt == 1 || !retriable) throw e;
                    throw new SchemaRegistryException(e.getMessage() + " (" + attempt + " attempts in " + RETRY_MS / 1000 + " s)", e.errorCode(), e);
                }
            }
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("interrupted while calling the schema registry", -1, ie);
            }
            backoffMs = Math.min(5_000, backoffMs * 2);
        }
    }

    private JsonNode callOnce(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", CONTENT_TYPE + ", application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) request.header("Content-Type", CONTENT_TYPE);
        if (authorization != null) request.header("Authorization", authorization);
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SchemaRegistryException("schema registry at " + baseUrl + " is unreachable (" + method + " " + path + "): " + e, -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while calling the schema registry", -1, e);
        }
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new SchemaRegistryException("schema registry answered " + method + " " + path + " with HTTP "
                    + response.statusCode() + " and a body that is not JSON: " + abbreviate(response.body()), response.statusCode(), e);
        }
        if (response.statusCode() / 100 != 2) {
            int code = json.path("error_code").asInt(response.statusCode());
            throw new SchemaRegistryException("schema registry refused " + method + " " + path + ": "
                    + json.path("message").asText(abbreviate(response.body())) + " (error " + code + ")", code, null);
        }
        return json;
    }

    private static String encode(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"); }

    private static String abbreviate(String s) { return s.length() > 200 ? s.substring(0, 200) + "..." : s; }
}
