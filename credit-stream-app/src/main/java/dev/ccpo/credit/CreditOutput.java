package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.DeadLetter;

/**
 * What the group task emits, one type per output: the topology sends each kind to its own sink by a typed branch.
 * The record key is the output's own key (groupId for advantages, the role for statistics); a dead letter keeps the
 * original record's key bytes, which need not be a string.
 */
sealed interface CreditOutput {
    /** One agent's advantage, to ccpo.advantages (key groupId). */
    record Advantage(AgentAdvantage value) implements CreditOutput { }

    /** A record the group task could not use, to ccpo.dlq under the key it came with. */
    record DeadLettered(byte[] key, DeadLetter value) implements CreditOutput { }

    /** A group's raw signals or a watermark, to the stats task through the one-partition repartition topic (key role). */
    record Signals(StatsMessage value) implements CreditOutput { }
}
