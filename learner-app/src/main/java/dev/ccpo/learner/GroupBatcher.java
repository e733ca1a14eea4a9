package dev.ccpo.learner;

import dev.ccpo.avro.AgentAdvantage;
import java.util.*;

/**
 * Collects advantage records into whole groups and hands out steps of {@code batch.groups} groups.
 * A group is whole when groupRecordCount records have arrived (groups flagged groupComplete=false
 * carry the count of what was actually produced, so they are taken as they are).
 *
 * <p>Exact resume: the resumable offset of a partition is the smallest offset still held in a
 * pending (not yet trained) group, else the consumer position. Groups already trained whose
 * records lie at or after that offset are remembered in {@link #trainedAfterResume()} and skipped
 * on re-read, so after a restart nothing is trained twice and nothing is skipped.
 */
public final class GroupBatcher {

    /** A record plus where it came from; {@code rejected} says why it must not be trained on (null: it may). */
    public record Item(int partition, long offset, AgentAdvantage rec, String rejected) {}

    /** A whole group. */
    public record Group(String groupId, List<Item> items) {}

    /** One training step's worth of groups plus what the off-policy guard dropped. */
    public record Step(List<Group> groups, int droppedStale) {
        /** Every group's items, group by group. */
        public List<Item> items() {
            List<Item> out = new ArrayList<>();
            for (Group g : groups) out.addAll(g.items());
            return out;
        }
    }

    private final int batchGroups;
    private final long maxPolicyLag;
    private final Map<String, List<Item>> pending = new LinkedHashMap<>();
    private final Deque<Group> ready = new ArrayDeque<>();
    private final Map<Integer, Long> position = new HashMap<>();
    /** groupId -> max offset per partition, for trained groups (pruned as resume offsets advance). */
    private final Map<String, Map<Integer, Long>> trained = new HashMap<>();
    private final Set<String> skip = new HashSet<>();
    private long droppedStaleTotal;
    private long duplicatesSkipped;

    public GroupBatcher(int batchGroups, long maxPolicyLag) {
        if (batchGroups < 1) throw new IllegalArgumentException("batch.groups must be >= 1, got " + batchGroups);
        this.batchGroups = batchGroups;
        this.maxPolicyLag = maxPolicyLag;
    }

    /** Restores from a checkpoint: groups in {@code alreadyTrained} are ignored when re-read. */
    public void restore(Map<Integer, Long> offsets, Collection<String> alreadyTrained) {
        position.putAll(offsets);
        skip.addAll(alreadyTrained);
    }

    /** A record that still counts toward its group's completeness; with a {@code rejected} reason it is not trained on. */
    public void add(int partition, long offset, AgentAdvantage rec, String rejected) {
        position.merge(partition, offset + 1, Math::max);
        String gid = rec.getGroupId().toString();
        if (skip.contains(gid)) {
            duplicatesSkipped++;
            trained.computeIfAbsent(gid, k -> new HashMap<>()).merge(partition, offset, Math::max);
            return;
        }
        List<Item> items = pending.computeIfAbsent(gid, k -> new ArrayList<>());
        items.add(new Item(partition, offset, rec, rejected));
        int need = Math.max(1, rec.getGroupRecordCount());
        if (items.size() >= need) {
            pending.remove(gid);
            ready.add(new Group(gid, items));
        }
    }

    public boolean hasStep() { return ready.size() >= batchGroups; }

    /**
     * Takes the next step's groups; records older than currentVersion - max.policy.lag are dropped
     * (counted, not silently). A group left empty by the guard does not count toward the batch.
     */
    public Optional<Step> nextStep(long currentVersion) {
        List<Group> groups = new ArrayList<>();
        int dropped = 0;
        while (groups.size() < batchGroups && !ready.isEmpty()) {
            Group g = ready.poll();
            List<Item> keep = new ArrayList<>();
            for (Item i : g.items()) {
                if (i.rec().getPolicyVersion() < currentVersion - maxPolicyLag) dropped++;
                else keep.add(i);
            }
            markTrained(g);
            if (!keep.isEmpty()) groups.add(new Group(g.groupId(), keep));
        }
        droppedStaleTotal += dropped;
        if (groups.isEmpty() && dropped == 0) return Optional.empty();
        return Optional.of(new Step(groups, dropped));
    }

    private void markTrained(Group g) {
        Map<Integer, Long> maxOff = trained.computeIfAbsent(g.groupId(), k -> new HashMap<>());
        for (Item i : g.items()) maxOff.merge(i.partition(), i.offset(), Math::max);
    }

    /** Next offset to read per partition after a restart (see class comment). */
    public Map<Integer, Long> resumeOffsets() {
        Map<Integer, Long> out = new TreeMap<>(position);
        List<Group> held = new ArrayList<>(ready);
        for (List<Item> items : pending.values()) held.add(new Group("", items));
        for (Group g : held)
            for (Item i : g.items()) out.merge(i.partition(), i.offset(), Math::min);
        return out;
    }

    /** Trained groups that have a record at or after the resume offset of its partition. */
    public Set<String> trainedAfterResume() {
        Map<Integer, Long> resume = resumeOffsets();
        Set<String> out = new TreeSet<>();
        Iterator<Map.Entry<String, Map<Integer, Long>>> it = trained.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Map<Integer, Long>> e = it.next();
            boolean after = false;
            for (Map.Entry<Integer, Long> po : e.getValue().entrySet())
                if (po.getValue() >= resume.getOrDefault(po.getKey(), Long.MAX_VALUE)) after = true;
            if (after) out.add(e.getKey());
            else it.remove(); // fully behind the resume point: never re-read, forget it
        }
        return out;
    }

    public long droppedStaleTotal() { return droppedStaleTotal; }
    public long duplicatesSkipped() { return duplicatesSkipped; }
    public int pendingGroups() { return pending.size(); }
    public int readyGroups() { return ready.size(); }
}
