package dev.ccpo.learner;

import ai.djl.ndarray.NDManager;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.Topology;
import dev.ccpo.config.Roles;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.Devices;
import dev.ccpo.policy.model.ModelConfig;
import java.time.Instant;
import java.util.*;

/**
 * Learner step throughput on the tiny model: args [device=cpu] [samples=16] [promptLen=32] [completionLen=32] [steps=10].
 * Behaviour log-probs are the model's own (on-policy), so every step does full forward+backward+AdamW.
 */
public final class LearnerBenchmark {
    private LearnerBenchmark() {}

    public static void main(String[] args) {
        String device = args.length > 0 ? args[0] : "cpu";
        int b = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int pl = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int cl = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 10;
        Random rnd = new Random(1);
        try (CausalLM m = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 1, Devices.pick(device));
             PolicyTrainer t = new PolicyTrainer(m, null, AdamW.Settings.defaults(1e-4), PpoLoss.Settings.defaults(), b, 1f)) {
            List<int[]> prompts = new ArrayList<>(), comps = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                prompts.add(rnd.ints(pl, 3, 90).toArray());
                comps.add(rnd.ints(cl, 3, 90).toArray());
            }
            float[][] lp;
            try (NDManager mgr = NDManager.newBaseManager()) {
                float[] flat = m.completionLogProbs(mgr, prompts, comps, 1f).toFloatArray();
                lp = new float[b][cl];
                for (int i = 0; i < b; i++) System.arraycopy(flat, i * cl, lp[i], 0, cl);
            }
            List<AgentAdvantage> recs = new ArrayList<>();
            for (int i = 0; i < b; i++) recs.add(record(i, prompts.get(i), comps.get(i), lp[i], rnd.nextGaussian()));
            for (int w = 0; w < 2; w++) t.step(recs); // warm-up (JIT, allocator)
            long tokens = 0;
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) tokens += t.step(recs).tokens();
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "learner benchmark: device=%s model=tiny samples/step=%d prompt=%d completion=%d"
                            + " steps=%d step_time=%.3f s tokens/s=%.0f (completion tokens trained)%n",
                    m.device(), b, pl, cl, steps, secs / steps, tokens / secs);
        }
    }

    private static AgentAdvantage record(int i, int[] prompt, int[] comp, float[] lp, double adv) {
        List<Integer> p = new ArrayList<>(), c = new ArrayList<>();
        for (int x : prompt) p.add(x);
        for (int x : comp) c.add(x);
        List<Float> l = new ArrayList<>();
        for (float x : lp) l.add(x);
        return AgentAdvantage.newBuilder().setTrajectoryId("b/" + i).setGroupId("b").setGroupIndex(i).setGroupSize(1)
                .setGroupComplete(true).setGroupRecordCount(1).setTaskId("bench").setTopology(Topology.THINK_REASON)
                .setAgentId(0).setRole(Roles.THINKER).setPolicyVersion(0).setPromptTokenIds(p).setOutputTokenIds(c)
                .setBehaviourLogProbs(l).setCreditMode(CreditMode.CCPO).setAdvantage(adv).setReward(0).setCounterfactualReward(0)
                .setMarginalContribution(0).setShapedReward(0).setGroupMean(0).setGroupStd(1).setGlobalMean(0).setGlobalStd(1)
                .setHistoryCount(0).setGate(null).setCreatedAtMs(Instant.EPOCH).build();
    }
}
