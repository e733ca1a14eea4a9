package dev.ccpo.learner;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
    @TempDir Path tmp;

    private static CheckpointStore.Meta meta(long step) {
        return new CheckpointStore.Meta(step, step / 2, Map.of(0, 10 * step, 3, 7L), Set.of("g-a", "g,b"));
    }

    private static CheckpointStore.Parts weights(String content) {
        return dir -> Files.writeString(dir.resolve("thinker.bin"), content);
    }

    @Test
    void writeReloadAndKeepLastN() throws IOException {
        CheckpointStore s = new CheckpointStore(tmp.resolve("ck"), 2);
        s.save(meta(1), weights("one"));
        s.save(meta(2), weights("two"));
        Path last = s.save(meta(3), weights("three"));
        assertEquals(2, s.list().size(), "checkpoint.keep=2");
        CheckpointStore.Loaded l = s.latest().orElseThrow();
        assertEquals(last, l.dir());
        assertEquals(meta(3), l.meta());
        assertEquals("three", Files.readString(l.dir().resolve("thinker.bin")));
    }

    @Test
    void crashMidWriteLeavesPreviousCheckpoint() throws IOException {
        CheckpointStore s = new CheckpointStore(tmp, 3);
        s.save(meta(5), weights("good"));
        // "crash": the part writer dies half way (as a disk-full error would)
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> s.save(meta(6), dir -> {
            Files.writeString(dir.resolve("thinker.bin"), "half");
            throw new IOException("No space left on device");
        }));
        assertTrue(e.getMessage().contains("checkpoint.dir="), e.getMessage());
        assertTrue(e.getMessage().contains("No space left"), e.getMessage());
        // a JVM killed mid-write leaves a .tmp folder without meta: simulate it by hand
        Path stale = Files.createDirectories(tmp.resolve(".tmp-step-000000000007"));
        Files.writeString(stale.resolve("thinker.bin"), "torn");
        CheckpointStore reopened = new CheckpointStore(tmp, 3);
        CheckpointStore.Loaded l = reopened.latest().orElseThrow();
        assertEquals(5, l.meta().step());
        assertEquals("good", Files.readString(l.dir().resolve("thinker.bin")));
        assertFalse(Files.exists(stale), "crash leftovers are removed");
        assertEquals(1, reopened.list().size());
    }

    /**
     * A real ENOSPC from the kernel: files of the new checkpoint are links to /dev/full, where every write fails with
     * "No space left on device". Once in a part's file (the model), once in the store's own meta.properties.
     */
    @Test
    void diskFullLeavesThePreviousCheckpointAndNoTempFolder() throws IOException {
        CheckpointStore s = new CheckpointStore(tmp, 3);
        s.save(meta(5), weights("good"));
        for (String file : List.of("thinker.bin", CheckpointStore.META)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> s.save(meta(6), dir -> {
                Files.createSymbolicLink(dir.resolve(file), Path.of("/dev/full"));
                if (file.equals("thinker.bin")) Files.write(dir.resolve(file), new byte[64 << 10], StandardOpenOption.WRITE);
                else Files.writeString(dir.resolve("thinker.bin"), "new");
            }), file);
            assertTrue(e.getMessage().contains("checkpoint.dir=" + tmp), e.getMessage());
            assertTrue(e.getMessage().contains("No space left on device"), file + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("previous checkpoints are intact"), e.getMessage());
            try (var files = Files.list(tmp)) {
                assertEquals(List.of("step-000000000005"), files.map(p -> p.getFileName().toString()).toList(), "no temp folder left");
            }
            CheckpointStore.Loaded l = new CheckpointStore(tmp, 3).latest().orElseThrow();
            assertEquals(meta(5), l.meta());
            assertEquals("good", Files.readString(l.dir().resolve("thinker.bin")));
        }
    }

    @Test
    void folderWithoutMetaIsNeverLoaded() throws IOException {
        CheckpointStore s = new CheckpointStore(tmp, 3);
        s.save(meta(1), weights("x"));
        Files.createDirectories(tmp.resolve("step-000000000009"));
        assertEquals(1, s.latest().orElseThrow().meta().step());
    }

    @Test
    void unusableDirectoryNamesKey() throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> new CheckpointStore(file.resolve("sub"), 1));
        assertTrue(e.getMessage().contains("checkpoint.dir"));
        assertTrue(new CheckpointStore(tmp.resolve("empty"), 1).latest().isEmpty());
    }
}
