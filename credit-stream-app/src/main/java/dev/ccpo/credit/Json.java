package dev.ccpo.credit;

/** Minimal JSON helpers for the hand-built summaries kept in the recent-groups store. */
final class Json {
    private Json() { }

    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    /** JSON has no NaN/Infinity; write them as null. */
    static String num(double d) { return Double.isFinite(d) ? Double.toString(d) : "null"; }
}
