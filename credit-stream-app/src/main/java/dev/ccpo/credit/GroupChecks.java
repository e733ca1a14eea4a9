package dev.ccpo.credit;

import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.credit.GroupBuffer.Group;
import dev.ccpo.kafka.RejectedRecordException;
import dev.ccpo.worker.TrajectoryValidation;
import dev.ccpo.worker.ValueDomains;

/**
 * What a record must satisfy before it is buffered in its group; each check returns the dead-letter reason, or null.
 * Pure: the group is the one buffered so far.
 */
final class GroupChecks {
    private GroupChecks() { }

    /**
     * The checks every service shares (TrajectoryValidation.checkShared), then the credit app's own: an id usable as
     * part of its store keys, and agreement with what the group already holds.
     */
    static String invalid(Trajectory t, String g, Group grp, ValueDomains domains) {
        try {
            TrajectoryValidation.checkShared(t, domains);
        } catch (RejectedRecordException e) {
            return e.getMessage() + " in " + t.getTrajectoryId();
        }
        return keyUnsafe(t.getTrajectoryId()) ? KEY_UNSAFE : sizeMismatch(grp, g, t.getGroupSize(), t.getTopology());
    }

    static String invalid(CounterfactualOutcome c, String g, Group grp, ValueDomains domains) {
        try {
            domains.check(c);
        } catch (RejectedRecordException e) {
            return e.getMessage() + " in " + c.getTrajectoryId();
        }
        return keyUnsafe(c.getTrajectoryId()) ? KEY_UNSAFE : sizeMismatch(grp, g, c.getGroupSize(), c.getTopology());
    }

    private static final String KEY_UNSAFE = "trajectoryId is empty or holds U+0001";

    /** The group buffer keys records by group and trajectory id joined with StateSerdes.SEP. */
    private static boolean keyUnsafe(String trajectoryId) {
        return trajectoryId.isEmpty() || trajectoryId.indexOf(StateSerdes.SEP) >= 0;
    }

    /**
     * Join integrity, by trajectory id: a second trajectory with an id the group already holds (at another index), a
     * trajectory at an index taken by another id, or a counterfactual whose (trajectory id, group index) does not name
     * a trajectory of the group (checked here when that trajectory is buffered, at GroupProcessor.hold otherwise).
     */
    static String joinConflict(Group grp, Trajectory t) {
        for (Trajectory o : grp.trajs.values()) {
            if (o.getGroupIndex() != t.getGroupIndex() && o.getTrajectoryId().equals(t.getTrajectoryId()))
                return "trajectory id " + t.getTrajectoryId() + " at groupIndex " + t.getGroupIndex() + " is already in group "
                        + t.getGroupId() + " at groupIndex " + o.getGroupIndex();
        }
        Trajectory same = grp.trajs.get(t.getGroupIndex());
        if (same != null && !same.getTrajectoryId().equals(t.getTrajectoryId()))
            return "groupIndex " + t.getGroupIndex() + " of group " + t.getGroupId() + " already holds trajectory "
                    + same.getTrajectoryId() + ", not " + t.getTrajectoryId();
        return null;
    }

    static String joinConflict(Group grp, CounterfactualOutcome c) {
        for (Trajectory t : grp.trajs.values()) {
            boolean sameId = t.getTrajectoryId().equals(c.getTrajectoryId()), sameIdx = t.getGroupIndex() == c.getGroupIndex();
            if (sameId != sameIdx)
                return "counterfactual names trajectory " + c.getTrajectoryId() + " at groupIndex " + c.getGroupIndex()
                        + " but group " + c.getGroupId() + " holds trajectory " + t.getTrajectoryId() + " at groupIndex "
                        + t.getGroupIndex();
        }
        return null;
    }

    /** Every record of a group must agree on groupSize and topology with what is already buffered. */
    private static String sizeMismatch(Group grp, String g, int size, Topology topo) {
        if (grp.size >= 0 && grp.size != size) return "groupSize " + size + " differs from " + grp.size + " in group " + g;
        if (grp.topology != null && grp.topology != topo) return "topology " + topo + " differs from " + grp.topology + " in group " + g;
        return null;
    }

    /** Why a buffered record is left over when its group stops buffering (to the DLQ), or null when it is used. */
    static String leftover(Group grp, String g, GroupBuffer.Entry e) {
        if (e.traj() != null) {
            int idx = e.traj().getGroupIndex();
            return grp.usable(idx) ? null : "trajectory " + idx + " of group " + g + " lacks counterfactuals after grace";
        }
        CounterfactualOutcome c = e.cf();
        int idx = c.getGroupIndex();
        if (grp.usable(idx) && grp.paired(idx).get(c.getMaskedAgentId()) == c) return null;
        return "counterfactual for unseen trajectory " + idx + " (" + c.getTrajectoryId() + ") of group " + g
                + " after grace: no trajectory of the group has that id and groupIndex";
    }
}
