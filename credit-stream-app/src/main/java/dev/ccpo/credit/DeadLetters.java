package dev.ccpo.credit;

import dev.ccpo.avro.DeadLetter;
import dev.ccpo.serde.DeadLetterPublisher;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/** Dead letters of the group task, forwarded to the DLQ branch and counted as dlq.&lt;code&gt;. */
final class DeadLetters {
    private static final Logger log = LoggerFactory.getLogger(GroupProcessor.class);
    private final CreditSettings s;
    private final CreditCounters counters;
    private ProcessorContext<String, CreditOutput> ctx;

    DeadLetters(CreditSettings s, CreditCounters counters) {
        this.s = s;
        this.counters = counters;
    }

    void init(ProcessorContext<String, CreditOutput> ctx) { this.ctx = ctx; }

    /** The record being processed, with its topic, partition and offset. */
    void record(Record<byte[], byte[]> rec, RecordMetadata md, String reason, String code) {
        counters.inc("dlq." + code);
        DeadLetter d = DeadLetterPublisher.of(md.topic(), md.partition(), md.offset(), rec.key(), rec.value(), reason,
                code, s.applicationId());
        log.warn("dead-lettering {}-{}@{}: {}", md.topic(), md.partition(), md.offset(), reason);
        ctx.forward(new Record<>(null, new CreditOutput.DeadLettered(rec.key(), d), rec.timestamp()));
    }

    /** A buffered record of group g (its offset is no longer known). */
    void buffered(String g, GroupBuffer.Entry e, String reason, String code) {
        String topic = e.traj() != null ? s.trajectoriesTopic() : s.counterfactualsTopic();
        counters.inc("dlq." + code);
        byte[] key = g.getBytes(StandardCharsets.UTF_8);
        log.warn("dead-lettering from {}: {}", topic, reason);
        DeadLetter d = DeadLetterPublisher.of(topic, -1, -1, key, e.raw(), reason, code, s.applicationId());
        ctx.forward(new Record<>(null, new CreditOutput.DeadLettered(key, d), ctx.currentStreamTimeMs()));
    }
}
