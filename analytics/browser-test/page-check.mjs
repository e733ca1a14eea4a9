// Opens the analytics page in headless Chromium, waits until the charts show the expected amount of data,
// then prints what the page shows (read from the DOM's data-* attributes) as one JSON line on stdout.
// usage: node page-check.mjs <url> <screenshot.png> <expect-json> [chromium-path]
//   expect-json: {"trajectories": N, "advantages": M, "versions": K, "lagGroupsFound": G, "timeoutMs": T};
//   the page must reach these counts (G consumer groups with committed offsets in the lag table).
//   Or {"first": {...}, "final": {...}, "signalFile": path}: when the page shows "first", what it shows
//   is written to signalFile (the caller then produces more), then the same page must reach "final".
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const [url, shot, expectJson, exe = "/usr/bin/chromium"] = process.argv.slice(2);
if (!url || !shot || !expectJson) {
  console.error("usage: node page-check.mjs <url> <screenshot.png> <expect-json> [chromium-path]");
  process.exit(2);
}
const expect = JSON.parse(expectJson);
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ccpo-chromium-"));

// a fresh profile per run; Playwright takes it as launchPersistentContext's userDataDir, not as a flag
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: exe,
  viewport: { width: 1400, height: 1100 },
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let code = 0;
try {
  const page = context.pages()[0] || await context.newPage();
  const consoleErrors = [];
  page.on("console", m => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", e => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: "load", timeout: 30000 });

  const shown = () => page.evaluate(() => {
    const num = v => (v === undefined || v === "" ? null : Number(v));
    const all = sel => [...document.querySelectorAll(sel)];
    return {
      polls: num(document.getElementById("status").dataset.polls),
      recordsRead: num(document.getElementById("status").dataset.records),
      team: { trajectories: num(document.getElementById("team").dataset.trajectories),
              accuracy: num(document.getElementById("team").dataset.accuracy) },
      versions: all("#versions tr[data-version]").map(r => ({ policyVersion: num(r.dataset.version),
        trajectories: num(r.dataset.trajectories), correct: num(r.dataset.correct),
        accuracy: num(r.dataset.accuracy), meanReward: num(r.dataset.meanReward) })),
      accuracyPoints: all("#chart-accuracy circle[data-series=accuracy]").map(c => [num(c.dataset.x), num(c.dataset.y)]),
      histograms: Object.fromEntries(all("#histograms .hist").map(h => [h.dataset.role, {
        count: num(h.dataset.count), mean: num(h.dataset.mean),
        barTotal: [...h.querySelectorAll("rect[data-count]")].reduce((a, r) => a + num(r.dataset.count), 0) }])),
      marginal: all("#marginal tr[data-marginal-role]").map(r => ({ role: r.dataset.marginalRole,
        x: num(r.dataset.x), count: num(r.dataset.count), mean: num(r.dataset.mean) })),
      marginalPoints: all("#chart-marginal circle").length,
      throughput: Object.fromEntries(all("#throughput tr[data-topic]").map(r => [r.dataset.topic, num(r.dataset.total)])),
      lag: all("#lag tr[data-group]").map(r => ({ group: r.dataset.group, found: r.dataset.found === "true", lag: num(r.dataset.lag) })),
      workers: Object.fromEntries(all("#workers tr[data-worker]").map(r => [r.dataset.worker, num(r.dataset.version)])),
      weights: Object.fromEntries(all("#weights tr[data-weights-role]").map(r => [r.dataset.weightsRole, num(r.dataset.version)])),
      rolloutStats: Object.fromEntries(all("#rollout-stats tr[data-stats-role]").map(r => [r.dataset.statsRole, num(r.dataset.creditCount)])),
      latency: Object.fromEntries(all("#latency tr[data-latency-stage]").map(r => [r.dataset.latencyStage, num(r.dataset.count)])),
    };
  });

  const ready = (s, exp) => s.team.trajectories >= exp.trajectories && s.versions.length >= exp.versions
    && Object.values(s.histograms).reduce((a, h) => a + h.count, 0) >= exp.advantages
    && s.lag.filter(g => g.found).length >= (exp.lagGroupsFound || 0);
  const waitFor = async exp => {
    const deadline = Date.now() + (expect.timeoutMs || 60000);
    let s = await shown();
    while (!ready(s, exp) && Date.now() < deadline) {
      await page.waitForTimeout(250);
      s = await shown();
    }
    s.ready = ready(s, exp);
    return s;
  };
  // optional first stage: what the page shows before the test produces more; the test waits for the
  // signal file, produces the rest, and the same open page must then catch up (charts update live)
  let first = null;
  if (expect.first) {
    first = await waitFor(expect.first);
    fs.writeFileSync(expect.signalFile + ".tmp", JSON.stringify(first));
    fs.renameSync(expect.signalFile + ".tmp", expect.signalFile);
    if (!first.ready) throw new Error("the page did not reach " + JSON.stringify(expect.first) + " in time: " + JSON.stringify(first));
  }
  const s = await waitFor(expect.final || expect);
  s.first = first;
  s.consoleErrors = consoleErrors;
  await page.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify(s));
  if (!s.ready) { console.error("the page did not reach " + expectJson + " in time"); code = 1; }
} catch (e) {
  console.error(String(e && e.stack || e));
  code = 1;
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(code);
