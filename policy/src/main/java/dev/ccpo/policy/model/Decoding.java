package dev.ccpo.policy.model;

import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Book-keeping of one batched sampling run: left-padded prompts, generated tokens, per-row stop state.
 * Rows advance in lockstep; a finished row keeps being fed its last token (its outputs are ignored), so the
 * other rows never see it (attention is per row).
 */
final class Decoding {
    final int rows;
    private final List<int[]> prompts;
    private final int pmax;
    private final SamplingParams params;
    private final Sampler sampler;
    private final SplittableRandom[] rng;
    private final int[][] gen;
    private final float[][] logProbs;
    private final int[] count;
    private final Completion.FinishReason[] reason;
    private final String[] text;
    private final int[] endOfTurn;
    private final TextTokenizerRef tok;
    private final int maxPositions;
    private int steps;

    /** The tokenizer is only needed for stop strings and the final text. */
    interface TextTokenizerRef {
        String decode(int[] ids);
    }

    /** Row r draws its tokens from {@code new SplittableRandom(rowSeeds[r])} alone (params.seed is not read). */
    Decoding(List<int[]> prompts, SamplingParams params, long[] rowSeeds, int[] endOfTurn, TextTokenizerRef tok, int maxPositions) {
        if (rowSeeds.length != prompts.size())
            throw new IllegalArgumentException(rowSeeds.length + " row seeds for " + prompts.size() + " prompts");
        this.rows = prompts.size();
        this.prompts = prompts;
        this.params = params;
        this.endOfTurn = endOfTurn.clone();
        this.tok = tok;
        this.maxPositions = maxPositions;
        int m = 0;
        for (int[] p : prompts) {
            if (p.length == 0) throw new IllegalArgumentException("empty prompt in the batch");
            m = Math.max(m, p.length);
        }
        this.pmax = m;
        this.sampler = new Sampler(params.temperature(), params.topP());
        this.rng = new SplittableRandom[rows];
        for (int r = 0; r < rows; r++) rng[r] = new SplittableRandom(rowSeeds[r]);
        this.gen = new int[rows][params.maxNewTokens()];
        this.logProbs = new float[rows][params.maxNewTokens()];
        this.count = new int[rows];
        this.reason = new Completion.FinishReason[rows];
        this.text = new String[rows];
    }

    /** Sequence length so far (padded prompt + generated steps). */
    int length() {
        return pmax + steps;
    }

    private int pad(int r) {
        return pmax - prompts.get(r).length;
    }

    float mask(int r, int j) {
        return j < pad(r) ? 0f : 1f;
    }

    long token(int r, int j) {
        if (j < pad(r)) return 0;
        if (j < pmax) return prompts.get(r)[j - pad(r)];
        int g = Math.min(j - pmax, Math.max(count[r] - 1, 0));
        return gen[r][g];
    }

    long position(int r, int j) {
        return Math.max(0, j - pad(r));
    }

    boolean allDone() {
        for (Completion.FinishReason f : reason) if (f == null) return false;
        return true;
    }

    /** Samples the next token of every unfinished row from its last logits and checks the stop conditions. */
    void advance(float[][] lastLogits) {
        for (int r = 0; r < rows; r++) {
            if (reason[r] != null) continue;
            Sampler.Pick p = sampler.pick(lastLogits[r], rng[r]);
            gen[r][count[r]] = p.token();
            logProbs[r][count[r]] = p.logProb();
            count[r]++;
            if (contains(endOfTurn, p.token())) {
                reason[r] = Completion.FinishReason.END_OF_TURN;
            } else if (!params.stopStrings().isEmpty()) {
                String s = tok.decode(Arrays.copyOf(gen[r], count[r]));
                int cut = firstStop(s);
                if (cut >= 0) {
                    reason[r] = Completion.FinishReason.STOP_STRING;
                    text[r] = s.substring(0, cut);
                }
            }
            if (reason[r] == null && (count[r] == params.maxNewTokens() || prompts.get(r).length + count[r] >= maxPositions)) {
                reason[r] = Completion.FinishReason.LENGTH;
            }
        }
        steps++;
    }

    private int firstStop(String s) {
        int best = -1;
        for (String stop : params.stopStrings()) {
            if (stop.isEmpty()) continue;
            int i = s.indexOf(stop);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    private static boolean contains(int[] a, int x) {
        for (int v : a) if (v == x) return true;
        return false;
    }

    /** Completions in input order; text excludes the end-of-turn token and anything from the stop string on. */
    List<Completion> finish() {
        List<Completion> out = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            int[] ids = Arrays.copyOf(gen[r], count[r]);
            String t = text[r] != null ? text[r] : tok.decode(ids);
            Completion.FinishReason f = reason[r] != null ? reason[r] : Completion.FinishReason.LENGTH;
            out.add(new Completion(prompts.get(r).clone(), ids, Arrays.copyOf(logProbs[r], count[r]), t, f));
        }
        return out;
    }
}
