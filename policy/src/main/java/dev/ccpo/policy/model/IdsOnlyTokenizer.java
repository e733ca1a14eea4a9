package dev.ccpo.policy.model;

import dev.ccpo.policy.ChatMessage;

import java.util.List;

/** Stands in for a checkpoint folder without a tokenizer: token ids in and out only (decode gives ""). */
public final class IdsOnlyTokenizer implements TextTokenizer {
    private final int vocabSize;

    public IdsOnlyTokenizer(int vocabSize) {
        this.vocabSize = vocabSize;
    }

    @Override
    public int[] encode(String text) {
        throw new UnsupportedOperationException("this checkpoint has no tokenizer: give token ids");
    }

    @Override
    public String decode(int[] ids) {
        return "";
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] endOfTurnIds() {
        return new int[0];
    }

    @Override
    public int[] applyChatTemplate(List<ChatMessage> messages) {
        throw new UnsupportedOperationException("this checkpoint has no tokenizer, so no chat template");
    }
}
