package dev.ccpo.learner;

import static org.junit.jupiter.api.Assertions.*;

import dev.ccpo.avro.AgentAdvantage;
import java.util.*;
import org.junit.jupiter.api.Test;

class GroupBatcherTest {

    private static AgentAdvantage rec(String group, int count, long version, boolean complete) {
        return TestRecords.advantage(group, count, version, complete, 1.0, List.of(4, 5), List.of(-0.5f, -1.25f));
    }

    @Test
    void groupIsReadyOnlyWhenWholeAndStepsHaveBatchGroups() {
        GroupBatcher b = new GroupBatcher(2, 100);
        b.add(0, 0, rec("a", 2, 5, true), null);
        b.add(0, 1, rec("b", 1, 5, false), null); // incomplete group taken as it is: 1 record announced
        assertFalse(b.hasStep(), "group a has 1 of 2 records");
        b.add(0, 2, rec("a", 2, 5, true), null);
        assertTrue(b.hasStep());
        GroupBatcher.Step s = b.nextStep(5).orElseThrow();
        assertEquals(List.of("b", "a"), s.groups().stream().map(GroupBatcher.Group::groupId).toList());
        assertEquals(3, s.items().size());
        assertEquals(0, s.droppedStale());
    }

    @Test
    void offPolicyGuardDropsAndCounts() {
        GroupBatcher b = new GroupBatcher(1, 2);
        b.add(0, 0, rec("old", 2, 3, true), null);
        b.add(0, 1, rec("old", 2, 7, true), null);
        GroupBatcher.Step s = b.nextStep(8).orElseThrow(); // keep versions >= 6
        assertEquals(1, s.droppedStale());
        assertEquals(1, s.items().size());
        assertEquals(7, s.items().get(0).rec().getPolicyVersion());
        assertEquals(1, b.droppedStaleTotal());
    }

    @Test
    void resumeOffsetsKeepPendingAndSkipTrained() {
        GroupBatcher b = new GroupBatcher(1, 100);
        b.add(0, 0, rec("p", 2, 1, true), null);   // pending across the checkpoint
        b.add(0, 1, rec("t", 1, 1, true), null);   // trained
        b.add(1, 0, rec("u", 1, 1, true), null);   // trained, on partition 1
        b.nextStep(1);
        b.nextStep(1);
        Map<Integer, Long> off = b.resumeOffsets();
        assertEquals(0L, off.get(0), "pending group p must be re-read from offset 0");
        assertEquals(1L, off.get(1));
        Set<String> skip = b.trainedAfterResume();
        assertEquals(Set.of("t"), skip, "u is behind the resume point and is forgotten");

        // Restart: re-read partition 0 from 0, then the rest of p arrives.
        GroupBatcher r = new GroupBatcher(1, 100);
        r.restore(off, skip);
        r.add(0, 0, rec("p", 2, 1, true), null);
        r.add(0, 1, rec("t", 1, 1, true), null);
        assertFalse(r.hasStep(), "t was trained before the crash and must not be trained again");
        assertEquals(1, r.duplicatesSkipped());
        r.add(0, 2, rec("p", 2, 1, true), null);
        assertEquals("p", r.nextStep(1).orElseThrow().groups().get(0).groupId());
        assertTrue(r.nextStep(1).isEmpty());
    }

    @Test
    void badBatchSizeNamesKey() {
        var e = assertThrows(IllegalArgumentException.class, () -> new GroupBatcher(0, 1));
        assertTrue(e.getMessage().contains("batch.groups"));
    }
}
