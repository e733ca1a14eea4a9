// Independent check of our registry's REST API and Confluent wire format with @kafkajs/confluent-schema-registry.
// Usage: node test.mjs <bootstrap> <registryUrl> <topic> [expectedCount=1]
// Prints "DECODED <json>" per record and "REGISTERED id=<n>"; exits 0 only if all went well.
import { Kafka, logLevel } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';

const [bootstrap, registryUrl, topic, expectedArg] = process.argv.slice(2);
if (!bootstrap || !registryUrl || !topic) {
  console.error('usage: node test.mjs <bootstrap> <registryUrl> <topic> [expectedCount]');
  process.exit(2);
}
const expected = Number(expectedArg ?? 1);
const registry = new SchemaRegistry({ host: registryUrl });

// 1. register + fetch through the REST API
const schema = { type: 'record', name: 'NodeCheck', namespace: 'dev.ccpo.node', fields: [{ name: 'n', type: 'int' }] };
const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: 'node-check-value' });
const latest = await registry.getLatestSchemaId('node-check-value');
if (latest !== id) throw new Error(`latest id ${latest} != registered ${id}`);
const encoded = await registry.encode(id, { n: 42 });
const roundTrip = await registry.decode(encoded);
if (roundTrip.n !== 42) throw new Error('encode/decode round trip failed: ' + JSON.stringify(roundTrip));
console.log(`REGISTERED id=${id}`);

// 2. decode what the Java serializers wrote to the topic
const kafka = new Kafka({ clientId: 'ccpo-node-test', brokers: bootstrap.split(','), logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId: 'ccpo-node-test-' + Date.now() });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let seen = 0;
const done = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`only ${seen}/${expected} records decoded within 60 s`)), 60000);
  consumer.run({
    eachMessage: async ({ message }) => {
      const value = await registry.decode(message.value);
      console.log('DECODED ' + JSON.stringify(value, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));
      if (++seen >= expected) { clearTimeout(timer); resolve(); }
    },
  }).catch(reject);
});
try {
  await done;
  await consumer.disconnect();
  process.exit(0);
} catch (e) {
  console.error('node client test failed: ' + e.message);
  await consumer.disconnect().catch(() => {});
  process.exit(1);
}
