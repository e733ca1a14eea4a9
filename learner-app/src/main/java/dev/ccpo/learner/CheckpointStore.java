package dev.ccpo.learner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.util.*;
import java.util.stream.Stream;

/**
 * Atomic checkpoints under {@code checkpoint.dir}: each is written into {@code .tmp-<step>},
 * every file and the folder fsynced, then renamed to {@code step-<step>} (atomic on POSIX) and
 * the parent fsynced. A crash mid-write leaves only a .tmp folder, which is ignored and removed;
 * meta.properties is written last, so a folder without it is never loaded.
 */
public final class CheckpointStore {

    /** Writes the model/optimizer parts of a checkpoint into the given folder. */
    @FunctionalInterface
    public interface Parts { void write(Path dir) throws IOException; }

    /** What a checkpoint records besides the parts. */
    public record Meta(long step, long policyVersion, Map<Integer, Long> offsets, Set<String> trainedGroups) {}

    public record Loaded(Path dir, Meta meta) {}

    public static final String META = "meta.properties";
    private final Path root;
    private final int keep;

    public CheckpointStore(Path root, int keep) {
        if (keep < 1) throw new IllegalArgumentException("checkpoint.keep must be >= 1, got " + keep);
        this.root = root;
        this.keep = keep;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint.dir=" + root + ": cannot create folder: " + e, e);
        }
        if (!Files.isWritable(root)) throw new IllegalStateException("checkpoint.dir=" + root + " is not writable");
    }

    public Path root() { return root; }

    /** Writes one checkpoint atomically and prunes to the last {@code keep}; returns its folder. */
    public Path save(Meta meta, Parts parts) {
        String name = String.format("step-%012d", meta.step());
        Path tmp = root.resolve(".tmp-" + name);
        Path dst = root.resolve(name);
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            parts.write(tmp);
            writeMeta(tmp.resolve(META), meta);
            fsyncTree(tmp);
            deleteTree(dst); // same step re-saved (e.g. SIGTERM right after a periodic save)
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
            fsyncDir(root);
        } catch (IOException | RuntimeException e) {
            try { deleteTree(tmp); } catch (IOException ignored) { /* report the original error */ }
            throw new UncheckedIOException(new IOException("checkpoint.dir=" + root + ": writing checkpoint "
                    + name + " failed (disk full or no permission?); previous checkpoints are intact: " + e, e));
        }
        prune();
        return dst;
    }

    /** The newest complete checkpoint; stale .tmp folders from a crash are removed. */
    public Optional<Loaded> latest() {
        List<Path> dirs = list();
        for (int i = dirs.size() - 1; i >= 0; i--) {
            Path d = dirs.get(i);
            if (Files.isRegularFile(d.resolve(META))) {
                try {
                    return Optional.of(new Loaded(d, readMeta(d.resolve(META))));
                } catch (IOException | RuntimeException e) {
                    throw new IllegalStateException("checkpoint " + d + ": unreadable " + META + ": " + e, e);
                }
            }
        }
        return Optional.empty();
    }

    /** Complete checkpoint folders, oldest first; removes crash leftovers. */
    public List<Path> list() {
        try (Stream<Path> s = Files.list(root)) {
            List<Path> out = new ArrayList<>();
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(".tmp-")) deleteTree(p);
                else if (n.startsWith("step-") && Files.isDirectory(p)) out.add(p);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint.dir=" + root + ": cannot list: " + e, e);
        }
    }

    private void prune() {
        List<Path> dirs = list();
        for (int i = 0; i < dirs.size() - keep; i++) {
            try { deleteTree(dirs.get(i)); }
            catch (IOException e) { throw new UncheckedIOException("cannot prune old checkpoint " + dirs.get(i), e); }
        }
    }

    static void writeMeta(Path file, Meta m) throws IOException {
        Properties p = new Properties();
        p.setProperty("step", Long.toString(m.step()));
        p.setProperty("policyVersion", Long.toString(m.policyVersion()));
        StringBuilder off = new StringBuilder();
        for (Map.Entry<Integer, Long> e : new TreeMap<>(m.offsets()).entrySet())
            off.append(off.length() == 0 ? "" : ",").append(e.getKey()).append(':').append(e.getValue());
        p.setProperty("offsets", off.toString());
        p.setProperty("trainedGroups", String.join("\n", new TreeSet<>(m.trainedGroups())));
        try (OutputStream o = Files.newOutputStream(file)) { p.store(o, "ccpo learner checkpoint"); }
    }

    static Meta readMeta(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) { p.load(in); }
        Map<Integer, Long> off = new TreeMap<>();
        String o = p.getProperty("offsets", "");
        if (!o.isBlank()) for (String kv : o.split(",")) {
            String[] a = kv.split(":");
            off.put(Integer.parseInt(a[0]), Long.parseLong(a[1]));
        }
        Set<String> groups = new TreeSet<>();
        for (String g : p.getProperty("trainedGroups", "").split("\n")) if (!g.isEmpty()) groups.add(g);
        return new Meta(Long.parseLong(p.getProperty("step")), Long.parseLong(p.getProperty("policyVersion")), off, groups);
    }

    private static void fsyncTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p)) try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) { c.force(true); }
            }
        }
        fsyncDir(dir);
    }

    private static void fsyncDir(Path dir) {
        // Directory fsync makes the rename durable; not supported on every OS/filesystem, so best effort.
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) { c.force(true); }
        catch (IOException ignored) { /* e.g. Windows: directories cannot be opened */ }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
