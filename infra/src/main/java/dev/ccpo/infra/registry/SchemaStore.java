package dev.ccpo.infra.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The registry's state: schemas by id, versions per subject, compatibility levels. Every change is
 * an event (JSON) handed to the journal before it is applied, so a Kafka-backed journal can replay
 * the same events after a restart. Ids are global and a schema text keeps its id across subjects.
 */
public final class SchemaStore {
    static final ObjectMapper JSON = new ObjectMapper();
    public static final String DEFAULT_COMPATIBILITY = "BACKWARD";

    public record Version(String subject, int version, int id, String schema) { }

    private final Map<Integer, String> schemasById = new HashMap<>();
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<String, TreeMap<Integer, Version>> subjects = new TreeMap<>();
    private final Map<String, String> compatibility = new HashMap<>();
    private String globalCompatibility = DEFAULT_COMPATIBILITY;
    private final Consumer<ObjectNode> journal;

    /** journal receives each event before it is applied; it must throw if it cannot persist it. */
    public SchemaStore(Consumer<ObjectNode> journal) { this.journal = journal; }

    public static SchemaStore inMemory() { return new SchemaStore(e -> { }); }

    /** Registers the schema under the subject (idempotent), checking compatibility. */
    public synchronized Version register(String subject, Schema schema) {
        String canonical = schema.toString();
        TreeMap<Integer, Version> versions = subjects.getOrDefault(subject, new TreeMap<>());
        for (Version v : versions.values())
            if (v.schema().equals(canonical)) return v;
        List<String> incompatible = checkAgainst(subject, schema, new ArrayList<>(versions.values()));
        if (!incompatible.isEmpty())
            throw new RegistryException(409, 409, "Schema being registered is incompatible with an earlier schema for subject \""
                    + subject + "\": " + String.join("; ", incompatible));
        Integer id = idsBySchema.get(canonical);
        if (id == null) id = schemasById.keySet().stream().mapToInt(i -> i).max().orElse(0) + 1;
        int version = versions.isEmpty() ? 1 : versions.lastKey() + 1;
        ObjectNode event = JSON.createObjectNode().put("type", "SCHEMA").put("subject", subject)
                .put("version", version).put("id", id).put("schema", canonical);
        journal.accept(event);
        apply(event);
        return subjects.get(subject).get(version);
    }

    public synchronized void setCompatibility(String subjectOrNull, String level) {
        String normalized = Compatibility.normalize(level);
        ObjectNode event = JSON.createObjectNode().put("type", "CONFIG").put("compatibility", normalized);
        if (subjectOrNull != null) event.put("subject", subjectOrNull);
        journal.accept(event);
        apply(event);
    }

    /** Applies an event from the journal (replay) or from this store. */
    public synchronized void apply(ObjectNode event) {
        switch (event.path("type").asText()) {
            case "SCHEMA" -> {
                String subject = event.get("subject").asText();
                int id = event.get("id").asInt();
                String schema = event.get("schema").asText();
                schemasById.put(id, schema);
                idsBySchema.putIfAbsent(schema, id);
                subjects.computeIfAbsent(subject, s -> new TreeMap<>())
                        .put(event.get("version").asInt(), new Version(subject, event.get("version").asInt(), id, schema));
            }
            case "CONFIG" -> {
                if (event.hasNonNull("subject")) compatibility.put(event.get("subject").asText(), event.get("compatibility").asText());
                else globalCompatibility = event.get("compatibility").asText();
            }
            default -> throw new IllegalArgumentException("unknown registry event type in " + event);
        }
    }

    /** Reasons the schema is incompatible with the subject's versions under its level; empty when compatible. */
    public synchronized List<String> checkAgainst(String subject, Schema schema, List<Version> existing) {
        String level = compatibilityOf(subject);
        if (existing.isEmpty() || level.startsWith("NONE")) return List.of();
        List<Version> against = level.endsWith("_TRANSITIVE") ? existing : List.of(existing.get(existing.size() - 1));
        List<String> problems = new ArrayList<>();
        for (Version v : against) {
            Schema old = new Schema.Parser().parse(v.schema());
            String base = level.replace("_TRANSITIVE", "");
            if (base.equals("BACKWARD") || base.equals("FULL")) problems.addAll(Compatibility.problems(schema, old, "version " + v.version() + " (backward)"));
            if (base.equals("FORWARD") || base.equals("FULL")) problems.addAll(Compatibility.problems(old, schema, "version " + v.version() + " (forward)"));
        }
        return problems;
    }

    public synchronized String compatibilityOf(String subject) {
        return subject == null ? globalCompatibility : compatibility.getOrDefault(subject, globalCompatibility);
    }

    public synchronized String subjectCompatibilityOrNull(String subject) { return compatibility.get(subject); }

    public synchronized List<String> subjects() { return new ArrayList<>(subjects.keySet()); }

    public synchronized List<Version> versions(String subject) {
        TreeMap<Integer, Version> v = subjects.get(subject);
        if (v == null) throw new RegistryException(404, 40401, "Subject '" + subject + "' not found.");
        return new ArrayList<>(v.values());
    }

    public synchronized Version version(String subject, String versionOrLatest) {
        TreeMap<Integer, Version> v = subjects.get(subject);
        if (v == null) throw new RegistryException(404, 40401, "Subject '" + subject + "' not found.");
        if (versionOrLatest.equals("latest") || versionOrLatest.equals("-1")) return v.lastEntry().getValue();
        int n;
        try {
            n = Integer.parseInt(versionOrLatest);
        } catch (NumberFormatException e) {
            throw new RegistryException(422, 42202, "The specified version '" + versionOrLatest + "' is not a valid version id. "
                    + "Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
        Version found = v.get(n);
        if (found == null) throw new RegistryException(404, 40402, "Version " + n + " not found.");
        return found;
    }

    public synchronized String schemaById(int id) {
        String s = schemasById.get(id);
        if (s == null) throw new RegistryException(404, 40403, "Schema " + id + " not found");
        return s;
    }

    /** The subject's version holding exactly this schema. */
    public synchronized Version lookup(String subject, Schema schema) {
        String canonical = schema.toString();
        for (Version v : versions(subject))
            if (v.schema().equals(canonical)) return v;
        throw new RegistryException(404, 40403, "Schema not found");
    }

    /** Compatibility rules via Avro's own SchemaCompatibility. */
    static final class Compatibility {
        static final List<String> LEVELS = List.of("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
                "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE");

        static String normalize(String level) {
            String l = level == null ? "" : level.trim().toUpperCase(java.util.Locale.ROOT);
            if (!LEVELS.contains(l))
                throw new RegistryException(422, 42203, "Invalid compatibility level '" + level + "': expected one of " + LEVELS);
            return l;
        }

        /** Problems when data written with writer is read with reader. */
        static List<String> problems(Schema reader, Schema writer, String what) {
            SchemaCompatibility.SchemaPairCompatibility r = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
            if (r.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) return List.of();
            List<String> out = new ArrayList<>();
            for (SchemaCompatibility.Incompatibility i : r.getResult().getIncompatibilities())
                out.add(what + ": " + i.getType() + " at " + i.getLocation() + ": " + i.getMessage());
            return out;
        }
    }
}
