package dev.ccpo.serde;

import org.apache.avro.Schema;

/** The two calls a serde needs from a Confluent-compatible schema registry. */
public interface SchemaRegistryClient {

    /** Registers the schema under the subject (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with that global id. */
    Schema schemaById(int id);
}
