package dev.ccpo.policy.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** The project's data/ folder is found from a module, and every file in it matches data/SHA256SUMS. */
class DataDirectoryTest {

    @Test
    void everyDataFileMatchesItsSha256AndEveryDataFileIsListed() throws IOException, NoSuchAlgorithmException {
        Path data = DataDirectory.require();
        List<String> lines = Files.readAllLines(data.resolve(DataDirectory.SUMS));
        assertFalse(lines.isEmpty(), "empty " + DataDirectory.SUMS);
        for (String line : lines) {
            String[] parts = line.split("\\s+", 2);
            assertEquals(parts[0], sha256(data.resolve(parts[1])), parts[1] + " differs from " + DataDirectory.SUMS);
        }
        // A data file added without its sum would go unchecked: every .jsonl must be listed.
        List<String> listed = lines.stream().map(l -> l.split("\\s+", 2)[1]).toList();
        try (Stream<Path> files = Files.walk(data)) {
            List<String> unlisted = files.filter(f -> f.toString().endsWith(".jsonl"))
                    .map(f -> data.relativize(f).toString().replace('\\', '/'))
                    .filter(f -> !listed.contains(f)).sorted().collect(Collectors.toList());
            assertTrue(unlisted.isEmpty(), "data files missing from " + DataDirectory.SUMS + ": " + unlisted);
        }
    }

    @Test
    void theFoundFolderIsTheProjectsOwnDataFolder() {
        Path data = DataDirectory.require();
        assertEquals("data", data.getFileName().toString());
        // The parent POM sits beside data/: the folder came from this clone, not from somewhere above it.
        assertTrue(Files.isRegularFile(data.resolveSibling("pom.xml")), data + " is not beside the project's pom.xml");
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
