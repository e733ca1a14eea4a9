package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;

/**
 * Renders a decoded Avro value (generic or specific) as plain JSON: records as objects, unions unwrapped,
 * enums as names. Bytes are shown as base64 when short, otherwise summarized as {"bytes": length}, so a
 * weights chunk of megabytes prints as one short line.
 */
public final class AvroJson {
    /** How bytes fields are shown. */
    public enum BytesMode { AUTO, BASE64, LENGTH }

    /** AUTO prints bytes up to this size as base64. */
    public static final int AUTO_BASE64_MAX = 256;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final BytesMode bytesMode;

    public AvroJson(BytesMode bytesMode) { this.bytesMode = bytesMode; }

    /** The value as JSON; records whose schema is PolicyWeights always get their bytes summarized. */
    public JsonNode render(Object value) {
        BytesMode mode = bytesMode;
        if (value instanceof GenericContainer c && c.getSchema().getName().equals("PolicyWeights")) mode = BytesMode.LENGTH;
        return render(value, mode);
    }

    private JsonNode render(Object v, BytesMode mode) {
        if (v == null) return F.nullNode();
        if (v instanceof IndexedRecord r) {
            ObjectNode o = F.objectNode();
            for (Schema.Field f : r.getSchema().getFields()) o.set(f.name(), render(r.get(f.pos()), mode));
            return o;
        }
        if (v instanceof CharSequence s) return F.textNode(s.toString());
        if (v instanceof Integer i) return F.numberNode(i);
        if (v instanceof Long l) return F.numberNode(l);
        if (v instanceof Float fl) return F.numberNode(fl);
        if (v instanceof Double d) return Double.isFinite(d) ? F.numberNode(d) : F.textNode(d.toString());
        if (v instanceof Boolean b) return F.booleanNode(b);
        if (v instanceof java.time.Instant t) return F.numberNode(t.toEpochMilli());  // timestamp-millis in specific records
        if (v instanceof Enum<?> e) return F.textNode(e.name());
        if (v instanceof GenericData.EnumSymbol e) return F.textNode(e.toString());
        if (v instanceof ByteBuffer b) return bytes(b.duplicate(), mode);
        if (v instanceof GenericFixed fx) return bytes(ByteBuffer.wrap(fx.bytes()), mode);
        if (v instanceof Collection<?> c) {
            ArrayNode a = F.arrayNode();
            for (Object x : c) a.add(render(x, mode));
            return a;
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = F.objectNode();
            for (Map.Entry<?, ?> e : m.entrySet()) o.set(String.valueOf(e.getKey()), render(e.getValue(), mode));
            return o;
        }
        return F.textNode(v.toString());
    }

    private static JsonNode bytes(ByteBuffer b, BytesMode mode) {
        int n = b.remaining();
        boolean base64 = mode == BytesMode.BASE64 || (mode == BytesMode.AUTO && n <= AUTO_BASE64_MAX);
        if (!base64) return F.objectNode().put("bytes", n);
        byte[] raw = new byte[n];
        b.get(raw);
        return F.textNode(Base64.getEncoder().encodeToString(raw));
    }
}
