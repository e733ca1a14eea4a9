package dev.ccpo.demo.eval;

import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
  * Lets several threads (one per task being evaluated) share one model: greedy calls waiting at the
  * same time are merged into one batched {@link ChatModel#complete} (the model is busy for most of
  * the time, so the queue fills while it runs). Sampled calls (temperature > 0) are never merged,
  * because the model derives each row's randomness from the call's seed and row index: merging
  * would change the samples. The wrapped model is only ever called by one thread at a time.
  */
final class BatchingChatModel implements ChatModel {
    private record Key(float topP, int maxNewTokens, List<String> stopStrings) {}

    private static final class Pending {
        final List<List<ChatMessage>> conversations;
        final SamplingParams params;
        final CompletableFuture<List<Completion>> result = new CompletableFuture<>();

        Pending(List<List<ChatMessage>> conversations, SamplingParams params) {
            this.conversations = conversations;
            this.params = params;
        }
    }

    private final ChatModel inner;
    private final Object modelLock = new Object();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private long calls; // guarded by modelLock
    private long rows; // guarded by modelLock

    BatchingChatModel(ChatModel inner) {
        this.inner = inner;
    }

    @Override
    public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params) {
        if (params.temperature() > 0) {
            synchronized (modelLock) {
                return call(conversations, params);
            }
        }
        Pending mine = new Pending(conversations, params);
        queue.add(mine);
        while (!mine.result.isDone()) {
            synchronized (modelLock) {
                if (!mine.result.isDone()) {
                    runQueued();
                }
            }
        }
        try {
            return mine.result.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Runs everything queued, one merged call per sampling setting. Caller holds modelLock. */
    private void runQueued() {
        Map<Key, List<Pending>> groups = new LinkedHashMap<>();
        for (Pending p; (p = queue.poll()) != null; ) {
            groups.computeIfAbsent(new Key(p.params.topP(), p.params.maxNewTokens(), p.params.stopStrings()),
                    k -> new ArrayList<>()).add(p);
        }
        for (List<Pending> group : groups.values()) {
            List<List<ChatMessage>> merged = new ArrayList<>();
            group.forEach(p -> merged.addAll(p.conversations));
            try {
                List<Completion> out = call(merged, group.get(0).params);
                int at = 0;
                for (Pending p : group) {
                    p.result.complete(List.copyOf(out.subList(at, at + p.conversations.size())));
                    at += p.conversations.size();
                }
            } catch (RuntimeException batchFailed) {
                // One bad request (e.g. a prompt longer than the context) must not fail its neighbours.
                for (Pending p : group) {
                    try {
                        p.result.complete(group.size() == 1 ? failWith(batchFailed) : call(p.conversations, p.params));
                    } catch (RuntimeException e) {
                        p.result.completeExceptionally(e);
                    }
                }
            }
        }
    }

    private static List<Completion> failWith(RuntimeException e) {
        throw e;
    }

    private List<Completion> call(List<List<ChatMessage>> conversations, SamplingParams params) {
        List<Completion> out = inner.complete(conversations, params);
        if (out == null || out.size() != conversations.size()) {
            throw new IllegalStateException("model returned " + (out == null ? "null" : out.size()) + " completions for "
                    + conversations.size() + " conversations");
        }
        calls++;
        rows += conversations.size();
        return out;
    }

    /** Mean rows per model call so far (how much merging happened). */
    double meanBatch() {
        synchronized (modelLock) {
            return calls == 0 ? 0 : (double) rows / calls;
        }
    }

    @Override
    public int vocabSize() {
        return inner.vocabSize();
    }

    /** Does not close the wrapped model: its owner does. */
    @Override
    public void close() {}
}
