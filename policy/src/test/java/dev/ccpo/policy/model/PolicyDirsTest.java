package dev.ccpo.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyDirsTest {

    @Test
    void eachNamedPolicyGetsItsFolderTheOthersModelDir() {
        Map<String, Path> dirs = PolicyDirs.parse(" voter0=/ckpt/a, voter2 = /ckpt/c ,");
        assertEquals(Map.of("voter0", Path.of("/ckpt/a"), "voter2", Path.of("/ckpt/c")), dirs);
        assertEquals(Path.of("/ckpt/a"), PolicyDirs.of(dirs, "voter0", Path.of("/base")));
        assertEquals(Path.of("/base"), PolicyDirs.of(dirs, "voter1", Path.of("/base")));
        assertTrue(PolicyDirs.parse("").isEmpty());
    }

    @Test
    void malformedEntriesNameTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PolicyDirs.parse("voter0"));
        assertTrue(e.getMessage().startsWith(PolicyDirs.KEY) && e.getMessage().contains("policy=folder"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PolicyDirs.parse("=/a"));
        assertThrows(IllegalArgumentException.class, () -> PolicyDirs.parse("voter0="));
        assertThrows(IllegalArgumentException.class, () -> PolicyDirs.parse("voter0=/a,voter0=/b"));
    }
}
