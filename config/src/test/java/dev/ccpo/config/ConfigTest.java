package dev.ccpo.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigTest {
    private final ConfigSpec spec = CommonKeys.spec("test-app")
            .integer("group.size", 8, 1, 1024, "Episodes per GRPO group.")
            .choice("credit.mode", "ccpo", "Credit rule.", "ccpo", "ccpo-bonus", "shared")
            .decimal("ema.decay", 0.99, 0, 1, "EMA decay.");

    @Test
    void defaultsFileEnvironmentAndArgumentsOverrideInThatOrder(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "group.size=4\ncredit.mode=shared\nema.decay=0.5\n");
        Config c = Config.load(spec, new String[]{"--config=" + file, "--credit.mode=ccpo-bonus"},
                Map.of("CCPO_EMA_DECAY", "0.9", "CCPO_GROUP_SIZE", "6"));
        assertEquals(6, c.integer("group.size"), "env beats file");
        assertEquals("ccpo-bonus", c.string("credit.mode"), "argument beats file");
        assertEquals(0.9, c.decimal("ema.decay"), "env beats file");
        assertEquals("ccpo.trajectories", c.string(CommonKeys.TOPIC_TRAJECTORIES), "default");
    }

    @Test
    void unknownKeyIsNamedWithASuggestion() {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(spec, new String[]{"--credit.mod=shared"}, Map.of()));
        assertTrue(e.getMessage().contains("'credit.mod'") && e.getMessage().contains("did you mean 'credit.mode'"), e.getMessage());
    }

    @Test
    void invalidChoiceListsAllowedValues() {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(spec, new String[]{"--credit.mode=bonus"}, Map.of()));
        assertTrue(e.getMessage().contains("allowed values are ccpo, ccpo-bonus, shared"), e.getMessage());
    }

    @Test
    void numbersAreRangeChecked() {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(spec, new String[]{"--group.size", "0"}, Map.of()));
        assertTrue(e.getMessage().contains("'group.size'") && e.getMessage().contains("[1, 1024]"), e.getMessage());
        assertThrows(ConfigException.class, () -> Config.load(spec, new String[]{"--ema.decay=lots"}, Map.of()));
    }

    @Test
    void kafkaPrefixedKeysPassThroughToClients() {
        Config c = Config.load(spec, new String[]{"--kafka.security.protocol=SASL_SSL", "--bootstrap.servers=b:9093"}, Map.of());
        assertEquals("SASL_SSL", c.kafkaClientProperties().get("security.protocol"));
        assertEquals("b:9093", c.kafkaClientProperties().get("bootstrap.servers"));
    }

    @Test
    void missingConfigFileSaysWhatWasExpected() {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(spec, new String[]{"--config=/nope.properties"}, Map.of()));
        assertTrue(e.getMessage().contains("/nope.properties") && e.getMessage().contains(".properties file"), e.getMessage());
    }

    @Test
    void helpListsEveryKey() {
        Config.HelpRequested help = assertThrows(Config.HelpRequested.class, () -> Config.load(spec, new String[]{"--help"}, Map.of()));
        for (ConfigSpec.Key k : spec.keys()) assertTrue(help.getMessage().contains(k.name()), k.name());
    }

    /** Issue 18: a misspelt kafka.* key used to pass silently; it is now named (Cli prints it as a warning at start-up). */
    @Test
    void misspeltKafkaKeysAreNamedKnownOnesAreNot() {
        Config c = Config.load(spec, new String[]{"--kafka.security.protocol=SASL_SSL", "--kafka.sasl.mechansim=PLAIN",
                "--kafka.acks=all", "--kafka.max.poll.records=5", "--kafka.producer.linger.ms=5", "--kafka.bootstrap.server=x:1"}, Map.of());
        assertEquals(java.util.List.of("kafka.sasl.mechansim", "kafka.bootstrap.server"), c.unknownKafkaKeys());
    }
}
