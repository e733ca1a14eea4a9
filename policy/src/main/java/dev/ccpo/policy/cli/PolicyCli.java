package dev.ccpo.policy.cli;

import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigException;
import dev.ccpo.config.ConfigSpec;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code java -jar policy-<version>.jar <command> --key=value ...}: {@code generate} (GenerateCommand) and
 * {@code convert-llama2c} (ConvertLlama2cCommand). Settings as in every service: defaults, --config=FILE,
 * CCPO_* environment variables, --key=value; --help lists them.
 */
public final class PolicyCli {
    private PolicyCli() {}

    /** A command: its settings and what it does with them. */
    interface Command {
        ConfigSpec spec();

        void run(Config cfg, PrintStream out) throws Exception;
    }

    static final Map<String, Command> COMMANDS = Map.of(
            "generate", new GenerateCommand(),
            "convert-llama2c", new ConvertLlama2cCommand());

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Exit status: 0 done, 2 bad command line or settings, 1 failed. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.length == 0 || !COMMANDS.containsKey(args[0])) {
            err.println("usage: java -jar policy.jar (generate | convert-llama2c) --key=value ... (--help lists the keys)"
                    + (args.length == 0 ? "" : "\nunknown command '" + args[0] + "'"));
            return 2;
        }
        Command c = COMMANDS.get(args[0]);
        Config cfg;
        try {
            cfg = Config.load(c.spec(), flags(Arrays.copyOfRange(args, 1, args.length)), env);
        } catch (Config.HelpRequested help) {
            out.print(help.getMessage());
            return 0;
        } catch (ConfigException e) {
            err.println(c.spec().service() + ": " + e.getMessage());
            return 2;
        }
        try {
            c.run(cfg, out);
            return 0;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            err.println(c.spec().service() + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println(c.spec().service() + " failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /** A bare boolean flag (--chat) means --chat=true. */
    static String[] flags(String[] args) {
        String[] out = args.clone();
        for (int i = 0; i < out.length; i++) if (out[i].equals("--chat")) out[i] = "--chat=true";
        return out;
    }
}
