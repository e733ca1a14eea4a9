package dev.ccpo.testkit;

import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;

import java.util.ArrayList;
import java.util.List;

/** Narrow test double: always answers {@code answer}, with fixed token ids and log-probs; counts calls. */
public final class FakeChatModel implements ChatModel {
    private final String answer;
    public int calls;

    public FakeChatModel(String answer) { this.answer = answer; }

    @Override
    public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params) {
        calls++;
        List<Completion> out = new ArrayList<>();
        for (List<ChatMessage> c : conversations) {
            out.add(new Completion(new int[]{1, 2, 3}, new int[]{4, 5}, new float[]{-0.5f, -0.25f},
                    "The answer is \\boxed{" + answer + "}", Completion.FinishReason.END_OF_TURN));
        }
        return out;
    }

    /** Row seeds change nothing here: still one call. */
    @Override
    public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params, long[] rowSeeds) {
        return complete(conversations, params);
    }

    @Override
    public int vocabSize() { return 16; }

    @Override
    public void close() { }
}
