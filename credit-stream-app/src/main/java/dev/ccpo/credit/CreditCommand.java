package dev.ccpo.credit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.credit.CreditMath.History;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * {@code credit} command: one group per line of stdin as JSON, one JSON line per group on stdout, computed by
 * {@link CreditRule} (the code the topology runs) with the service's settings (credit.alpha, credit.eta,
 * history.warmup.samples, credit.mask.truncated; credit.mode unless the line names its mode).
 * <pre>
 * in:  {"mode": "ccpo"|"ccpo-bonus"|"shared", "topology": "THINK_REASON"|"VOTING", "joint": [R_joint per episode],
 *       "counterfactual": [R_solo per episode] | [[R without voter v per episode] per voter v],
 *       "truncated": [bool per episode] (optional), "history": {"credit": H, "joint": H, "counterfactual": H} (optional)}
 *       H = {"count": n, "mean": m, "variance": v}; omitted or count 0 = empty
 * out: {"roles": [role per agent], "advantages": [[A per episode] per agent], "shaped": [[r per episode] per agent]}
 * </pre>
 * A line that cannot be read gets {"error": "..."} and the next line is read. Blank lines are skipped.
 */
public final class CreditCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("mode", "topology", "joint", "counterfactual", "truncated", "history");
    private static final Set<String> HISTORY_FIELDS = Set.of("credit", "joint", "counterfactual");

    private CreditCommand() { }

    /** Reads every line of {@code in}; returns the number of lines answered with an error. */
    public static int run(CreditSettings s, BufferedReader in, PrintStream out) throws IOException {
        int errors = 0;
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) continue;
            String answer;
            try {
                answer = JSON.writeValueAsString(compute(JSON.readTree(line), s));
            } catch (IOException | IllegalArgumentException e) {
                errors++;
                ObjectNode err = JSON.createObjectNode();
                err.put("error", e instanceof IOException ? "not JSON: " + e.getMessage().lines().findFirst().orElse("")
                        : e.getMessage());
                answer = JSON.writeValueAsString(err);
            }
            out.println(answer);
        }
        out.flush();
        return errors;
    }

    /** One group: the JSON input as documented above, to the JSON output. */
    static ObjectNode compute(JsonNode in, CreditSettings s) {
        if (in == null || !in.isObject()) throw new IllegalArgumentException("expected a JSON object per line");
        for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) throw new IllegalArgumentException("unknown field \"" + f + "\"; expected " + FIELDS);
        }
        CreditMode mode = in.has("mode") ? CreditSettings.parseMode(text(in.get("mode"), "mode")) : s.mode();
        String topology = text(required(in, "topology"), "topology");
        double[] joint = numbers(required(in, "joint"), "joint");
        if (joint.length == 0) throw new IllegalArgumentException("joint: expected at least one episode");
        boolean[] truncated = null;
        if (in.has("truncated")) {
            JsonNode t = in.get("truncated");
            if (!t.isArray() || t.size() != joint.length)
                throw new IllegalArgumentException("truncated: expected " + joint.length + " booleans, one per episode");
            truncated = new boolean[joint.length];
            for (int k = 0; k < joint.length; k++) {
                if (!t.get(k).isBoolean()) throw new IllegalArgumentException("truncated[" + k + "]: expected true or false");
                truncated[k] = t.get(k).booleanValue();
            }
        }
        History[] h = histories(in.get("history"));
        CreditRule.Settings rule = new CreditRule.Settings(mode, s.alpha(), s.eta(), s.warmupSamples(), s.maskTruncated());
        JsonNode cf = required(in, "counterfactual");
        CreditRule.Out o = switch (topology) {
            case "THINK_REASON" -> CreditRule.thinkReason(joint, numbers(cf, "counterfactual"), truncated, h, rule);
            case "VOTING" -> {
                if (!cf.isArray() || cf.isEmpty())
                    throw new IllegalArgumentException("counterfactual: VOTING expects [[R without voter v, per episode] per voter v]");
                double[][] minus = new double[cf.size()][];
                for (int v = 0; v < cf.size(); v++) minus[v] = numbers(cf.get(v), "counterfactual[" + v + "]");
                yield CreditRule.voting(joint, minus, truncated, h[0], rule);
            }
            default -> throw new IllegalArgumentException("topology: expected THINK_REASON or VOTING, got " + topology);
        };
        ObjectNode out = JSON.createObjectNode();
        ArrayNode roles = out.putArray("roles");
        o.roles().forEach(roles::add);
        matrix(out.putArray("advantages"), o.advantages());
        matrix(out.putArray("shaped"), o.shaped());
        return out;
    }

    private static JsonNode required(JsonNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing field \"" + field + "\"");
        return v;
    }

    private static String text(JsonNode v, String field) {
        if (!v.isTextual()) throw new IllegalArgumentException(field + ": expected a string, got " + v);
        return v.textValue();
    }

    private static double[] numbers(JsonNode v, String field) {
        if (!v.isArray()) throw new IllegalArgumentException(field + ": expected an array of numbers, got " + v);
        double[] x = new double[v.size()];
        for (int i = 0; i < x.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber() || !Double.isFinite(e.doubleValue()))
                throw new IllegalArgumentException(field + "[" + i + "]: expected a finite number, got " + e);
            x[i] = e.doubleValue();
        }
        return x;
    }

    /** {credit, joint, counterfactual}; a missing history or one with count 0 is empty. */
    private static History[] histories(JsonNode h) {
        History[] out = {History.EMPTY, History.EMPTY, History.EMPTY};
        if (h == null || h.isNull()) return out;
        if (!h.isObject()) throw new IllegalArgumentException("history: expected {\"credit\": H, \"joint\": H, \"counterfactual\": H}");
        for (Iterator<String> it = h.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!HISTORY_FIELDS.contains(f)) throw new IllegalArgumentException("history: unknown field \"" + f + "\"; expected " + HISTORY_FIELDS);
        }
        List<String> names = List.of("credit", "joint", "counterfactual");
        for (int i = 0; i < 3; i++) {
            JsonNode x = h.get(names.get(i));
            if (x == null || x.isNull()) continue;
            String p = "history." + names.get(i);
            JsonNode count = required(x, "count");
            if (!count.canConvertToLong() || count.longValue() < 0)
                throw new IllegalArgumentException(p + ".count: expected a whole number >= 0, got " + count);
            if (count.longValue() == 0) continue;
            double mean = numbers(JSON.createArrayNode().add(required(x, "mean")), p + ".mean")[0];
            double var = numbers(JSON.createArrayNode().add(required(x, "variance")), p + ".variance")[0];
            if (var < 0) throw new IllegalArgumentException(p + ".variance: expected >= 0, got " + var);
            out[i] = new History(count.longValue(), mean, var);
        }
        return out;
    }

    private static void matrix(ArrayNode a, double[][] m) {
        for (double[] row : m) {
            ArrayNode r = a.addArray();
            for (double x : row) r.add(x);
        }
    }
}
