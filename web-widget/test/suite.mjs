// What every browser suite shares: a real relay, the Rust coordinator and Chromium started
// once per file, pages opened in fresh contexts that record CSP violations and any request
// off the relay, and the device-trace check (cookies, storages, caches, service workers).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { buildRust, startRelay, startCoordinator, screenshotDir } from './harness.mjs';

const require = createRequire(import.meta.url);
export const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1, locale: 'en-US' };
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** Registers before/after hooks; the returned object is filled in before the first test. `env`: the relay's `LIFELINE_*` overrides. */
export function browserSuite({ coordinator = true, env = {} } = {}) {
  let ready;
  const s = {
    /** Resolves once the relay, coordinator and browser run (await it in the file's own before). */
    ready: new Promise((r) => (ready = r)),
    relay: null,
    coord: null,
    browser: null,
    shots: null,
    /** A fresh context on a path of the relay, the widget loaded (unless `wait: false`). */
    async open(path = '/help', options = {}, { wait = true, base } = {}) {
      const context = await s.browser.newContext({ ...PHONE, ...options });
      const page = await context.newPage();
      const problems = watch(page, base ?? s.relay.base);
      await page.goto((base ?? s.relay.base) + path);
      await markHistory(page);
      if (wait && path === '/') await page.getByRole('button', { name: 'Get help' }).waitFor();
      else if (wait) await page.getByRole('button', { name: /Talk to someone now|Parler à quelqu'un/ }).waitFor();
      return { context, page, problems };
    },
    shot: (page, name) => page.screenshot({ path: join(s.shots, name + '.png'), fullPage: true }),
  };
  before(async () => {
    buildRust();
    s.relay = await startRelay(env);
    if (coordinator) s.coord = await startCoordinator(s.relay);
    s.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    s.shots = screenshotDir();
    ready(s);
  });
  after(async () => {
    await s.browser?.close();
    s.coord?.stop();
    s.relay?.stop();
  });
  return s;
}

/** Asks for a live chat on `page` and waits until `coord` has claimed it and the visitor sees who answers. */
export async function claimedChat(page, coord, talk = 'Talk to someone now') {
  await page.getByRole('button', { name: talk }).click();
  await coord.cmd('wait_claim');
  await page.getByText(`You are talking to ${coord.alias}`).waitFor();
}

/** Collects CSP violations, page errors and any request that is not to the relay. */
export function watch(page, base) {
  const problems = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push('CSP: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith(base.replace('http', 'ws')) && !u.startsWith('data:') && u !== 'about:blank') problems.push('third-party request: ' + u);
  });
  return problems;
}

/**
 * A phone too slow for the line: its proof-of-work workers report progress (about 1.5% of a
 * 2^28 search every 200 ms, so the bar moves) and never find a solution. For the tests of
 * stopping and giving up, whose outcome must not depend on luck: a real search at 2^28 found
 * a solution before the test looked about once in seventy runs (a CI run of 2026-12-02). The
 * widget and the relay are the real ones; only the device's speed is not. Returns how many
 * such workers the page has started.
 */
export async function slowPhone(page) {
  const made = { count: 0 };
  await page.route(
    (url) => url.pathname.endsWith('/pow-worker.js'),
    (route) => {
      made.count++;
      return route.fulfill({
        contentType: 'text/javascript',
        body: "onmessage = () => { let tried = 0; setInterval(() => postMessage({ type: 'progress', tried: (tried += 1 << 22) }), 200); };",
      });
    },
  );
  return made;
}

/** Remembers how many history entries the visitor's own navigation made, before the widget. */
export async function markHistory(page) {
  page.historyAtLoad = await page.evaluate(() => history.length);
}

/**
 * Nothing of the visit on the device: no cookie, no local/session storage, no IndexedDB
 * database, no CacheStorage entry, no service worker, and no history entry added by
 * the widget (`markHistory` counted the visitor's own navigation first).
 */
export async function noTrace(page, context, historyAtLoad = page.historyAtLoad) {
  assert.ok(historyAtLoad >= 1, 'markHistory ran after the page loaded');
  assert.deepEqual(await context.cookies(), [], 'no cookie');
  const kept = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    idb: (await indexedDB.databases()).length,
    caches: (await caches.keys()).length,
    workers: (await navigator.serviceWorker.getRegistrations()).length,
  }));
  assert.deepEqual(kept, { local: 0, session: 0, idb: 0, caches: 0, workers: 0 });
  const entries = await page.evaluate(() => history.length);
  assert.ok(entries <= historyAtLoad, `the widget added no history entry (${entries} > ${historyAtLoad})`);
}

/** axe-core (WCAG 2.2 A/AA): every violation on the page now, of any impact. */
export async function axe(page) {
  const result = await page.evaluate(async (src) => {
    if (!window.axe) (0, eval)(src);
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] });
    return { violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0]?.target })), passes: r.passes.length };
  }, AXE);
  assert.ok(result.passes > 5, 'axe actually ran');
  return result.violations;
}

/** Reconnecting has failed long enough for the widget to count the service unreachable. */
export async function unreachable(page) {
  await page.waitForFunction(() => JSON.parse(document.querySelector('.ll-status')?.dataset.key ?? '[]')[2] === true, null, { timeout: 30000 });
}
