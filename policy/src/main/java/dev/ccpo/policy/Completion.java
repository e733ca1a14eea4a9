package dev.ccpo.policy;

/**
 * One sampled completion. logProbs[i] is the log-probability of outputTokenIds[i] under the
 * distribution it was actually sampled from (temperature and top-p applied): the behaviour
 * log-prob the GRPO ratio needs. promptTokenIds is the full templated prompt.
 */
public record Completion(int[] promptTokenIds, int[] outputTokenIds, float[] logProbs, String text, FinishReason finishReason) {
    public enum FinishReason { END_OF_TURN, STOP_STRING, LENGTH }
}
