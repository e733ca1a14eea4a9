package dev.ccpo.analytics;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.ConfigSpec;

/** Config keys of the analytics app (serve) and of the tap command. */
public final class AnalyticsKeys {
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_BIND = "http.bind";
    public static final String GROUP_ID = "analytics.group.id";
    public static final String LAG_INTERVAL_MS = "analytics.lag.interval.ms";
    public static final String HIST_MIN = "analytics.histogram.min";
    public static final String HIST_MAX = "analytics.histogram.max";
    public static final String HIST_BINS = "analytics.histogram.bins";

    public static final String TAP_GROUP = "group";
    public static final String TAP_ROLE = "role";
    public static final String TAP_FROM = "from";
    public static final String TAP_MAX = "max";
    public static final String TAP_BYTES = "bytes";
    public static final String TAP_FOLLOW = "follow";

    private AnalyticsKeys() { }

    public static ConfigSpec serveSpec() {
        return CommonKeys.spec("analytics")
                .integer(HTTP_PORT, 8090, 0, 65535, "Port of the page and /api/summary (0 = any free port).")
                .string(HTTP_BIND, "127.0.0.1", "Address the HTTP server binds to; 0.0.0.0 to serve other machines.")
                .string(GROUP_ID, "", "Consumer group of the analytics consumer; empty = ccpo-analytics-<random>, "
                        + "so every start reads from the earliest offsets and never commits.")
                .longKey(LAG_INTERVAL_MS, 2000, 200, "How often consumer lag of the services' groups is read with the Admin API.")
                .decimal(HIST_MIN, -3.0, -1e9, 1e9, "Lower edge of the advantage histograms (smaller values count as underflow).")
                .decimal(HIST_MAX, 3.0, -1e9, 1e9, "Upper edge of the advantage histograms (larger values count as overflow).")
                .integer(HIST_BINS, 24, 1, 1000, "Number of bins of the advantage histograms.");
    }

    public static ConfigSpec tapSpec() {
        return CommonKeys.spec("tap")
                .string(TAP_GROUP, "", "Only records with this groupId (records without a groupId are skipped).")
                .string(TAP_ROLE, "", "Only records with this role (role, maskedRole, or the role of any turn).")
                .choice(TAP_FROM, "earliest", "Where to start reading.", "earliest", "latest")
                .longKey(TAP_MAX, 0, 0, "Stop after printing this many records; 0 = no limit.")
                .choice(TAP_BYTES, "auto", "Bytes fields: auto (base64 up to " + AvroJson.AUTO_BASE64_MAX
                        + " bytes, else the length), base64, or length. Weights chunks always show the length.", "auto", "base64", "length")
                .bool(TAP_FOLLOW, true, "Keep waiting for new records; false = stop at the end offsets seen at start.");
    }
}
