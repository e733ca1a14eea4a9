package dev.ccpo.learner;

import dev.ccpo.cli.Cli;
import dev.ccpo.config.Config;
import dev.ccpo.policy.model.TorchThreads;
import dev.ccpo.serde.RecordSerdes;

/** Entry point: config, then train until SIGTERM (finish the step, checkpoint, exit with the JVM's 143). */
public final class LearnerApp {
    private LearnerApp() {}

    public static void main(String[] args) throws Exception {
        Config c = Cli.configOrExit(LearnerKeys.spec(), args);
        Cli.folderOrExit(c, "model.dir", false);
        Cli.brokerOrExit(c);
        System.out.println("learner: " + TorchThreads.apply(c));
        LearnerSettings settings = LearnerSettings.from(c);
        Learner learner = Learner.create(settings, RecordSerdes.fromConfig(c));
        Thread loop = new Thread(() -> {
            try {
                learner.run(settings.maxSteps(), true);
            } catch (RuntimeException e) {
                // a failed step must not leave the JVM waiting for SIGTERM: report and exit non-zero
                e.printStackTrace();
                learner.close();
                Runtime.getRuntime().halt(1);
            } finally {
                learner.close();
            }
        }, "learner");
        loop.start();
        Cli.awaitShutdown(() -> {
            learner.requestStop();
            try {
                loop.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
