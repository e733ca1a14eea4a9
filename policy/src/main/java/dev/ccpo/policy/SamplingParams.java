package dev.ccpo.policy;

import java.util.List;

/**
 * How to sample a completion. temperature 0 means greedy decoding; topP 1 disables nucleus
 * filtering. Generation stops per sequence at the end-of-turn token, at any stop string, or
 * after maxNewTokens. The same seed and inputs give the same tokens.
 * <p>Limits that keep one absurd input from taking a worker down: a prompt longer than
 * {@code maxPromptTokens} is refused before any tensor is allocated ({@link PromptTooLongException}),
 * and a call still sampling after {@code timeLimitMs} (0 = none) stops with {@link GenerationTimeoutException}.
 */
public record SamplingParams(float temperature, float topP, int maxNewTokens, List<String> stopStrings, long seed,
                             int maxPromptTokens, long timeLimitMs) {
    public SamplingParams {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        if (maxPromptTokens < 1) throw new IllegalArgumentException("maxPromptTokens must be >= 1, got " + maxPromptTokens);
        if (timeLimitMs < 0) throw new IllegalArgumentException("timeLimitMs must be >= 0, got " + timeLimitMs);
        stopStrings = List.copyOf(stopStrings);
    }

    /** No prompt limit but the model's own positions, no time limit. */
    public SamplingParams(float temperature, float topP, int maxNewTokens, List<String> stopStrings, long seed) {
        this(temperature, topP, maxNewTokens, stopStrings, seed, Integer.MAX_VALUE, 0L);
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(0f, 1f, maxNewTokens, List.of(), 0L);
    }

    public SamplingParams withSeed(long newSeed) {
        return new SamplingParams(temperature, topP, maxNewTokens, stopStrings, newSeed, maxPromptTokens, timeLimitMs);
    }

    public SamplingParams withLimits(int newMaxPromptTokens, long newTimeLimitMs) {
        return new SamplingParams(temperature, topP, maxNewTokens, stopStrings, seed, newMaxPromptTokens, newTimeLimitMs);
    }
}
