package dev.ccpo.credit;

import dev.ccpo.credit.CreditMath.History;
import dev.ccpo.credit.StateSerdes.BufferKey;
import dev.ccpo.credit.StateSerdes.HistoryKey;
import dev.ccpo.credit.StateSerdes.Hold;
import dev.ccpo.credit.StateSerdes.Opened;
import dev.ccpo.credit.StateSerdes.TimeKey;
import dev.ccpo.credit.StateSerdes.WindowKey;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateSerdesTest {
    private static <T> byte[] bytes(Serde<T> serde, T v) { return serde.serializer().serialize("t", v); }

    private static <T> T roundTrip(Serde<T> serde, T v) { return serde.deserializer().deserialize("t", bytes(serde, v)); }

    /** The stores order keys by their bytes: that order must be the order the code scans in. */
    private static <T> void assertBytesSortAs(Serde<T> serde, List<T> inOrder) {
        List<T> shuffled = new ArrayList<>(inOrder);
        java.util.Collections.reverse(shuffled);
        shuffled.sort(Comparator.comparing(v -> bytes(serde, v), Arrays::compareUnsigned));
        assertEquals(inOrder, shuffled);
    }

    @Test
    void timeKeys_sortByTimeThenId_negativeTimesFirst() {
        List<TimeKey> keys = List.of(new TimeKey(Long.MIN_VALUE, ""), new TimeKey(-5, "z"), new TimeKey(0, "a"),
                new TimeKey(0, "ab"), new TimeKey(0, "b"), new TimeKey(255, "a"), new TimeKey(256, "a"), new TimeKey(Long.MAX_VALUE, "a"));
        assertBytesSortAs(StateSerdes.TIME_KEY, keys);
        List<TimeKey> byComparator = new ArrayList<>(keys);
        java.util.Collections.reverse(byComparator);
        byComparator.sort(TimeKey.ORDER);  // the release queue's mirror walks in this order
        assertEquals(keys, byComparator);
        for (TimeKey k : keys) assertEquals(k, roundTrip(StateSerdes.TIME_KEY, k));
    }

    @Test
    void compareUtf8_isTheOrderOfTheUtf8Bytes_surrogatesIncluded() {
        // ASCII, Latin-1, a BMP char below the surrogates, one above them (U+FF21), and a supplementary code point
        // (U+1F600, a surrogate pair in UTF-16, where String.compareTo puts it before U+FF21 and UTF-8 after)
        List<String> s = List.of("", "a", "ab", "b", "z\u00e9", "\u4e2d", "\uff21", "\ud83d\ude00", "\ud83d\ude00a", "\uffff");
        for (String x : s) {
            for (String y : s) {
                int bytes = Integer.signum(Arrays.compareUnsigned(x.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        y.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                assertEquals(bytes, Integer.signum(StateSerdes.compareUtf8(x, y)), x + " vs " + y);
            }
        }
        assertTrue("\ud83d\ude00".compareTo("\uff21") < 0 && StateSerdes.compareUtf8("\ud83d\ude00", "\uff21") > 0);
    }

    @Test
    void windowKeys_sortByWindowThenRoleThenGroup() {
        List<WindowKey> keys = List.of(new WindowKey(0, "thinker", "g1"), new WindowKey(0, "thinker", "g2"),
                new WindowKey(0, "voter", "a"), new WindowKey(60_000, "thinker", "a"), new WindowKey(120_000, "", ""),
                new WindowKey(120_000, "thinker", "g"));
        assertBytesSortAs(StateSerdes.WINDOW_KEY, keys);
        for (WindowKey k : keys) assertEquals(k, roundTrip(StateSerdes.WINDOW_KEY, k));
    }

    @Test
    void historyKeys_aRolesWindowsInOrder_itsWatermarkLast_rolesApart() {
        List<HistoryKey> keys = List.of(new HistoryKey("thinker", -1), new HistoryKey("thinker", 60_000),
                new HistoryKey("thinker", 120_000), HistoryKey.watermark("thinker"), new HistoryKey("thinkerX", 0),
                new HistoryKey("voter", 0), HistoryKey.watermark("voter"));
        assertBytesSortAs(StateSerdes.HISTORY_KEY, keys);
        assertTrue(roundTrip(StateSerdes.HISTORY_KEY, HistoryKey.watermark("voter")).isWatermark());
    }

    @Test
    void bufferKeys_theComparatorIsTheStoresOrder_andAGroupsKeysShareItsPrefix() {
        List<BufferKey> keys = List.of(BufferKey.counterfactual("g", "t", 1), BufferKey.counterfactual("g", "t", 2),
                BufferKey.counterfactual("g", "t1", 0), BufferKey.counterfactual("g", "u", 0), BufferKey.trajectory("g", 0),
                BufferKey.trajectory("g", 9), BufferKey.trajectory("g", 10), BufferKey.trajectory("g0", 0));
        assertBytesSortAs(StateSerdes.BUFFER_KEY, keys);
        List<BufferKey> byComparator = new ArrayList<>(keys);
        java.util.Collections.reverse(byComparator);
        byComparator.sort(BufferKey.ORDER);
        assertEquals(keys, byComparator);
        byte[] prefix = StateSerdes.BUFFER_PREFIX.serialize("t", "g");
        for (BufferKey k : keys) {
            byte[] b = bytes(StateSerdes.BUFFER_KEY, k);
            boolean starts = Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
            assertEquals(k.groupId().equals("g"), starts, k.toString());  // "g0" is another group
            assertEquals(k, roundTrip(StateSerdes.BUFFER_KEY, k));
        }
    }

    @Test
    void values_roundTripExactly() {
        assertEquals(new Opened(-3, 1_700_000_000_000L), roundTrip(StateSerdes.OPENED, new Opened(-3, 1_700_000_000_000L)));
        assertEquals(new Hold(true, "voter", 60_000), roundTrip(StateSerdes.HOLD, new Hold(true, "voter", 60_000)));
        Stat[] w = {new Stat(3, 0.1 + 0.2, 1e-300), new Stat(0, 0, 0), new Stat(7, -0.5, Double.MIN_VALUE)};
        assertArrayEquals(w, roundTrip(StateSerdes.MOMENTS, w));
        RoleHistory h = new RoleHistory(new History[]{new History(14, 0.505, 0.2475), History.EMPTY, new History(1, -1, 0)},
                List.of(w, new Stat[]{Stat.EMPTY, Stat.EMPTY, new Stat(1, 2, 3)}));
        RoleHistory back = roundTrip(StateSerdes.ROLE_HISTORY, h);
        assertArrayEquals(h.ema(), back.ema());
        assertEquals(2, back.windows().size());
        for (int i = 0; i < 2; i++) assertArrayEquals(h.windows().get(i), back.windows().get(i));
        RolloutHistory.Entry e = new RolloutHistory.Entry(120_000, new History(3, 0.25, 0.5), History.EMPTY, new History(1, 1, 0));
        assertEquals(e, roundTrip(StateSerdes.HISTORY_ENTRY, e));
        RecentGroups.Summary r = new RecentGroups.Summary("g\u00e9", false, List.of(
                new RecentGroups.Advantage("g\u00e9/0", 0, "thinker", -0.1 - 0.2, null),
                new RecentGroups.Advantage("", 1, "reasoner", null, Double.MIN_VALUE)));
        assertEquals(r, roundTrip(StateSerdes.RECENT_GROUP, r));
    }

    @Test
    void malformedBytes_failLoudly_namingTheReset() {
        SerializationException e = assertThrows(SerializationException.class,
                () -> StateSerdes.OPENED.deserializer().deserialize("t", new byte[]{1, 2, 3}));
        assertTrue(e.getMessage().contains("reset the application"), e.getMessage());
        assertThrows(SerializationException.class, () -> StateSerdes.OPENED.deserializer().deserialize("t", new byte[17]));
        assertThrows(SerializationException.class, () -> StateSerdes.BUFFER_KEY.deserializer().deserialize("t", "g|T|000001".getBytes()));
        assertThrows(SerializationException.class, () -> StateSerdes.RECENT_GROUP.deserializer().deserialize("t",
                "{\"groupId\":\"g\"}".getBytes()));  // the JSON form of an older version
    }
}
