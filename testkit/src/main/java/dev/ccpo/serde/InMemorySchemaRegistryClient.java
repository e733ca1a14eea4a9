package dev.ccpo.serde;

import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A registry held in this JVM, for tests (TopologyTestDriver, serde round trips) that have no registry to talk to.
 * Ids are global and stable per schema text, as in a real registry.
 * Performs no compatibility checks: the real registry (infra's SchemaRegistryServer) does.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final List<Schema> schemas = new ArrayList<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
        return idsBySchema.computeIfAbsent(schema.toString(), k -> {
            schemas.add(schema);
            return schemas.size();
        });
    }

    @Override
    public synchronized Schema schemaById(int id) {
        if (id < 1 || id > schemas.size()) throw new SchemaRegistryException("schema id " + id + " not found", 40403, null);
        return schemas.get(id - 1);
    }
}
