package dev.ccpo.credit;

import dev.ccpo.credit.CreditMath.History;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * The types the credit app keeps in its state stores, and their serdes, in one place. The forms are small fixed
 * binaries, internal to the app (no topic contract): what a store holds changes only here. Keys that are scanned by
 * range keep their order in bytes, since the stores order keys by their serialized bytes: times are big-endian with
 * the sign bit flipped (unsigned byte order = numeric order), strings UTF-8, and a string followed by more of the key
 * ends with a separator that sorts before every character it may hold.
 * <p>A store written by an older version of the app in another form is not read: reset the application (or start
 * it with a new application.id) when upgrading across a change here.
 */
final class StateSerdes {
    private StateSerdes() { }

    /** A key ordered by time, then id: the release queue (releaseAt, groupId) and the done index (completed at, groupId). */
    record TimeKey(long timeMs, String id) {
        /** The store's order of these keys (that of their bytes). */
        static final Comparator<TimeKey> ORDER = Comparator.comparingLong(TimeKey::timeMs)
                .thenComparing(TimeKey::id, StateSerdes::compareUtf8);
    }

    /** When a group's first record was buffered: in stream time (grace) and by the wall clock (when the input stops). */
    record Opened(long streamMs, long wallMs) { }

    /** A held group: complete or expired, the role of its statistics, and the start of the window it is normalized as of. */
    record Hold(boolean complete, String role, long windowStart) { }

    /** One group's raw-signal moments in one statistics window: (window start, role, group id), in that order. */
    record WindowKey(long windowStart, String role, String groupId) { }

    /**
     * A key of the global statistics store: the role's history after the window ending at windowEndMs, or, at
     * {@link #WATERMARK}, the role's stats watermark (after every window of the role in key order).
     */
    record HistoryKey(String role, long windowEndMs) {
        static final long WATERMARK = Long.MAX_VALUE;

        static HistoryKey watermark(String role) { return new HistoryKey(role, WATERMARK); }

        boolean isWatermark() { return windowEndMs == WATERMARK; }
    }

    /**
     * A buffered record of a group: a trajectory (by groupIndex) or a counterfactual (by the trajectory id it names
     * and its masked agent), so one naming another trajectory never takes the genuine one's slot. In key order the
     * group's counterfactuals come before its trajectories.
     */
    record BufferKey(String groupId, String trajectoryId, int number) {
        static BufferKey trajectory(String groupId, int groupIndex) { return new BufferKey(groupId, null, groupIndex); }

        static BufferKey counterfactual(String groupId, String trajectoryId, int maskedAgent) {
            return new BufferKey(groupId, trajectoryId, maskedAgent);
        }

        boolean isTrajectory() { return trajectoryId == null; }

        /** The store's order of one group's keys (that of their bytes). */
        static final Comparator<BufferKey> ORDER = Comparator.comparing(BufferKey::groupId, StateSerdes::compareUtf8)
                .thenComparing(BufferKey::isTrajectory)
                .thenComparing(k -> k.isTrajectory() ? "" : k.trajectoryId(), StateSerdes::compareUtf8)
                .thenComparingInt(BufferKey::number);
    }

    /** Separator in a buffer key; trajectory ids holding it are refused (GroupChecks). */
    static final char SEP = '\u0001';

    static final Serde<TimeKey> TIME_KEY = serde(
            k -> {
                byte[] id = utf8(k.id());
                return ByteBuffer.allocate(8 + id.length).putLong(signFlipped(k.timeMs())).put(id).array();
            },
            b -> new TimeKey(signFlipped(b.getLong()), rest(b)));

    static final Serde<Opened> OPENED = serde(
            o -> ByteBuffer.allocate(16).putLong(o.streamMs()).putLong(o.wallMs()).array(),
            b -> new Opened(b.getLong(), b.getLong()));

    static final Serde<Hold> HOLD = serde(
            h -> {
                byte[] role = utf8(h.role());
                return ByteBuffer.allocate(1 + 8 + role.length).put((byte) (h.complete() ? 1 : 0)).putLong(h.windowStart())
                        .put(role).array();
            },
            b -> {
                boolean complete = b.get() == 1;
                long ws = b.getLong();
                return new Hold(complete, rest(b), ws);
            });

    /** windowStart (ordered), role, 0x00, groupId: a window's groups together, in role then groupId order. */
    static final Serde<WindowKey> WINDOW_KEY = serde(
            k -> {
                byte[] role = utf8(k.role()), g = utf8(k.groupId());
                return ByteBuffer.allocate(8 + role.length + 1 + g.length).putLong(signFlipped(k.windowStart())).put(role)
                        .put((byte) 0).put(g).array();
            },
            b -> new WindowKey(signFlipped(b.getLong()), until(b, (byte) 0), rest(b)));

