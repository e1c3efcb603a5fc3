// print.mjs: Debian's chromium, headless, prints a page of a real ccmetricsd to PDF
// as a browser's "Save as PDF" would (the page's own @page rules: A4 landscape).
// Usage: node print.mjs URL TOKEN OUT.pdf ; prints {"pages": N} (from the PDF).
import { readFileSync } from "node:fs";
import { launch } from "./session.mjs";

const [url, token, out] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.setExtraHTTPHeaders({ Authorization: "Bearer " + token });
  const response = await page.goto(url);
  if (!response.ok()) throw new Error("HTTP " + response.status());
  await page.pdf({ path: out, preferCSSPageSize: true, printBackground: true });
  const pages = (readFileSync(out, "latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
  console.log(JSON.stringify({ pages }));
} finally {
  await browser.close();
}
