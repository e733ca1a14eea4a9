package dev.ccpo.learner;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.config.Roles;
import dev.ccpo.policy.model.TorchThreads;

/** All learner config keys with defaults (README lists them; docs/algorithm.md "Policy update" gives the values). */
public final class LearnerKeys {
    private LearnerKeys() {}

    public static ConfigSpec spec() {
        return TorchThreads.addKeys(CommonKeys.spec("learner")
                .string("model.dir", "", "Folder of the initial model (CausalLM.open); empty = fresh tiny model (tests/demo).")
                .string(dev.ccpo.policy.model.PolicyDirs.KEY, "", dev.ccpo.policy.model.PolicyDirs.DESCRIPTION)
                .string("model.id", "", "Model id written into published weights (workers refuse other ids); empty = model.dir's folder name, or 'tiny'.")
                .string("roles", Roles.THINKER + "," + Roles.REASONER, "Comma-separated roles; one policy per role unless policy.sharing=shared.")
                .choice("policy.sharing", "per-role", "One CausalLM per role, or one shared by all roles.", "per-role", "shared")
                .string("device", "auto", "auto | cpu | cuda | cuda:N.")
                .decimal("lr", 1e-6, 0, 1, "Peak learning rate (AdamW).")
                .integer("lr.warmup.steps", 10, 0, 1_000_000, "Linear warm-up steps.")
                .decimal("adam.beta1", 0.9, 0, 0.999999, "AdamW beta1.")
                .decimal("adam.beta2", 0.999, 0, 0.999999, "AdamW beta2.")
                .decimal("adam.eps", 1e-8, 0, 1, "AdamW epsilon.")
                .decimal("weight.decay", 0.0, 0, 1, "Decoupled weight decay.")
                .decimal("grad.clip", 1.0, 0, 1e9, "Global gradient-norm clip; 0 = off.")
                .integer("micro.batch.size", 8, 1, 1_000_000, "Samples per forward/backward; gradients accumulate over a step.")
                .integer("batch.groups", 16, 1, 1_000_000, "Whole groups per optimizer step.")
                .choice("clip.mode", "turn", "turn: one ratio per turn (geometric mean); token: per-token.", "turn", "token")
                .decimal("clip.eps", 0.2, 0.000001, 0.999999, "PPO clip range epsilon.")
                .decimal("clip.dual", 3.0, 1.000001, 1e6, "Dual-clip constant c for negative advantages.")
                .decimal("kl.coef", 0.0, 0, 1e3, "k3 KL to the frozen initial policy; 0 = off.")
                .decimal("entropy.coef", 0.0, 0, 1e3, "Entropy bonus (sampled-token estimate); 0 = off.")
                .decimal("temperature", 1.0, 0.000001, 100, "Sampling temperature the behaviour log-probs were taken at.")
                .longKey("max.steps", 0L, 0L, "Stop training after this many steps (the process stays up, idle, until stopped); 0 = no limit. "
                        + "Runs compared at equal policy versions (the demo's ablation) end exactly there.")
                .integer("alternate.steps", 10, 0, 1_000_000, "Steps per role before switching; 0 = update all roles together.")
                .longKey("max.policy.lag", 4, 0, "Drop samples with policyVersion < current - this (counted).")
                .integer("publish.every", 1, 1, 1_000_000, "Publish weights every N steps.")
                .longKey("weights.inline.max.bytes", 64L << 20, 0, "Larger weights go to a file + URI instead of log chunks.")
                .string("weights.dir", "/tmp/ccpo-weights", "Where large weight files are written (file:// URI).")
                .string("checkpoint.dir", "/tmp/ccpo-learner-ckpt", "Checkpoint folder.")
                .integer("checkpoint.every", 10, 1, 1_000_000, "Checkpoint every N steps.")
                .integer("checkpoint.keep", 3, 1, 1000, "Checkpoints kept.")
                .string("group.id", "ccpo-learner", "Consumer group of the learner.")
                .string("transactional.id", "ccpo-learner-0", "Producer transactional.id (one per learner).")
                .longKey("seed", 1234, 0, "Seed for the fresh tiny model."), 1);
    }

    /** Loss settings from config. */
    public static PpoLoss.Settings loss(Config c) {
        return new PpoLoss.Settings(PpoLoss.ClipMode.parse(c.string("clip.mode")), c.decimal("clip.eps"),
                c.decimal("clip.dual"), c.decimal("kl.coef"), c.decimal("entropy.coef"));
    }

    /** Optimizer settings from config. */
    public static AdamW.Settings optimizer(Config c) {
        return new AdamW.Settings(c.decimal("lr"), c.decimal("adam.beta1"), c.decimal("adam.beta2"),
                c.decimal("adam.eps"), c.decimal("weight.decay"), c.integer("lr.warmup.steps"), c.decimal("grad.clip"));
    }
}
