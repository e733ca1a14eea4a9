package dev.ccpo.credit;

/**
 * Internal record on the single-partition stats repartition topic (String value, tab separated).
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

    String encode() {
        // groupId last: it is the only free-form field, so split(limit) keeps any tab inside it.
        return kind + "\t" + partition + "\t" + watermarkMs + "\t" + eventTimeMs + "\t" + role + "\t" + credit.encode()
                + "\t" + joint.encode() + "\t" + counterfactual.encode() + "\t" + groupId;
    }

    static StatsMessage decode(String s) {
        String[] p = s.split("\t", 9);
        if (p.length != 9) throw new IllegalArgumentException("malformed stats message: " + s);
        return new StatsMessage(p[0].charAt(0), Integer.parseInt(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), p[4],
                Stat.decode(p[5]), Stat.decode(p[6]), Stat.decode(p[7]), p[8]);
    }
}
