package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives {@code browser-test/page-check.mjs} (Playwright core + Debian's headless Chromium) on the analytics page
 * for the integration tests of this module and of the demo (shared through the analytics test-jar). What the page
 * showed comes back as JSON read from its DOM; the screenshot, stdout and stderr land in {@code outputDir}.
 */
public final class PageCheck {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path browserDir;
    private final Path screenshot;
    private final Path log;
    private final Path out;

    /** @param browserDir the analytics module's browser-test folder; @param outputDir a target folder of the test */
    public PageCheck(Path browserDir, Path outputDir, String name) throws Exception {
        this.browserDir = browserDir.toAbsolutePath();
        Path dir = outputDir.toAbsolutePath();
        Files.createDirectories(dir);
        this.screenshot = dir.resolve(name + ".png");
        this.log = dir.resolve(name + "-page-check.log");
        this.out = dir.resolve(name + "-page-check.json");
        ensureTooling(dir);
    }

    public Path screenshot() {
        return screenshot;
    }

    /** Starts page-check.mjs on {@code url}; {@code expect} is the JSON its usage line describes. */
    public Process start(String url, Map<String, Object> expect) throws Exception {
        return new ProcessBuilder("node", "page-check.mjs", url, screenshot.toString(), JSON.writeValueAsString(expect))
                .directory(browserDir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(log.toFile()).start();
    }

    /** What the page showed at its first stage (written by page-check.mjs to the signal file). */
    public JsonNode awaitSignal(Process node, Path signal) throws Exception {
        long until = System.currentTimeMillis() + 90_000;
        while (!Files.exists(signal)) {
            if (!node.isAlive()) fail("page-check.mjs exited (" + node.exitValue() + ") before its first stage; stderr:\n"
                    + Files.readString(log) + "\nstdout:\n" + Files.readString(out));
            if (System.currentTimeMillis() > until) {
                node.destroyForcibly();
                fail("page-check.mjs did not reach its first stage in 90 s; stderr:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return JSON.readTree(Files.readString(signal));
    }

    /** Waits for page-check.mjs and returns what the page showed at the end. */
    public JsonNode finish(Process node) throws Exception {
        boolean finished = node.waitFor(120, TimeUnit.SECONDS);
        if (!finished) node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        String shown = Files.readString(out), errors = Files.readString(log);
        assertTrue(finished, "node page-check.mjs timed out; stderr:\n" + errors + "\nstdout:\n" + shown);
        assertEquals(0, node.exitValue(), "node page-check.mjs failed; stderr:\n" + errors + "\nstdout:\n" + shown);
        return JSON.readTree(shown.strip());
    }

    /** node, npm and Debian's chromium must be there (.ci/run installs them); node_modules comes from npm ci. */
    private void ensureTooling(Path dir) throws Exception {
        if (!onPath("node") || !onPath("npm"))
            fail("node and npm must be on PATH for the browser check (.ci/run installs them); PATH=" + System.getenv("PATH"));
        if (!Files.isExecutable(Path.of("/usr/bin/chromium")))
            fail("/usr/bin/chromium is missing: install it with `apt-get install -y chromium` (.ci/run does)");
        if (Files.isDirectory(browserDir.resolve("node_modules/playwright-core"))) return;
        // never inheritIO(): npm would share (and set non-blocking) the forked test JVM's stdin/stdout
        Path npmLog = dir.resolve("npm-ci.log");
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(browserDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(npmLog.toFile()).start();
        assertTrue(npm.waitFor(300, TimeUnit.SECONDS), "npm ci timed out in " + browserDir + "; see " + npmLog);
        assertEquals(0, npm.exitValue(), "npm ci failed in " + browserDir + ":\n" + Files.readString(npmLog));
    }

    private static boolean onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
            if (Files.isExecutable(Path.of(d, exe))) return true;
        return false;
    }
}
