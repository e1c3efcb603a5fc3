// pages.mjs: Debian's chromium, headless, over the month and financial-year pages of a
// real ccmetricsd. Usage: node pages.mjs URL READ_TOKEN OUTDIR MONTH_PATH YEAR_PATH
// OTHER_SCOPE. Prints one JSON object for test_pages.py to compare with the API:
// - token: what a page shows without a token, with a refused one, and that a saved
//   token is kept for the next page;
// - month, year: every figure each page shows (raw value, text shown, status) and the
//   figures of every chart (its table), its first-view time, and axe-core's WCAG 2.1
//   A/AA violations in light and dark themes;
// - keyboard: the order Tab visits controls, and a change of scope made with keys only;
// - screenshots: each page at 1920x1080 and 1280x800, light and dark.
import { openSession } from "./session.mjs";

const [url, token, outdir, monthPath, yearPath, otherScope] = process.argv.slice(2);
const { browser, context, page, result, ready, audit } = await openSession();

// What each page shows, read from the DOM.
const readMonth = () => page.evaluate(() => ({
  heading: document.getElementById("heading").textContent,
  kpis: Object.fromEntries([...document.querySelectorAll("#kpis tbody tr")].map((row) => [
    row.dataset.kpi, { value: row.dataset.value, status: row.dataset.status,
                       shown: row.querySelector(".value").textContent,
                       target: row.querySelector(".target").textContent,
                       word: row.querySelector(".status").textContent,
                       note: row.querySelector(".note").textContent }])),
  charts: readCharts(),
  reasons: [...document.querySelectorAll("#reasons tbody tr")].map((tr) =>
    [...tr.children].map((cell) => cell.textContent)),
  readyMs: Number(document.body.dataset.readyMs),
}));
const readYear = () => page.evaluate(() => {
  const rows = {};
  for (const row of document.querySelectorAll("#scrutiny tbody tr")) {
    const cells = {};
    for (const cell of row.querySelectorAll("td"))
      cells[cell.dataset.month] = { value: cell.dataset.value, status: cell.dataset.status || null,
                                    shown: cell.textContent };
    (rows[row.dataset.kpi] ||= {})[row.dataset.row] = cells;
  }
  return { heading: document.getElementById("heading").textContent,
           columns: [...document.querySelectorAll("#scrutiny thead th")].map((th) => th.textContent),
           rows, charts: readCharts(), readyMs: Number(document.body.dataset.readyMs) };
});
// Every chart's figures, from the table that follows it, and the uPlot canvas size.
await context.addInitScript(() => {
  window.readCharts = () => Object.fromEntries([...document.querySelectorAll("figure.chart")].map((f) => [
    f.dataset.chart + ":" + f.querySelector("figcaption").textContent, {
      columns: [...f.querySelectorAll("table.figures thead th")].map((th) => th.textContent),
      rows: [...f.querySelectorAll("table.figures tbody tr")].map((tr) =>
        [...tr.children].map((cell) => cell.textContent)),
      canvas: (() => { const c = f.querySelector("canvas"); return c ? [c.width, c.height] : null; })(),
    }]));
});


try {
  // No token: the token form, nothing else.
  await page.goto(url + monthPath);
  await page.getByLabel("Read token").waitFor();
  result.token = { asked: await page.getByLabel("Read token").isVisible(),
                   figuresWithout: await page.locator("#kpis tbody tr").count() };
  // A refused token: asked again, with a reason.
  await page.getByLabel("Read token").fill("ccm_not-a-token");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("That token was not accepted.").waitFor({ timeout: 5000 });
  result.token.refusedAgain = await page.getByLabel("Read token").isVisible();
  // The read token, entered once.
  await page.getByLabel("Read token").fill(token);
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL("**/month.html*");
  await ready();
  result.errors = []; // the refused token's 401s were expected

  // Month view: first view in a loaded browser, figures, audit in both themes.
  await page.goto(url + monthPath);
  await ready();
  result.month = await readMonth();
  result.month.violations = { light: await audit() };
  await page.goto(url + monthPath + "&theme=dark");
  await ready();
  result.month.violations.dark = await audit();

  // Financial-year view: the token was kept (no form), figures, audit.
  await page.goto(url + yearPath);
  await ready();
  result.token.keptForNextPage = !(await page.getByLabel("Read token").isVisible());
  result.year = await readYear();
  result.year.violations = { light: await audit() };
  await page.goto(url + yearPath + "&theme=dark");
  await ready();
  result.year.violations.dark = await audit();

  // Keyboard only: Tab order from the top, then another scope chosen with keys.
  await page.goto(url + monthPath);
  await ready();
  const focusOrder = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    focusOrder.push(await page.evaluate(() => {
      const e = document.activeElement;
      const label = e.id ? document.querySelector(`label[for="${e.id}"]`) : null;
      return (label ? label.textContent : e.textContent.trim()) || e.tagName;
    }));
  }
  await page.getByLabel("Scope").focus();
  const before = await page.getByLabel("Scope").inputValue();
  for (let i = 0; i < 20 && (await page.getByLabel("Scope").inputValue()) !== otherScope; i++)
    await page.keyboard.press("ArrowDown");
  // Tab on (through the month's fields) to the Show button, and press Enter there.
  for (let i = 0; i < 8 && !(await page.evaluate(() => document.activeElement.textContent === "Show")); i++)
    await page.keyboard.press("Tab");
  await Promise.all([page.waitForURL((u) => u.searchParams.get("scope") === otherScope),
                     page.keyboard.press("Enter")]);
  await ready();
  result.keyboard = { focusOrder, before, after: new URL(page.url()).searchParams.get("scope"),
                      month: await readMonth() };

  // One channel's month: the picker keeps it and every figure is the channel's.
  await page.goto(url + monthPath + "&channel=phone");
  await ready();
  result.monthChannel = await readMonth();
  result.monthChannel.picked = await page.getByLabel("Channel").inputValue();

  // The wallboard of one channel: its stream is accepted (the tile goes live) and the
  // tile names the channel.
  await page.goto(url + "/?scope=tenant&channel=phone");
  await page.waitForFunction(() =>
    document.querySelector(".tile [data-state]")?.textContent === "live", null, { timeout: 15000 });
  result.wallboardChannel = await page.evaluate(() => document.querySelector(".tile h2").textContent);

  // Screenshots of each page, as a screen shows it.
  for (const [name, path] of [["month", monthPath], ["year", yearPath]]) {
    for (const [width, height] of [[1920, 1080], [1280, 800]]) {
      for (const theme of ["light", "dark"]) {
        await page.setViewportSize({ width, height });
        await page.goto(`${url}${path}&theme=${theme}`);
        await ready();
        const file = `${outdir}/${name}-${width}x${height}-${theme}.png`;
        await page.screenshot({ path: file });
        result.screenshots.push(file);
      }
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