    /** role, 0x00, windowEnd (ordered): a role's windows together, in window order, its watermark last. */
    static final Serde<HistoryKey> HISTORY_KEY = serde(
            k -> {
                byte[] role = utf8(k.role());
                return ByteBuffer.allocate(role.length + 1 + 8).put(role).put((byte) 0).putLong(signFlipped(k.windowEndMs())).array();
            },
            b -> new HistoryKey(until(b, (byte) 0), signFlipped(b.getLong())));

    /** groupId, SEP, 'C', SEP, trajectoryId, SEP, agent (6 digits) | groupId, SEP, 'T', SEP, groupIndex (6 digits). */
    static final Serde<BufferKey> BUFFER_KEY = serde(
            k -> utf8(k.isTrajectory() ? k.groupId() + SEP + "T" + SEP + pad6(k.number())
                    : k.groupId() + SEP + "C" + SEP + k.trajectoryId() + SEP + pad6(k.number())),
            b -> {
                String[] p = rest(b).split(String.valueOf(SEP), -1);
                if (p.length == 3 && p[1].equals("T")) return BufferKey.trajectory(p[0], Integer.parseInt(p[2]));
                if (p.length == 4 && p[1].equals("C")) return BufferKey.counterfactual(p[0], p[2], Integer.parseInt(p[3]));
                throw new IllegalArgumentException("not a buffer key");
            });

    /** A group id as the bytes every buffer key of the group starts with (a prefix scan reads the group). */
    static final Serializer<String> BUFFER_PREFIX = (topic, groupId) -> utf8(groupId + SEP);

    /** {credit, joint, counterfactual} moments: count, mean, m2 each (exact). */
    static final Serde<Stat[]> MOMENTS = serde(
            w -> {
                ByteBuffer b = ByteBuffer.allocate(72);
                for (Stat x : w) putStat(b, x);
                return b.array();
            },
            b -> new Stat[]{stat(b), stat(b), stat(b)});

    /** ema histories {credit, joint, counterfactual}, then the kept windows' moments (history=hopping). */
    static final Serde<RoleHistory> ROLE_HISTORY = serde(
            h -> {
                ByteBuffer b = ByteBuffer.allocate(72 + 4 + 72 * h.windows().size());
                for (History x : h.ema()) putHistory(b, x);
                b.putInt(h.windows().size());
                for (Stat[] w : h.windows()) for (Stat x : w) putStat(b, x);
                return b.array();
            },
            b -> {
                History[] ema = {history(b), history(b), history(b)};
                int n = b.getInt();
                List<Stat[]> windows = new ArrayList<>(n);
                for (int i = 0; i < n; i++) windows.add(new Stat[]{stat(b), stat(b), stat(b)});
                return new RoleHistory(ema, List.copyOf(windows));
            });

    /** closedThroughMs, then the three histories' count, mean, variance: 80 bytes. */
    static final Serde<RolloutHistory.Entry> HISTORY_ENTRY = serde(
            e -> {
                ByteBuffer b = ByteBuffer.allocate(80).putLong(e.closedThroughMs());
                for (History h : e.histories()) putHistory(b, h);
                return b.array();
            },
            b -> new RolloutHistory.Entry(b.getLong(), history(b), history(b), history(b)));

