package dev.ccpo.demo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ccpo.config.Roles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which folder each role's model comes from, for the layouts the learner and the demo write. */
class CheckpointModelsTest {
    @TempDir Path dir;

    private Path model(Path p) throws IOException {
        Files.createDirectories(p);
        Files.writeString(p.resolve("config.json"), "{}");
        return p;
    }

    @Test
    void modelFolderServesEveryRole() throws IOException {
        Path m = model(dir.resolve("m"));
        Map<String, Path> f = CheckpointModels.roleFolders(m);
        assertEquals(Map.of(Roles.THINKER, m, Roles.REASONER, m, Roles.VOTER, m), f);
    }

    @Test
    void perRoleFoldersAndVoterFallsBackToReasoner() throws IOException {
        Path t = model(dir.resolve("ck/thinker"));
        Path r = model(dir.resolve("ck/reasoner"));
        Map<String, Path> f = CheckpointModels.roleFolders(dir.resolve("ck"));
        assertEquals(t, f.get(Roles.THINKER));
        assertEquals(r, f.get(Roles.REASONER));
        assertEquals(r, f.get(Roles.VOTER));
    }

    @Test
    void checkpointRootUsesNewestCompleteStep() throws IOException {
        Path root = dir.resolve("root");
        model(root.resolve("step-2/shared"));
        Files.writeString(root.resolve("step-2/meta.properties"), "step=2");
        model(root.resolve("step-10/shared"));
        Files.writeString(root.resolve("step-10/meta.properties"), "step=10");
        model(root.resolve("step-12/shared")); // no meta.properties: incomplete, ignored
        Map<String, Path> f = CheckpointModels.roleFolders(root);
        assertEquals(root.resolve("step-10/shared"), f.get(Roles.REASONER));
        assertEquals(root.resolve("step-10/shared"), f.get(Roles.THINKER));
    }

    @Test
    void missingModelIsExplained() throws IOException {
        Files.createDirectories(dir.resolve("empty/thinker"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointModels.roleFolders(dir.resolve("empty")));
        assertTrue(e.getMessage().contains("checkpoint") && e.getMessage().contains("reasoner/"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointModels.roleFolders(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }
}
