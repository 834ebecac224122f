// Starts `tracker serve` on a free port with the bundled sample feeds, waits for the first
// ingest, then checks the API and the news page in real headless Chromium, under the security
// headers serve sends (the same CloudFront sends): no CSP violation, and a hostile feed's links and
// markup never become links or markup.
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

// `tracker serve` of FEEDS on a free port with a fresh data folder, once its first ingest stored
// `total` items: { proc, base }.
async function serve(feeds, total) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const data = mkdtempSync(join(tmpdir(), "tracker-e2e-"));
  const proc = spawn(BIN, ["serve", "--port", String(port), "--feeds", feeds, "--data-dir", data], { cwd: ROOT });
  proc.stderr.on("data", (d) => { log += d; });
  proc.stdout.on("data", (d) => { log += d; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/news/stats`);
      if ((await response.json()).total === total) break;
    } catch { /* not up yet */ }
    assert.ok(Date.now() < deadline, `tracker serve did not finish its first ingest:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, base: url };
}

// A page that records every CSP violation in window.__csp.
async function watchedPage(context) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return page;
}

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: build it with cargo build -p tracker`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  ({ proc: server, base } = await serve("samples/feeds.json", 28));
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
  const teams = await getJson("/teams");
  assert.equal(teams.body.length, 30);
  const heat = await getJson("/news?team=mia");
  assert.ok(heat.body.items.length >= 1);
  assert.ok(heat.body.items.every((i) => i.teams.includes("MIA")));
  const bad = await getJson("/news?limit=0");
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.code, "validation_failed");
});

test("the page shows cards, filters, pages and switches to JST", async () => {
  const context = await browser.newContext({ timezoneId: "America/New_York", locale: "en-US" });
  const page = await watchedPage(context);
  const response = await page.goto(`${base}/`);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /default-src 'self'.*connect-src 'self'.*frame-ancestors 'none'/);
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.match(headers["strict-transport-security"], /max-age=\d+/);
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

  // A team chip filters by its team, and clears the source filter (the two do not combine).
  await page.getByLabel("Source").selectOption("");
  await page.waitForFunction(() => document.querySelectorAll(".card").length === 7);
  await first.locator('.chip[data-team="MIA"]').click();
  await page.waitForFunction(() => [...document.querySelectorAll(".card")].every((c) => c.querySelector('.chip[data-team="MIA"]')));
  assert.equal(await page.locator("#team").inputValue(), "MIA");
  assert.equal(await page.getByLabel("Source").inputValue(), "");
  assert.ok((await cards.count()) >= 1);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "news-page.png"), fullPage: true });

  // The page did all that under the CSP; an inline script, which the CSP forbids, is reported.
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  await page.evaluate(() => { const s = document.createElement("script"); s.textContent = "window.ran = 1"; document.body.append(s); });
  await page.waitForFunction(() => window.__csp.length === 1);
  assert.equal(await page.evaluate(() => window.ran), undefined);
  await context.close();
});

test("a hostile feed's links and markup stay inert", async () => {
  const hostile = await serve("tests/e2e/fixtures/hostile-feeds.json", 5);
  try {
    const items = (await (await fetch(`${hostile.base}/news?limit=10`)).json()).items;
    assert.deepEqual(items.map((i) => i.link), [null, null, null, null, "https://hostile.example/articles/suns-sign-guard"]);
    const context = await browser.newContext();
    const page = await watchedPage(context);
    await page.goto(`${hostile.base}/`);
    await page.waitForFunction(() => document.querySelectorAll(".card").length === 5);
    const hrefs = await page.locator(".card a[href]").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
    assert.deepEqual(hrefs, ["https://hostile.example/articles/suns-sign-guard"]);
    assert.equal(await page.locator("#news img, #news script").count(), 0);
    assert.equal(await page.title(), "NBA Trade Tracker");
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    await context.close();
  } finally {
    hostile.proc.kill("SIGINT");
  }
});

test("the page itself refuses non-http links whatever the API returns", async () => {
  const context = await browser.newContext();
  const page = await watchedPage(context);
  const item = (n, link) => ({
    id: `x${n}`, title: `<b>Item ${n}</b>`, link, summary: "<img src=x>", source: "Test", category: "Trade",
    evidence: [], published_at: "2026-11-23T12:00:00Z", fetched_at: "2026-11-23T12:00:00Z",
  });
  // Each story's second report carries the same hostile link as its first.
  const story = (n, link) => ({
    story_id: `x${n}`, item: item(n, link), sources: ["Test", "<i>Other</i>"],
    reports: [{ id: `x${n}`, source: "Test", title: "t", link }, { id: `y${n}`, source: "<i>Other</i>", title: "t", link }],
  });
  const links = ["javascript:alert(1)", " data:text/html,x", "vbscript:x", "JAVASCRIPT:alert(1)", "//evil.example/x", "https://ok.example/a"];
  await page.route("**/stories?*", (route) => route.fulfill({ json: { items: links.map((l, n) => story(n, l)), next_cursor: null } }));
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.querySelectorAll(".card").length === 6);
  const hrefs = await page.locator(".card a[href]").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  assert.deepEqual(hrefs, ["https://ok.example/a", "https://ok.example/a"]);
  assert.equal(await page.locator(".card .reporters").first().textContent(), "<i>Other</i>");
  assert.equal(await page.locator(".card .title").first().textContent(), "<b>Item 0</b>");
  assert.equal(await page.locator("#news img, #news b, #news i").count(), 0);
  await context.close();
});

test("a filter chosen while a page loads shows that filter's stories only", async () => {
  const context = await browser.newContext();
  const page = await watchedPage(context);
  const story = (id, category) => ({
    story_id: id, sources: ["Test"], reports: [{ id, source: "Test", title: id, link: null }],
    item: { id, title: `${category} ${id}`, link: null, summary: "", source: "Test", category, evidence: [],
            published_at: "2026-11-23T12:00:00Z", fetched_at: "2026-11-23T12:00:00Z" },
  });
  // The unfiltered listing answers late; the Trade one at once.
  await page.route("**/stories?*", async (route) => {
    if (new URL(route.request().url()).searchParams.get("category") === "Trade") {
      return route.fulfill({ json: { items: [story("t1", "Trade")], next_cursor: null } });
    }
    await new Promise((r) => setTimeout(r, 1500));
    return route.fulfill({ json: { items: [story("a1", "Other"), story("a2", "Signing")], next_cursor: null } });
  });
  const late = page.waitForResponse((r) => r.url().includes("/stories?") && !r.url().includes("category=Trade"));
  await page.goto(`${base}/`);
  await page.check('input[name="category"][value="Trade"]');
  await page.waitForFunction(() => document.querySelectorAll(".card").length === 1);
  await late; // the unfiltered answer has come, after the Trade one
  await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
  assert.deepEqual(await page.locator(".card").evaluateAll((cs) => cs.map((c) => c.dataset.story)), ["t1"]);
  await context.close();
});

test("one card per story, also reported by its other sources, and the feeds' status", async () => {
  const stories = await serve("tests/e2e/fixtures/story-feeds.json", 3);
  try {
    const listed = (await (await fetch(`${stories.base}/stories`)).json()).items;
    // Newest report first: RealGM's report of the deal is the newest item.
    assert.deepEqual(listed.map((s) => s.sources), [["ESPN", "RealGM"], ["ESPN"]]);
    const context = await browser.newContext();
    const page = await watchedPage(context);
    await page.goto(`${stories.base}/`);
    await page.waitForFunction(() => document.querySelectorAll(".card").length === 2);
    const deal = page.locator(".card").first();
    assert.equal(await deal.locator(".title").textContent(), "Celtics trade Jrue Holiday to Trail Blazers for Anfernee Simons");
    assert.equal(await deal.locator(".source").textContent(), "ESPN", "the first reporter leads");
    assert.equal(await deal.locator(".also").isVisible(), true);
    const also = deal.locator(".reporters a");
    assert.equal(await also.textContent(), "RealGM");
    assert.equal(await also.getAttribute("href"), "https://basketball.realgm.com/wiretap/holiday");
    assert.equal(await page.locator(".card").nth(1).locator(".also").isHidden(), true);

    await page.waitForFunction(() => document.querySelectorAll("#sources [data-feed]").length === 3);
    const status = (feed) => page.locator(`#sources [data-feed="${feed}"]`);
    assert.equal(await status("story-espn").getAttribute("data-status"), "ok");
    assert.match(await status("story-espn").textContent(), /^ESPN: ok, updated \d+ min ago$/);
    assert.equal(await status("story-missing").getAttribute("data-status"), "failing");
    assert.match(await status("story-missing").textContent(), /^Missing: failing \(1\): .*missing-feed\.xml/);
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    await context.close();
  } finally {
    stories.proc.kill("SIGINT");
  }
});
