package dev.ccpo.demo.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
  * pass@1 accuracies: rows are methods, columns datasets, plus the unweighted average over datasets
  * (as papers report it). Each cell also keeps how many tasks it scored and how many failed with an
  * error (scored 0, counted, never hidden).
  */
public final class EvalTable {
    /** One cell. accuracy = mean reward over tasks × samples; errors are tasks whose run threw. */
    public record Cell(double accuracy, int tasks, int errors) {}

    private final List<String> methods;
    private final List<String> datasets;
    private final Map<String, Map<String, Cell>> cells = new LinkedHashMap<>();

    public EvalTable(List<String> methods, List<String> datasets) {
        this.methods = List.copyOf(methods);
        this.datasets = List.copyOf(datasets);
        for (String m : methods) {
            cells.put(m, new LinkedHashMap<>());
        }
    }

    public List<String> methods() { return methods; }

    public List<String> datasets() { return datasets; }

    public synchronized void put(String method, String dataset, Cell cell) {
        if (!cells.containsKey(method) || !datasets.contains(dataset)) {
            throw new IllegalArgumentException("no cell (" + method + ", " + dataset + ") in a table of "
                    + methods + " x " + datasets);
        }
        cells.get(method).put(dataset, cell);
    }

    /** The cell, or null when not evaluated. */
    public synchronized Cell cell(String method, String dataset) {
        Map<String, Cell> row = cells.get(method);
        return row == null ? null : row.get(dataset);
    }

    /** Accuracy in [0, 1], NaN when the cell is missing or had no tasks. */
    public double accuracy(String method, String dataset) {
        Cell c = cell(method, dataset);
        return c == null || c.tasks() == 0 ? Double.NaN : c.accuracy();
    }

    /** Mean of the method's dataset accuracies (datasets without tasks left out); NaN if none. */
    public double average(String method) {
        double sum = 0;
        int n = 0;
        for (String d : datasets) {
            double a = accuracy(method, d);
            if (!Double.isNaN(a)) {
                sum += a;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Column headers of {@link #format()}: "Method", the datasets, "Avg.". */
    public List<String> header() {
        List<String> h = new ArrayList<>();
        h.add("Method");
        h.addAll(datasets);
        h.add("Avg.");
        return h;
    }

    /**
      * A paper-like plain-text table, accuracies in percent with one decimal, e.g.
      * <pre>
      * Method              | math500 | gsm8k | Avg.
      * --------------------+---------+-------+------
      * CoT (single agent)  |    12.0 |  30.5 | 21.3
      * </pre>
      * followed by the number of tasks per dataset and any errors.
      */
    public String format() {
        List<String> header = header();
        List<List<String>> rows = new ArrayList<>();
        for (String m : methods) {
            List<String> r = new ArrayList<>();
            r.add(m);
            for (String d : datasets) {
                r.add(pct(accuracy(m, d)));
            }
            r.add(pct(average(m)));
            rows.add(r);
        }
        int[] w = new int[header.size()];
        for (int c = 0; c < w.length; c++) {
            w[c] = header.get(c).length();
            for (List<String> r : rows) {
                w[c] = Math.max(w[c], r.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        appendRow(sb, header, w);
        for (int c = 0; c < w.length; c++) {
            sb.append(c == 0 ? "" : "-+-").append("-".repeat(w[c]));
        }
        sb.append('\n');
        for (List<String> r : rows) {
            appendRow(sb, r, w);
        }
        sb.append("pass@1 accuracy (%). Tasks per dataset:");
        for (String d : datasets) {
            Cell any = methods.isEmpty() ? null : cell(methods.get(0), d);
            sb.append(' ').append(d).append('=').append(any == null ? 0 : any.tasks());
        }
        sb.append('\n');
        for (String m : methods) {
            for (String d : datasets) {
                Cell c = cell(m, d);
                if (c != null && c.errors() > 0) {
                    sb.append("errors: ").append(m).append(" on ").append(d).append(": ").append(c.errors())
                            .append(" of ").append(c.tasks()).append(" tasks failed (scored 0)\n");
                }
            }
        }
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, List<String> cells, int[] w) {
        for (int c = 0; c < cells.size(); c++) {
            String s = cells.get(c);
            if (c == 0) {
                sb.append(s).append(" ".repeat(w[c] - s.length()));
            } else {
                sb.append(" | ").append(" ".repeat(w[c] - s.length())).append(s);
            }
        }
        sb.append('\n');
    }

    /**
      * Runs side by side (the ablation): rows "label: method" for each run in order, over the first
      * run's datasets; every run must have the same datasets.
      */
    public static EvalTable combine(Map<String, EvalTable> byLabel) {
        if (byLabel.isEmpty()) {
            throw new IllegalArgumentException("no tables to combine");
        }
        List<String> datasets = byLabel.values().iterator().next().datasets();
        List<String> rows = new ArrayList<>();
        byLabel.forEach((label, t) -> {
            if (!t.datasets().equals(datasets)) {
                throw new IllegalArgumentException("run '" + label + "' has datasets " + t.datasets() + ", expected " + datasets);
            }
            t.methods().forEach(m -> rows.add(label + ": " + m));
        });
        EvalTable out = new EvalTable(rows, datasets);
        byLabel.forEach((label, t) -> {
            for (String m : t.methods()) {
                for (String d : datasets) {
                    Cell c = t.cell(m, d);
                    if (c != null) {
                        out.put(label + ": " + m, d, c);
                    }
                }
            }
        });
        return out;
    }

    /** CSV: method, one column per dataset, avg; accuracies in [0, 1], empty when missing. */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("method");
        datasets.forEach(d -> sb.append(',').append(csvCell(d)));
        sb.append(",avg\n");
        for (String m : methods) {
            sb.append(csvCell(m));
            for (String d : datasets) {
                double a = accuracy(m, d);
                sb.append(',').append(Double.isNaN(a) ? "" : Double.toString(a));
            }
            double avg = average(m);
            sb.append(',').append(Double.isNaN(avg) ? "" : Double.toString(avg)).append('\n');
        }
        return sb.toString();
    }

    private static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    static String pct(double a) {
        return Double.isNaN(a) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * a);
    }
}
