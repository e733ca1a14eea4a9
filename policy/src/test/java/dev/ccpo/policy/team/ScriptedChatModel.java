package dev.ccpo.policy.team;

import java.util.ArrayList;
import java.util.List;

import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;

/** Test double: canned completions from a script, every call recorded. Tokens are the characters' codes. */
final class ScriptedChatModel implements ChatModel {

    /** What to answer for row {@code row} of a call. */
    interface Script {
        String reply(List<ChatMessage> conversation, int row, long seed);
    }

    /** rowSeeds: null for a call seeded by params.seed. */
    record Call(List<List<ChatMessage>> conversations, SamplingParams params, long[] rowSeeds) {}

    private final Script script;
    final List<Call> calls = new ArrayList<>();

    ScriptedChatModel(Script script) {
        this.script = script;
    }

    @Override
    public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params) {
        return complete(conversations, params, null);
    }

    /** One recorded call; the script sees row i's seed (params.seed without row seeds). */
    @Override
    public synchronized List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params, long[] rowSeeds) {
        calls.add(new Call(List.copyOf(conversations), params, rowSeeds));
        List<Completion> out = new ArrayList<>();
        for (int i = 0; i < conversations.size(); i++) {
            String prompt = conversations.get(i).stream().map(ChatMessage::content).reduce("", (a, b) -> a + "\n" + b);
            String text = script.reply(conversations.get(i), i, rowSeeds == null ? params.seed() : rowSeeds[i]);
            boolean cut = text.length() > params.maxNewTokens();  // a real model stops at the length limit
            if (cut) text = text.substring(0, params.maxNewTokens());
            float[] logProbs = new float[text.length()];
            java.util.Arrays.fill(logProbs, -0.25f);
            out.add(new Completion(prompt.chars().limit(64).toArray(), text.chars().toArray(), logProbs, text,
                    cut ? Completion.FinishReason.LENGTH : Completion.FinishReason.END_OF_TURN));
        }
        return out;
    }

    @Override
    public int vocabSize() { return 65_536; }

    @Override
    public void close() {}

    static String user(List<ChatMessage> conversation) {
        return conversation.get(conversation.size() - 1).content();
    }

    static String system(List<ChatMessage> conversation) {
        return conversation.get(0).content();
    }
}
