package dev.ccpo.policy;

import java.util.List;

/**
 * What agents need from a policy: chat-templated, batched, seeded sampling. The DJL decoder
 * implements it; agents and topologies depend only on this.
 */
public interface ChatModel extends AutoCloseable {

    /** Samples one completion per conversation, in order. */
    List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params);

    /** Size of the vocabulary: token ids are in [0, vocabSize). */
    int vocabSize();

    @Override
    void close();
}
