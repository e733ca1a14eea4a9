package dev.ccpo.policy.model;

import dev.ccpo.policy.ChatMessage;

import java.util.List;

/** Text <-> token ids, plus the chat template of the family. */
public interface TextTokenizer extends AutoCloseable {
    /** No special tokens added. */
    int[] encode(String text);

    /** Special tokens skipped. */
    String decode(int[] ids);

    int vocabSize();

    /** Ids that end a turn (e.g. im_end, eot_id, eos). */
    int[] endOfTurnIds();

    /** Ends with the assistant header (generation prompt). */
    int[] applyChatTemplate(List<ChatMessage> messages);

    @Override
    default void close() {}
}