    /**
     * A recent group (/groups/recent shows it as JSON, written when asked): groupId, complete, then per advantage
     * trajectoryId, agentId, role, advantage, shapedReward (a non-finite one, shown as null, is stored as NaN).
     * Strings are length-prefixed.
     */
    static final Serde<RecentGroups.Summary> RECENT_GROUP = serde(
            r -> {
                List<RecentGroups.Advantage> advs = r.advantages();
                byte[] g = utf8(r.groupId());
                byte[][] ids = new byte[advs.size()][], roles = new byte[advs.size()][];
                int size = 4 + g.length + 1 + 4;
                for (int i = 0; i < advs.size(); i++) {
                    ids[i] = utf8(advs.get(i).trajectoryId());
                    roles[i] = utf8(advs.get(i).role());
                    size += 4 + ids[i].length + 4 + 4 + roles[i].length + 8 + 8;
                }
                ByteBuffer b = ByteBuffer.allocate(size).putInt(g.length).put(g).put((byte) (r.complete() ? 1 : 0))
                        .putInt(advs.size());
                for (int i = 0; i < advs.size(); i++) {
                    RecentGroups.Advantage a = advs.get(i);
                    b.putInt(ids[i].length).put(ids[i]).putInt(a.agentId()).putInt(roles[i].length).put(roles[i])
                            .putDouble(nanIfNull(a.advantage())).putDouble(nanIfNull(a.shapedReward()));
                }
                return b.array();
            },
            b -> {
                String g = sized(b);
                boolean complete = b.get() == 1;
                int n = b.getInt();
                if (n < 0 || n > b.remaining()) throw new IllegalArgumentException("advantage count " + n);
                List<RecentGroups.Advantage> advs = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    String trajectoryId = sized(b);
                    int agentId = b.getInt();
                    String role = sized(b);
                    double advantage = b.getDouble(), shaped = b.getDouble();
                    advs.add(new RecentGroups.Advantage(trajectoryId, agentId, role,
                            RecentGroups.Advantage.finiteOrNull(advantage), RecentGroups.Advantage.finiteOrNull(shaped)));
                }
                return new RecentGroups.Summary(g, complete, List.copyOf(advs));
            });

    /**
     * Removes a key: put(key, null), which a store documents as a delete, since delete() also reads and deserializes
     * the old value, which nothing here needs (profiled on a replay: a tenth of the stream threads' time went there).
     */
    static <K> void remove(KeyValueStore<K, ?> store, K key) { store.put(key, null); }

    /** A serde from a writer and a reader of a whole buffer; bytes left over or missing are an error. */
    private static <T> Serde<T> serde(Function<T, byte[]> write, Function<ByteBuffer, T> read) {
        Serializer<T> ser = (topic, v) -> v == null ? null : write.apply(v);
        Deserializer<T> de = (topic, bytes) -> {
            if (bytes == null) return null;
            try {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                T v = read.apply(b);
                if (b.hasRemaining()) throw new IllegalArgumentException(b.remaining() + " bytes left over");
                return v;
            } catch (BufferUnderflowException | IllegalArgumentException e) {
                throw new SerializationException("malformed state-store bytes (" + bytes.length + " bytes): " + e.getMessage()
                        + "; a store written by another version of the app? reset the application", e);
            }
        };
        return Serdes.serdeFrom(ser, de);
    }

    /**
     * Sign bit flipped: the unsigned byte order of the big-endian form is the numeric order. Its own inverse, so the
     * same call writes and reads a time.
     */
    private static long signFlipped(long v) { return v ^ Long.MIN_VALUE; }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    /** A length-prefixed UTF-8 string. */
    private static String sized(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) throw new IllegalArgumentException("string length " + n);
        String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
        b.position(b.position() + n);
        return s;
    }

    private static double nanIfNull(Double d) { return d == null ? Double.NaN : d; }

    private static String rest(ByteBuffer b) {
        String s = new String(b.array(), b.position(), b.remaining(), StandardCharsets.UTF_8);
        b.position(b.limit());
        return s;
    }

    /** The string up to the separator, which is consumed. */
    private static String until(ByteBuffer b, byte sep) {
        int start = b.position();
        while (b.get() != sep) { }
        return new String(b.array(), start, b.position() - 1 - start, StandardCharsets.UTF_8);
    }

    /** Zero-padded to 6 digits (as %06d for 0..999999), without String.format's cost on every record. */
    private static String pad6(int v) {
        String d = Integer.toString(v);
        return d.length() >= 6 ? d : "000000".substring(d.length()) + d;
    }

    private static void putStat(ByteBuffer b, Stat x) { b.putLong(x.count()).putDouble(x.mean()).putDouble(x.m2()); }

    private static Stat stat(ByteBuffer b) { return new Stat(b.getLong(), b.getDouble(), b.getDouble()); }

    private static void putHistory(ByteBuffer b, History h) { b.putLong(h.count()).putDouble(h.mean()).putDouble(h.variance()); }

    private static History history(ByteBuffer b) { return new History(b.getLong(), b.getDouble(), b.getDouble()); }

    /**
     * UTF-8 byte order, the stores' order of string keys, without encoding (the release queue and the group buffer
     * compare keys on every insert). UTF-8 order is code point order; UTF-16 order (String.compareTo) differs from it
     * only where a surrogate (a code point above U+FFFF) meets a char in U+E000..U+FFFF, so those are shifted apart.
     */
    static int compareUtf8(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i), y = b.charAt(i);
            if (x != y) {
                if (x >= 0xD800 && y >= 0xD800) return codePointOrder(x) - codePointOrder(y);
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    /** U+D800..U+DFFF (surrogates) after U+E000..U+FFFF, both kept in order: the code points they stand for. */
    private static int codePointOrder(char c) { return c >= 0xE000 ? c - 0x800 : c + 0x2000; }
}
