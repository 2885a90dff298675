// Opens journey maps in headless Chromium and reports what each page shows, for the Rust test
// tests/map_browser.rs (which decides what is right; this script only looks).
//
//   node open-maps.mjs JOBS.json RESULT.json
//
// JOBS.json: [{ "page": "/abs/map.html", "screenshot": "/abs/shot.png" | null,
//               "click": "node id" | null, "hash": "#..." | null, "width": 1600, "height": 1000 }]
// RESULT.json: one entry per job: every console error and page error, the journey/node and
// journey/stage pairs found in the DOM, the page's own timing (window.journeyMapRendered), and,
// after clicking the card `click`, the details panel's text and the witness marks drawn.
//
// Chromium is Debian's (/usr/bin/chromium, or $JOURNEY_CHROMIUM), driven by playwright-core
// (no browser download). The page is opened from disk with every network request refused, so a
// map that tried to reach the network would fail here.
import { chromium } from "playwright-core";
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [jobsPath, resultPath] = process.argv.slice(2);
const jobs = JSON.parse(readFileSync(jobsPath, "utf8"));
const browser = await chromium.launch({
  executablePath: process.env.JOURNEY_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const results = [];
try {
  for (const job of jobs) {
    const page = await browser.newPage({ viewport: { width: job.width || 1600, height: job.height || 1000 } });
    const errors = [];
    const requests = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`console ${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url === pathToFileURL(job.page).href) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(job.page).href + (job.hash || ""), { waitUntil: "load" });
    await page.waitForSelector("body[data-rendered=true]", { timeout: 15000 }).catch((e) => errors.push(`not rendered: ${e.message}`));
    const seen = await page.evaluate(() => {
      const nodes = [], stages = [];
      document.querySelectorAll(".journey[data-journey]").forEach((j) => {
        const name = j.getAttribute("data-journey");
        j.querySelectorAll(".card[data-node]").forEach((c) => nodes.push(name + "/" + c.getAttribute("data-node")));
        j.querySelectorAll(".column[data-stage]").forEach((c) => stages.push(name + "/" + c.getAttribute("data-stage")));
      });
      return {
        nodes, stages,
        timing: window.journeyMapRendered || null,
        lifecycleRows: document.querySelectorAll("#lifecycle tr[data-stage]").length,
        previews: [...document.querySelectorAll(".card .preview")].map((e) => e.textContent),
        // Set only by script a hostile text would have injected (tests/map_browser.rs).
        injected: window.journeyMapInjected === true,
      };
    });
    let clicked = null;
    if (job.click) {
      try {
        const card = page.locator(`.card[data-node="${job.click}"]`).first();
        await card.scrollIntoViewIfNeeded({ timeout: 5000 });
        await card.click({ timeout: 5000 });
        clicked = await page.evaluate(() => ({
          details: document.getElementById("details").innerText,
          witnessCards: [...document.querySelectorAll(".card.witness")].map((c) => c.getAttribute("data-node")),
          witnessEdges: document.querySelectorAll("path.witness").length,
        }));
      } catch (e) {
        errors.push(`cannot click ${job.click}: ${e.message.split("\n")[0]}`);
      }
    }
    if (job.screenshot) await page.screenshot({ path: job.screenshot });
    results.push({ page: job.page, errors, requests, ...seen, clicked });
    await page.close();
  }
} finally {
  await browser.close();
}
writeFileSync(resultPath, JSON.stringify(results, null, 1));
