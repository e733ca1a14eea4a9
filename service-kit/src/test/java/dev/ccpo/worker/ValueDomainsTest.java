package dev.ccpo.worker;

import dev.ccpo.avro.CounterfactualMethod;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Topology;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigException;
import dev.ccpo.kafka.RejectedRecordException;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ValueDomainsTest {

    static CounterfactualOutcome cf(double mean, List<Double> rewards) {
        return CounterfactualOutcome.newBuilder().setTrajectoryId("g/0").setGroupId("g").setGroupIndex(0).setGroupSize(2)
                .setTopology(Topology.THINK_REASON).setMaskedAgentId(0).setMaskedRole("thinker")
                .setMethod(CounterfactualMethod.RERUN).setSamples(rewards.size()).setRewards(rewards).setMeanReward(mean)
                .setPolicyVersion(0).setTrajectoryPolicyVersion(0).setCreatedAtMs(Instant.EPOCH).build();
    }

    @Test
    void rewardDomainIsASettingDefaultingToTheVerifiersZeroOne() {
        Config c = Config.of(CommonKeys.spec("test"), Map.of());
        assertEquals(ValueDomains.DEFAULT, ValueDomains.from(c));
        ValueDomains wide = ValueDomains.from(Config.of(CommonKeys.spec("test"), Map.of("reward.min", "-1", "reward.max", "10")));
        assertDoesNotThrow(() -> wide.checkReward("reward", 7.5));
        RejectedRecordException e = assertThrows(RejectedRecordException.class, () -> ValueDomains.DEFAULT.checkReward("reward", 7.5));
        assertTrue(e.getMessage().contains("reward 7.5 outside the reward domain [0.0, 1.0] (reward.min, reward.max)"), e.getMessage());
        ConfigException bad = assertThrows(ConfigException.class,
                () -> ValueDomains.from(Config.of(CommonKeys.spec("test"), Map.of("reward.min", "2"))));
        assertTrue(bad.getMessage().contains("reward.min (2.0) must be <= reward.max (1.0)"), bad.getMessage());
    }

    @Test
    void counterfactualRewardsAndMeanMustLieInTheDomain() {
        assertDoesNotThrow(() -> ValueDomains.DEFAULT.check(cf(0.5, List.of(0.0, 1.0))));
        assertTrue(assertThrows(RejectedRecordException.class, () -> ValueDomains.DEFAULT.check(cf(1e300, List.of(1.0))))
                .getMessage().contains("counterfactual meanReward 1.0E300 outside"));
        assertTrue(assertThrows(RejectedRecordException.class, () -> ValueDomains.DEFAULT.check(cf(0.5, List.of(0.0, Double.NaN))))
                .getMessage().contains("counterfactual rewards[1] NaN outside"));
    }

    @Test
    void advantagesOutsideTheirBoundAreRefusedNaNToo() {
        assertDoesNotThrow(() -> ValueDomains.checkAdvantage(-31.9));
        for (double v : new double[]{1e30, -101, Double.NaN, Double.POSITIVE_INFINITY})
            assertTrue(assertThrows(RejectedRecordException.class, () -> ValueDomains.checkAdvantage(v)).getMessage()
                    .contains("advantage " + v + " outside [-100.0, 100.0]"));
    }
}
