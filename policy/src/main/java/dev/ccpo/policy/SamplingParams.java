package dev.ccpo.policy;

import java.util.List;

/**
 * How to sample a completion. temperature 0 means greedy decoding; topP 1 disables nucleus
 * filtering. Generation stops per sequence at the end-of-turn token, at any stop string, or
 * after maxNewTokens. The same seed and inputs give the same tokens.
 */
public record SamplingParams(float temperature, float topP, int maxNewTokens, List<String> stopStrings, long seed) {
    public SamplingParams {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        stopStrings = List.copyOf(stopStrings);
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(0f, 1f, maxNewTokens, List.of(), 0L);
    }

    public SamplingParams withSeed(long newSeed) {
        return new SamplingParams(temperature, topP, maxNewTokens, stopStrings, newSeed);
    }
}
