// session.mjs: what the browser tests share: Debian's chromium, headless, with one page
// whose script errors and console errors are collected; the wait for a page to say it
// is ready (body[data-ready]); and axe-core's WCAG 2.1 A/AA audit of the page.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CCM_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
}

// The violations axe-core finds on the page as it is now (the contrast rule included).
export async function auditPage(page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const report = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
                                              rules: { "color-contrast": { enabled: true } } });
    return report.violations.map((v) => ({ id: v.id, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
}

export async function openSession(viewport = { width: 1920, height: 1080 }) {
  const browser = await launch();
  const result = { errors: [], screenshots: [] };
  // axe-core is injected as a script: bypassCSP lets it past the pages' policy
  // (which allows only same-origin scripts) in the test's context only.
  const context = await browser.newContext({ viewport, bypassCSP: true });
  const page = await context.newPage();
  page.on("pageerror", (error) => result.errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") result.errors.push(message.text());
  });
  const ready = () => page.waitForSelector("body[data-ready]", { timeout: 15000 });
  return { browser, context, page, result, ready, audit: () => auditPage(page) };
}
