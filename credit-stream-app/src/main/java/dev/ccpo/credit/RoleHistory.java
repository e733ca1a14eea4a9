package dev.ccpo.credit;

import dev.ccpo.credit.CreditMath.History;

import java.util.ArrayList;
import java.util.List;

/**
 * Global history of one role's three signals (credit, joint, counterfactual) over closed windows,
 * folded in window order. Pure and immutable; encoded as a string in the stats state store.
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

    String encode() {
        StringBuilder sb = new StringBuilder();
        for (History h : ema) sb.append(h.count()).append(',').append(h.mean()).append(',').append(h.variance()).append('/');
        for (Stat[] w : windows) sb.append(';').append(w[0].encode()).append('/').append(w[1].encode()).append('/').append(w[2].encode());
        return sb.toString();
    }

    static RoleHistory decode(String s) {
        String[] parts = s.split(";");
        String[] e = parts[0].split("/");
        History[] h = new History[3];
        for (int i = 0; i < 3; i++) {
            String[] p = e[i].split(",");
            h[i] = new History(Long.parseLong(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2]));
        }
        List<Stat[]> l = new ArrayList<>();
        for (int j = 1; j < parts.length; j++) {
            String[] w = parts[j].split("/");
            l.add(new Stat[]{Stat.decode(w[0]), Stat.decode(w[1]), Stat.decode(w[2])});
        }
        return new RoleHistory(h, List.copyOf(l));
    }
}
