package dev.ccpo.learner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ccpo.avro.AgentAdvantage;
import java.util.ArrayList;
import java.util.List;

/**
 * One micro-batch in tensor form: prompts/completions for CausalLM.completionLogProbs plus the
 * behaviour log-probs, mask and advantages padded to [B, Tmax] (Tmax = longest completion, the
 * same padding completionLogProbs uses).
 */
public record MicroBatch(List<int[]> prompts, List<int[]> completions, NDArray oldLogProbs, NDArray mask,
                         NDArray advantages, long tokens) {

    /** Records with empty completions carry no trainable token and are rejected by the caller. */
    public static MicroBatch of(NDManager manager, List<AgentAdvantage> recs) {
        int b = recs.size();
        int tmax = 1;
        for (AgentAdvantage r : recs) tmax = Math.max(tmax, r.getOutputTokenIds().size());
        float[] old = new float[b * tmax];
        float[] mask = new float[b * tmax];
        float[] adv = new float[b];
        List<int[]> prompts = new ArrayList<>(b);
        List<int[]> comps = new ArrayList<>(b);
        long tokens = 0;
        for (int i = 0; i < b; i++) {
            AgentAdvantage r = recs.get(i);
            List<Integer> out = r.getOutputTokenIds();
            List<Float> lp = r.getBehaviourLogProbs();
            // An invariant, not validation: the learner dead-letters such records first (ValueDomains.checkLogProbs).
            if (lp.size() != out.size())
                throw new IllegalArgumentException("trajectory " + r.getTrajectoryId() + ": behaviourLogProbs has "
                        + lp.size() + " entries, outputTokenIds has " + out.size());
            prompts.add(r.getPromptTokenIds().stream().mapToInt(Integer::intValue).toArray());
            comps.add(out.stream().mapToInt(Integer::intValue).toArray());
            for (int t = 0; t < out.size(); t++) {
                old[i * tmax + t] = lp.get(t);
                mask[i * tmax + t] = 1f;
            }
            adv[i] = (float) r.getAdvantage();
            tokens += out.size();
        }
        Shape s = new Shape(b, tmax);
        return new MicroBatch(prompts, comps, manager.create(old, s), manager.create(mask, s), manager.create(adv), tokens);
    }

    /** Splits a step's records into micro-batches of at most {@code size}. */
    public static List<List<AgentAdvantage>> split(List<AgentAdvantage> recs, int size) {
        List<List<AgentAdvantage>> out = new ArrayList<>();
        for (int i = 0; i < recs.size(); i += size) out.add(recs.subList(i, Math.min(recs.size(), i + size)));
        return out;
    }
}
