// enquiries.mjs: Debian's chromium, headless, over the members' enquiries page of a
// real ccmetricsd. Usage: node enquiries.mjs URL READ_TOKEN OUTDIR PATH. Enters the
// token in the page's form, then prints one JSON object for test_enquiries.py to
// compare with the API: every cell of the FY table (value, text shown, status) and of
// the ageing table, the column headings, axe-core's WCAG 2.1 A/AA violations in light
// and dark themes, and the order Tab visits the controls. Screenshots in OUTDIR.
import { openSession } from "./session.mjs";

const [url, token, outdir, path] = process.argv.slice(2);
const { browser, page, result, ready, audit } = await openSession();

try {
  await page.goto(url + path);
  await page.getByLabel("Read token").fill(token);
  await page.getByRole("button", { name: "Save" }).click();
  await ready();
  result.page = await page.evaluate(() => {
    const table = {};
    for (const row of document.querySelectorAll("#scrutiny tbody tr")) {
      const cells = {};
      for (const td of row.querySelectorAll("td"))
        cells[td.dataset.column] = { value: td.dataset.value, status: td.dataset.status || null,
                                     shown: td.textContent };
      ((table[row.dataset.scope] ||= {})[row.dataset.kpi] ||= {})[row.dataset.row] = cells;
    }
    const ageing = {};
    for (const row of document.querySelectorAll("#ageing tbody tr"))
      ageing[row.dataset.scope] = Object.fromEntries([...row.querySelectorAll("td")].map((td) =>
        [td.dataset.bucket, { value: td.dataset.value, shown: td.textContent }]));
    return { heading: document.getElementById("heading").textContent,
             columns: [...document.querySelectorAll("#scrutiny thead th")].map((th) => th.textContent),
             table, ageing, ageingAt: document.body.dataset.ageingAt };
  });
  result.axe = { light: await audit() };
  await page.screenshot({ path: `${outdir}/enquiries-1920x1080-light.png`, fullPage: false });
  result.screenshots.push("enquiries-1920x1080-light.png");
  await page.goto(url + path + "&theme=dark");
  await ready();
  result.axe.dark = await audit();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: `${outdir}/enquiries-1280x800-dark.png`, fullPage: false });
  result.screenshots.push("enquiries-1280x800-dark.png");
  // Keyboard only: Tab from the top reaches the form's controls in order.
  await page.goto(url + path);
  await ready();
  const order = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    order.push(await page.evaluate(() => {
      const e = document.activeElement;
      return e.id || e.getAttribute("href") || e.tagName.toLowerCase();
    }));
  }
  result.tabOrder = order;
} catch (error) {
  result.errors.push(String(error && error.stack || error));
}
await browser.close();
console.log(JSON.stringify(result));
