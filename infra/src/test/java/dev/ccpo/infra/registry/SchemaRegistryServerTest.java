package dev.ccpo.infra.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import dev.ccpo.serde.SchemaRegistryException;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The REST API and compatibility rules against the in-memory store. */
class SchemaRegistryServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String V1 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}";
    static final String V2_WITH_DEFAULT = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
            + "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}]}";
    static final String V2_NO_DEFAULT = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
            + "{\"name\":\"b\",\"type\":\"string\"}]}";
    static final String V3_DROPS_A = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}]}";

    SchemaRegistryServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() { server = SchemaRegistryServer.inMemory(0); }

    @AfterEach
    void stop() { server.close(); }

    record Reply(int status, JsonNode body, String contentType) { }

    Reply call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()), r.headers().firstValue("Content-Type").orElse(""));
    }

    static String schemaBody(String schema) { return JSON.createObjectNode().put("schema", schema).toString(); }

    @Test
    void registerIsIdempotentAndVersionsAreListed() throws Exception {
        Reply r1 = call("POST", "/subjects/t-value/versions", schemaBody(V1));
        assertEquals(200, r1.status());
        assertEquals(SchemaRegistryServer.CONTENT_TYPE, r1.contentType());
        int id = r1.body().get("id").asInt();
        assertEquals(id, call("POST", "/subjects/t-value/versions", schemaBody(V1)).body().get("id").asInt());
        int id2 = call("POST", "/subjects/t-value/versions", schemaBody(V2_WITH_DEFAULT)).body().get("id").asInt();
        assertTrue(id2 != id);
        assertEquals("[1,2]", call("GET", "/subjects/t-value/versions", null).body().toString());
        assertEquals("[\"t-value\"]", call("GET", "/subjects", null).body().toString());
        JsonNode latest = call("GET", "/subjects/t-value/versions/latest", null).body();
        assertEquals(2, latest.get("version").asInt());
        assertEquals(id2, latest.get("id").asInt());
        assertEquals(new Schema.Parser().parse(V1), new Schema.Parser().parse(call("GET", "/schemas/ids/" + id, null).body().get("schema").asText()));
        JsonNode lookup = call("POST", "/subjects/t-value", schemaBody(V1)).body();
        assertEquals(1, lookup.get("version").asInt());
        // the same schema under another subject keeps its global id
        assertEquals(id, call("POST", "/subjects/other-value/versions", schemaBody(V1)).body().get("id").asInt());
    }

    @Test
    void backwardIsTheDefaultAndRejectsANewFieldWithoutDefault() throws Exception {
        call("POST", "/subjects/s/versions", schemaBody(V1));
        assertEquals("BACKWARD", call("GET", "/config", null).body().get("compatibilityLevel").asText());
        Reply bad = call("POST", "/subjects/s/versions", schemaBody(V2_NO_DEFAULT));
        assertEquals(409, bad.status());
        assertEquals(409, bad.body().get("error_code").asInt());
        assertTrue(bad.body().get("message").asText().contains("incompatible"), bad.body().toString());
        Reply check = call("POST", "/compatibility/subjects/s/versions/latest", schemaBody(V2_NO_DEFAULT));
        assertFalse(check.body().get("is_compatible").asBoolean());
        assertTrue(call("POST", "/compatibility/subjects/s/versions/latest", schemaBody(V2_WITH_DEFAULT)).body().get("is_compatible").asBoolean());
    }

    @Test
    void transitiveChecksEveryVersionNonTransitiveOnlyTheLatest() throws Exception {
        call("POST", "/subjects/s/versions", schemaBody(V1));
        call("POST", "/subjects/s/versions", schemaBody(V2_WITH_DEFAULT));
        // V3 drops a: FORWARD (old readers read new data) breaks for V1 and V2 since a has no default
        assertEquals(200, call("PUT", "/config/s", "{\"compatibility\":\"NONE\"}").status());
        assertEquals("NONE", call("GET", "/config/s", null).body().get("compatibilityLevel").asText());
        call("PUT", "/config/s", "{\"compatibility\":\"FORWARD\"}");
        assertEquals(409, call("POST", "/subjects/s/versions", schemaBody(V3_DROPS_A)).status());
        call("PUT", "/config/s", "{\"compatibility\":\"NONE\"}");
        assertEquals(200, call("POST", "/subjects/s/versions", schemaBody(V3_DROPS_A)).status());
        // a schema with only b (default) is backward compatible with V3 but not, transitively, ... V1 readers? check via store
        SchemaStore store = SchemaStore.inMemory();
        Schema v1 = new Schema.Parser().parse(V1);
        Schema v2 = new Schema.Parser().parse(V2_NO_DEFAULT);
        Schema v3 = new Schema.Parser().parse(V3_DROPS_A);
        store.setCompatibility(null, "NONE");
        store.register("x", v1);
        store.register("x", v3);
        store.setCompatibility("x", "BACKWARD");
        // v2 reads v3 data? v2 needs a (no default in v3) -> incompatible with latest
        assertThrows(RegistryException.class, () -> store.register("x", v2));
        store.setCompatibility("x", "FULL_TRANSITIVE");
        Schema v1WithDefaultB = new Schema.Parser().parse(V2_WITH_DEFAULT);
        RegistryException e = assertThrows(RegistryException.class, () -> store.register("x", v1WithDefaultB));
        assertEquals(409, e.errorCode());
        assertEquals("FULL_TRANSITIVE", store.compatibilityOf("x"));
        assertEquals("NONE", store.compatibilityOf(null));
    }

    @Test
    void errorsUseConfluentCodes() throws Exception {
        assertEquals(40401, call("GET", "/subjects/nope/versions", null).body().get("error_code").asInt());
        call("POST", "/subjects/s/versions", schemaBody(V1));
        Reply noVersion = call("GET", "/subjects/s/versions/7", null);
        assertEquals(404, noVersion.status());
        assertEquals(40402, noVersion.body().get("error_code").asInt());
        assertEquals(40403, call("GET", "/schemas/ids/999", null).body().get("error_code").asInt());
        Reply invalid = call("POST", "/subjects/s/versions", schemaBody("{\"type\":\"nonsense\"}"));
        assertEquals(422, invalid.status());
        assertEquals(42201, invalid.body().get("error_code").asInt());
        assertEquals(42203, call("PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}").body().get("error_code").asInt());
        assertEquals(42202, call("GET", "/subjects/s/versions/abc", null).body().get("error_code").asInt());
        assertEquals(40408, call("GET", "/config/s", null).body().get("error_code").asInt());
    }

    @Test
    void ourHttpClientWorksAgainstIt() {
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(server.url());
        Schema s = Trajectory.getClassSchema();
        int id = client.register("ccpo.trajectories-value", s);
        assertEquals(id, client.register("ccpo.trajectories-value", s));
        assertEquals(s, new HttpSchemaRegistryClient(server.url()).schemaById(id));
        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> new HttpSchemaRegistryClient(server.url()).schemaById(id + 100));
        assertTrue(e.getMessage().contains("40403"), e.getMessage());
    }

    /** Issue 18: a body of any size used to be read whole; over registry.max.body.bytes it is refused with 413. */
    @Test
    void aBodyOverTheLimitIsRefusedWith413AndAConfluentStyleError() throws Exception {
        String huge = schemaBody("{\"type\":\"record\",\"name\":\"R\",\"doc\":\"" + "x".repeat(2 << 20) + "\",\"fields\":[]}");
        Reply r = call("POST", "/subjects/big-value/versions", huge);
        assertEquals(413, r.status());
        assertEquals(413, r.body().get("error_code").asInt());
        assertTrue(r.body().get("message").asText().contains("registry.max.body.bytes=1048576"), r.body().toString());
        assertEquals(200, call("POST", "/subjects/small-value/versions", schemaBody("\"string\"")).status(), "the registry goes on");
        server.maxBodyBytes(16);
        assertEquals(413, call("POST", "/subjects/small-value/versions", schemaBody("{\"type\":\"record\",\"name\":\"R2\",\"fields\":[]}")).status());
    }
}
