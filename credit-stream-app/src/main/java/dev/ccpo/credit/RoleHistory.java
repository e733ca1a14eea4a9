package dev.ccpo.credit;

import dev.ccpo.credit.CreditMath.History;

import java.util.ArrayList;
import java.util.List;

/**
 * Global history of one role's three signals (credit, joint, counterfactual) over closed windows,
 * folded in window order. Pure and immutable; kept in the stats store {@code credit-stats-history} (StateSerdes).
 * <ul>
 *   <li>ema: per signal mu' = b mu + (1-b) m_w, var' = b var + (1-b) v_w (the reference form, no between-window term) with
 *       b = history.decay^(groups in the window / history.batch.groups); the first non-empty window initializes.</li>
 *   <li>hopping: the exact moments of the last {@code history.windows} non-empty windows, pooled
 *       (Chan merge, in window order) into a plain mean / population variance.</li>
 * </ul>
 */
record RoleHistory(History[] ema, List<Stat[]> windows) {
    static final RoleHistory EMPTY = new RoleHistory(new History[]{History.EMPTY, History.EMPTY, History.EMPTY}, List.of());

    /** Folds one closed window's moments {credit, joint, counterfactual}; empty windows change nothing. */
    RoleHistory fold(Stat[] w, String kind, double decay, int keep) {
        if (w[0].count() == 0 && w[1].count() == 0) return this;
        if (kind.equals("hopping")) {
            List<Stat[]> l = new ArrayList<>(windows);
            l.add(w);
            while (l.size() > keep) l.remove(0);
            return new RoleHistory(ema, List.copyOf(l));
        }
        History[] h = new History[3];
        for (int i = 0; i < 3; i++) h[i] = ema[i].fold(w[i].count(), w[i].mean(), w[i].variance(), decay);
        return new RoleHistory(h, windows);
    }

    /** The history to normalize with: {credit, joint, counterfactual}. */
    History[] current(String kind) {
        if (!kind.equals("hopping")) return ema;
        History[] h = new History[3];
        for (int i = 0; i < 3; i++) {
            Stat s = Stat.EMPTY;
            for (Stat[] w : windows) s = s.merge(w[i]);
            h[i] = new History(s.count(), s.mean(), s.variance());
        }
        return h;
    }
}
