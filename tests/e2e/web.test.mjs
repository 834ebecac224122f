// Starts `tracker serve` on a free port with the bundled sample feeds, waits for the first
// ingest, then checks the API and the news page in real headless Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = process.env.TRACKER_BIN ?? join(ROOT, "target/debug/tracker");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(import.meta.dirname, "artifacts");

let server, base, browser, log = "";

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on("error", fail);
  });
}

async function getJson(path) {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: build it with cargo build -p tracker`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const data = mkdtempSync(join(tmpdir(), "tracker-e2e-"));
  server = spawn(BIN, ["serve", "--port", String(port), "--feeds", "samples/feeds.json", "--data-dir", data], { cwd: ROOT });
  server.stderr.on("data", (d) => { log += d; });
  server.stdout.on("data", (d) => { log += d; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const { body } = await getJson("/news/stats");
      if (body.total === 28) break;
    } catch { /* not up yet */ }
    assert.ok(Date.now() < deadline, `tracker serve did not finish its first ingest:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGINT");
});

test("the API serves what the first ingest stored", async () => {
  const health = await getJson("/health");
  assert.equal(health.body.status, "ok");
  const page = await getJson("/news?limit=5");
  assert.equal(page.status, 200);
  assert.equal(page.body.items.length, 5);
  assert.ok(page.body.next_cursor);
  const stats = await getJson("/news/stats");
  assert.deepEqual(stats.body.counts, { Trade: 7, Signing: 12, Other: 9 });
  const bad = await getJson("/news?limit=0");
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.code, "validation_failed");
});

test("the page shows cards, filters, pages and switches to JST", async () => {
  const context = await browser.newContext({ timezoneId: "America/New_York", locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  const cards = page.locator(".card");
  await page.waitForFunction(() => document.querySelectorAll(".card").length === 20);

  // Newest first, with title link, source, badge, summary and time.
  const first = cards.first();
  assert.equal(await first.locator(".title").textContent(), "Trail Blazers trade veteran guard to Heat for two second-round picks");
  assert.equal(await first.locator(".badge").textContent(), "Trade");
  assert.equal(await first.locator(".source").textContent(), "RealGM");
  assert.match(await first.locator(".badge").getAttribute("title"), /Trade because: .*trade/);

  // Load more pages through the cursor.
  await page.getByRole("button", { name: "Load more" }).click();
  await page.waitForFunction(() => document.querySelectorAll(".card").length === 28);
  assert.equal(await page.getByRole("button", { name: "Load more" }).isHidden(), true);

  // The JST switch changes the shown times.
  const localTime = await first.locator("time").textContent();
  await page.getByLabel("Times").selectOption("Asia/Tokyo");
  const jstTime = await first.locator("time").textContent();
  assert.notEqual(jstTime, localTime);
  assert.match(jstTime, /JST$/);

  // The category filter narrows the cards.
  await page.getByLabel("Trade", { exact: true }).check();
  await page.waitForFunction(() => document.querySelectorAll(".card").length === 7);
  const badges = await page.locator(".card .badge").allTextContents();
  assert.deepEqual([...new Set(badges)], ["Trade"]);

  // The source filter narrows them further.
  await page.getByLabel("Source").selectOption("ESPN");
  await page.waitForFunction(() => [...document.querySelectorAll(".card .source")].every((s) => s.textContent === "ESPN"));
  assert.equal(await cards.count(), 3);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "news-page.png"), fullPage: true });
  await context.close();
});
