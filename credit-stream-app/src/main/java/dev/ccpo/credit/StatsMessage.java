package dev.ccpo.credit;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Internal record on the single-partition stats repartition topic, in a fixed binary form (internal, not a topic
 * contract; {@link #encode}).
 * Every message carries its source partition and that partition's stream time (its watermark) at
 * emission, so the stats processor can close windows on the minimum over all input partitions and
 * decide lateness from the source's own order: both are then independent of how the partitions'
 * messages interleave, which keeps replays byte-identical.
 * <ul>
 *   <li>{@code S}: one completed group's raw signals of one role, as exact batch moments.</li>
 *   <li>{@code W}: a watermark advance with no group.</li>
 * </ul>
 */
record StatsMessage(char kind, int partition, long watermarkMs, long eventTimeMs, String role, Stat credit,
                    Stat joint, Stat counterfactual, String groupId) {

    static StatsMessage watermark(int partition, long wm) {
        return new StatsMessage('W', partition, wm, 0, "", Stat.EMPTY, Stat.EMPTY, Stat.EMPTY, "");
    }

    static StatsMessage signals(int partition, long wm, long eventTimeMs, String role, Stat credit, Stat joint,
                                Stat cf, String groupId) {
        return new StatsMessage('S', partition, wm, eventTimeMs, role, credit, joint, cf, groupId);
    }

    /**
     * kind (1 byte), partition (int), watermarkMs, eventTimeMs (longs), role (int length + UTF-8), credit, joint,
     * counterfactual (count long, mean double, m2 double each: exact), groupId (int length + UTF-8); big-endian.
     */
    byte[] encode() {
        byte[] r = role.getBytes(StandardCharsets.UTF_8), g = groupId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + 8 + 4 + r.length + 3 * 24 + 4 + g.length);
        b.put((byte) kind).putInt(partition).putLong(watermarkMs).putLong(eventTimeMs).putInt(r.length).put(r);
        for (Stat x : new Stat[]{credit, joint, counterfactual}) b.putLong(x.count()).putDouble(x.mean()).putDouble(x.m2());
        return b.putInt(g.length).put(g).array();
    }

    /** The message, or IllegalArgumentException when the bytes are not one (the stats task counts it excluded). */
    static StatsMessage decode(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            char kind = (char) b.get();
            if (kind != 'S' && kind != 'W') throw new IllegalArgumentException("unknown kind " + (int) kind);
            int partition = b.getInt();
            long wm = b.getLong(), eventTime = b.getLong();
            String role = string(b);
            Stat[] st = new Stat[3];
            for (int i = 0; i < 3; i++) st[i] = new Stat(b.getLong(), b.getDouble(), b.getDouble());
            String groupId = string(b);
            if (b.hasRemaining()) throw new IllegalArgumentException(b.remaining() + " bytes after the message");
            return new StatsMessage(kind, partition, wm, eventTime, role, st[0], st[1], st[2], groupId);
        } catch (BufferUnderflowException | NegativeArraySizeException | NullPointerException e) {
            throw new IllegalArgumentException("malformed stats message (" + (bytes == null ? "null" : bytes.length + " bytes") + ")", e);
        }
    }

    private static String string(ByteBuffer b) {
        byte[] s = new byte[b.getInt()];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
