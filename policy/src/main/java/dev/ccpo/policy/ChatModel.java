package dev.ccpo.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * What agents need from a policy: chat-templated, batched, seeded sampling. The DJL decoder
 * implements it; agents and topologies depend only on this.
 */
public interface ChatModel extends AutoCloseable {

    /** Samples one completion per conversation, in order. */
    List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params);

    /**
     * As {@link #complete(List, SamplingParams)}, but row r is sampled from {@code rowSeeds[r]} alone (params.seed is
     * not used), so a row samples the same whatever else shares its batch and wherever it sits in it. This default,
     * for models that cannot seed rows one by one, makes one call per row seeded with its row seed; a model that
     * can should override it with one batched call.
     */
    default List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params, long[] rowSeeds) {
        if (rowSeeds.length != conversations.size())
            throw new IllegalArgumentException(rowSeeds.length + " row seeds for " + conversations.size() + " conversations");
        List<Completion> out = new ArrayList<>(conversations.size());
        for (int r = 0; r < rowSeeds.length; r++) out.addAll(complete(List.of(conversations.get(r)), params.withSeed(rowSeeds[r])));
        return out;
    }

    /** Size of the vocabulary: token ids are in [0, vocabSize). */
    int vocabSize();

    @Override
    void close();
}
