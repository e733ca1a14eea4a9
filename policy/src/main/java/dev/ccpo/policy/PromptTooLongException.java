package dev.ccpo.policy;

/** A prompt over the sampling limit (max.prompt.tokens): refused before any tensor is allocated. */
public final class PromptTooLongException extends IllegalArgumentException {
    public PromptTooLongException(int tokens, int limit) {
        super("prompt of " + tokens + " tokens exceeds the limit of " + limit + " (max.prompt.tokens)");
    }
}
