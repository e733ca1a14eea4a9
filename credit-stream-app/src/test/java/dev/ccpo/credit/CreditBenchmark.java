package dev.ccpo.credit;

import dev.ccpo.infra.LocalCluster;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;

/**
 * Throughput of the credit topology on a real local broker: produces N synthetic THINK_REASON groups
 * (G = 4, then a heartbeat per partition so every window closes by stream time), runs the app from the
 * earliest offsets through the whole topology (windowed stats included), and prints advantages/s until all are read.
 * Usage: CreditBenchmark [groups=2000]
 */
public final class CreditBenchmark {
    public static void main(String[] args) throws Exception {
        int groups = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int g = 4;
        try (LocalCluster cluster = LocalCluster.start()) {
            CreditStreamAppIT.cluster = cluster;
            RecordSerdes serdes = new RecordSerdes(new HttpSchemaRegistryClient(cluster.registryUrl(), ""));
            CreditStreamAppIT.produceSyntheticGroups(cluster, serdes, "ccpo.trajectories", "ccpo.counterfactuals", groups, g, 42);
            int expected = groups * g * 2;
            long t0 = System.nanoTime();
            try (CreditStreamApp app = CreditStreamAppIT.app("--application.id=ccpo-credit-bench", "--http.port=0")) {
                int got = CreditStreamAppIT.readAll("ccpo.advantages", expected, java.time.Duration.ofMinutes(5)).size();
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("CreditBenchmark: %d groups, %d advantages in %.2f s (incl. app start-up) = %.0f advantages/s%n",
                        groups, got, s, got / s);
                if (got != expected) throw new IllegalStateException("read " + got + " advantages, expected " + expected);
            }
        }
    }
}
