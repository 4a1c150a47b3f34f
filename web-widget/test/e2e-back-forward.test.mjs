// The back/forward cache: an organisation's own page that the browser may keep in memory when
// the visitor follows a link away. Back must not bring back what the widget held (replies read,
// the receipt code, a tip being written): leaving the page wipes it all, as the quick exit does,
// and the widget starts afresh when the page is shown again. Playwright turns the cache off by
// default; this file runs its own Chromium with it on, and checks the page really came back
// from the cache, so the test cannot pass on a plain reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { browserSuite, CHROMIUM_ARGS, PHONE, watch } from './suite.mjs';

const s = browserSuite({ coordinator: false });
let relay, browser, host, hostBase;
const DRAFT = 'A van comes on Fridays.';

before(async () => {
  ({ relay } = await s.ready);
  const sri = JSON.parse(readFileSync(new URL('../dist/sri.json', import.meta.url), 'utf8'));
  const org = (await (await fetch(relay.base + '/v1/config')).json()).organisation;
  // A plain, cacheable host page on another origin (the relay's own pages are no-store, which
  // keeps them out of the cache), and a page to go away to.
  host = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (req.url === '/away') return res.end('<!doctype html><html lang="en"><title>Weather</title><h1>Weather</h1>');
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body><h1>Our organisation</h1>
<script src="${relay.base}/widget/lifeline.js" integrity="${sri['lifeline.js']}" crossorigin="anonymous" data-organisation="${org}" data-mode="launcher" data-numbers='[{"label":"Emergency services","number":"112"}]' defer></script></body></html>`);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  hostBase = `http://127.0.0.1:${host.address().port}`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, ignoreDefaultArgs: ['--disable-back-forward-cache'] });
});
after(async () => {
  await browser?.close();
  host?.close();
});

test('Back to a page kept in the back/forward cache: no replies, receipt code or tip draft come back; the widget starts afresh', async () => {
  const context = await browser.newContext(PHONE);
  // counts the times the page came back from the cache (an init script does not run then)
  await context.addInitScript(() => addEventListener('pageshow', (e) => e.persisted && (window.fromCache = (window.fromCache ?? 0) + 1)));
  const page = await context.newPage();
  const problems = watch(page, relay.base);
  await page.goto(hostBase + '/');
  await page.getByRole('button', { name: 'Get help' }).click();
  // a tip filed: its receipt code is kept for "Show my receipt code again"
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill('They are kept in the basement at night.');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 60_000 });
  const code = (await page.locator('.ll-code [aria-hidden]').textContent()).trim();
  await page.getByRole('button', { name: 'I have it' }).click();
  // a second tip begun and left: its words are kept for the form
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill(DRAFT);
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  // the replies read: the receipt's keys are in memory and the replies on screen
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'Replies' }).waitFor({ timeout: 30_000 });

  await page.goto(hostBase + '/away');
  // a page restored from the cache fires no load event
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => document.readyState === 'complete');
  assert.equal(await page.evaluate(() => window.fromCache), 1, 'the page came back from the back/forward cache');
  assert.equal(await page.getByRole('heading', { name: 'Replies' }).count(), 0, 'the replies are gone');
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Show my receipt code again' }).count(), 0, 'the receipt code is gone');
  assert.equal(await page.getByText(code).count(), 0);
  await page.getByRole('button', { name: 'Report a tip' }).click();
  assert.equal(await page.getByLabel('What would you like to tell us?').inputValue(), '', 'the draft is gone');
  assert.deepEqual(problems.filter((p) => !p.includes(hostBase)), [], 'nothing but the host page and the relay');
  await context.close();
});
