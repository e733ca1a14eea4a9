package dev.ccpo.policy;

/**
 * One sampled completion. logProbs[i] is the behaviour log-prob of outputTokenIds[i]:
 * log_softmax(logits / T) at that token (T = temperature, 1 when greedy), before top-p truncation,
 * as vLLM / verl record it; it equals CausalLM.completionLogProbs(..., T) of the same weights.
 * promptTokenIds is the full templated prompt.
 */
public record Completion(int[] promptTokenIds, int[] outputTokenIds, float[] logProbs, String text, FinishReason finishReason) {
    /** Why sampling stopped; SKIPPED: not sampled, the episode ended at an earlier turn's length limit (TeamRunner). */
    public enum FinishReason { END_OF_TURN, STOP_STRING, LENGTH, SKIPPED }

    /** The empty turn of an agent whose episode ended before its turn. */
    public static Completion skipped() { return new Completion(new int[0], new int[0], new float[0], "", FinishReason.SKIPPED); }
}
