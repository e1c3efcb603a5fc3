// wallboard.mjs: Debian's chromium, headless, over the wallboard of a real ccmetricsd.
// Usage: node wallboard.mjs URL TOKEN OUTDIR SCOPE... ; prints one JSON object:
// the figures each tile shows, the API's for the same scopes, how long a posted event
// took to show, the screenshots written, and whether the page came back by itself after
// the daemon restarted: it prints "restart now" and waits for a line on stdin, which
// test_wallboard.py sends once a new daemon listens on the same address.
import { createInterface } from "node:readline";
import { auditPage, launch } from "./session.mjs";

const [url, token, outdir, ...scopes] = process.argv.slice(2);
const query = scopes.map((s) => "scope=" + encodeURIComponent(s)).join("&");
const browser = await launch();
const result = { page: {}, api: {}, screenshots: [], violations: {} };
try {
  // bypassCSP lets axe-core (injected as a script) past the pages' same-origin policy.
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, bypassCSP: true });
  const started = Date.now();
  await page.goto(`${url}/?${query}`);
  // The token is entered once, by label, as a person would.
  await page.getByLabel("Read token").fill(token);
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForFunction((n) =>
    document.querySelectorAll(".tile [data-state]").length === n &&
    [...document.querySelectorAll(".tile [data-state]")].every((e) => e.textContent === "live"),
    scopes.length, { timeout: 10000 });
  result.first_view_ms = Date.now() - started;
  const read = () => page.evaluate(() => {
    const out = {};
    for (const tile of document.querySelectorAll(".tile")) {
      const kpis = {};
      for (const row of tile.querySelectorAll("[data-kpi]"))
        kpis[row.dataset.kpi] = { value: row.dataset.value, status: row.className.replace("kpi status-", ""),
                                  shown: row.querySelector(".value").textContent,
                                  word: row.querySelector(".status").textContent };
      out[tile.dataset.scope] = { waiting: tile.querySelector('[data-field="waiting"]').dataset.value, kpis };
    }
    return out;
  });
  result.page = await read();
  for (const scope of scopes) {
    const response = await fetch(`${url}/v1/live?scope=${encodeURIComponent(scope)}`,
                                 { headers: { Authorization: "Bearer " + token } });
    result.api[scope] = await response.json();
  }
  // A call offered now must show as waiting within 2 s.
  const before = Number(result.page[scopes[0]].waiting);
  const posted = Date.now();
  const event = { type: "call.offered", id: "browser-" + posted, queue: scopes[0].split(":")[1],
                  at: new Date().toISOString() };
  await fetch(`${url}/v1/events`, { method: "POST", body: JSON.stringify(event),
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" } });
  await page.waitForFunction(([scope, want]) =>
    document.querySelector(`.tile[data-scope="${scope}"] [data-field="waiting"]`).dataset.value === String(want),
    [scopes[0], before + 1], { timeout: 5000 });
  result.change_ms = Date.now() - posted;
  for (const [width, height] of [[1920, 1080], [1280, 800]]) {
    for (const theme of ["light", "dark"]) {
      await page.setViewportSize({ width, height });
      await page.goto(`${url}/?${query}&theme=${theme}`);
      await page.waitForFunction(() =>
        [...document.querySelectorAll(".tile [data-state]")].every((e) => e.textContent === "live"));
      const file = `${outdir}/wallboard-${width}x${height}-${theme}.png`;
      await page.screenshot({ path: file });
      result.screenshots.push(file);
      if (width === 1920) {
        // A page load with the token saved: every tile live, measured by the page.
        result.ready_ms = Math.max(result.ready_ms || 0,
                                   Number(await page.evaluate(() => document.body.dataset.readyMs)));
        result.violations[theme] = await auditPage(page);
      }
    }
  }
  // The daemon goes away and comes back: the page must follow without a reload.
  const offered = async (id) => fetch(`${url}/v1/events`, { method: "POST",
    body: JSON.stringify({ type: "call.offered", id, queue: scopes[0].split(":")[1],
                           at: new Date().toISOString() }),
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" } });
  const waitingNow = () => page.evaluate((scope) => Number(document.querySelector(
    `.tile[data-scope="${scope}"] [data-field="waiting"]`).dataset.value), scopes[0]);
  const beforeRestart = await waitingNow();
  console.log("restart now");
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once("line", resolve));
  lines.close();
  await offered("browser-after-restart-" + Date.now());
  await page.waitForFunction(([scope, want]) =>
    document.querySelector(`.tile[data-scope="${scope}"] [data-field="waiting"]`).dataset.value === String(want),
    [scopes[0], beforeRestart + 1], { timeout: 15000 });
  result.reconnected = true;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
