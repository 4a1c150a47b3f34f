// Proof-of-work that respects a slow phone: while the widget works on a hard challenge, the
// bar moves, and "Back" stops the search (the worker is gone), sends nothing (no hello: the
// relay holds nothing of this visitor) and shows the home screen again. The phone here has
// eight cores, so the search runs in four workers, and all of them stop. A search given up as
// too slow still leaves the visitor a way out: "End and wipe" goes home. In both the relay
// asks the most a seed may (2^28) and the phone is too slow for it (suite.mjs, slowPhone):
// its search never ends by luck before the test looks.
// The quick exit while the config is still loading: the config that comes after is dropped
// and no ticket search starts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, markHistory, PHONE, slowPhone, watch } from './suite.mjs';
import { startRelay } from './harness.mjs';

const s = browserSuite({ coordinator: false });
let hard;
after(() => hard?.stop());
const HARDEST = { LIFELINE_POW_BASE_DIFFICULTY: '28', LIFELINE_POW_MAX_DIFFICULTY: '28' };

test('Back during a long proof-of-work: the search stops, nothing is sent, home again', async () => {
  await s.ready;
  hard ??= await startRelay(HARDEST);
  const context = await s.browser.newContext(PHONE);
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 8 }));
  const page = await context.newPage();
  const problems = watch(page, hard.base);
  await slowPhone(page);
  await page.goto(hard.base + '/help');
  await markHistory(page);
  const sent = [];
  let socket = null;
  page.on('websocket', (ws) => {
    socket = ws;
    ws.on('framesent', (f) => sent.push(JSON.parse(f.payload).type));
  });
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  const bar = page.getByRole('progressbar', { name: 'Preparation progress' });
  await bar.waitFor();
  await page.waitForFunction(() => Number(document.querySelector('progress')?.value) > 0, null, { timeout: 60_000 });
  assert.equal(page.workers().length, 4, 'the search runs in one worker per spare core, at most four');
  const stopped = Promise.all(page.workers().map((w) => w.waitForEvent('close', { timeout: 10_000 })));
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  await stopped; // every worker was terminated
  await page.waitForTimeout(500);
  assert.ok(socket?.isClosed(), 'the socket is closed');
  assert.deepEqual(sent, [], 'not a frame was sent: no hello, no end');
  assert.deepEqual(problems, []);
  await context.close();
});

test('four workers find a solution the relay accepts', async () => {
  const context = await s.browser.newContext(PHONE);
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 8 }));
  const page = await context.newPage();
  const problems = watch(page, s.relay.base);
  const got = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => got.push(JSON.parse(f.payload).type)));
  // Counted as the page makes them: Playwright's 'worker' event can miss one that found the
  // solution (and was stopped) before Playwright attached to it.
  await page.addInitScript(() => {
    const Made = window.Worker;
    window.__workersMade = 0;
    window.Worker = class extends Made {
      constructor(...args) {
        super(...args);
        window.__workersMade++;
      }
    };
  });
  await page.goto(s.relay.base + '/help');
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  for (let i = 0; i < 600 && !got.includes('welcome'); i++) await page.waitForTimeout(100);
  assert.equal(await page.evaluate(() => window.__workersMade), 4);
  assert.ok(got.includes('welcome'), `the relay took the hello: ${got}`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a proof-of-work given up as too slow: the numbers and the tip path, and End and wipe goes home', { timeout: 120_000 }, async () => {
  await s.ready;
  hard ??= await startRelay(HARDEST);
  const context = await s.browser.newContext(PHONE);
  const page = await context.newPage();
  const problems = watch(page, hard.base);
  const slow = await slowPhone(page);
  // launcher mode: Esc leaves only while the focus is in the widget
  await page.goto(hard.base + '/');
  await page.getByRole('button', { name: 'Get help' }).click();
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByRole('button', { name: 'Back', exact: true }).focus();
  // POW_MAX_MS (20 s) later
  await page.getByText('The line is too busy for this device').waitFor({ timeout: 60_000 });
  assert.ok(slow.count > 0, 'the search ran in the slow worker');
  assert.ok(await page.getByRole('button', { name: 'Leave a tip instead' }).isVisible());
  // Back, which held the focus, is gone: the focus stays in the widget, so Esc still leaves
  assert.ok(await page.evaluate(() => !!document.activeElement?.closest('.ll-panel')), 'the focus stayed in the widget');
  await page.getByRole('button', { name: 'End and wipe' }).click();
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor({ timeout: 5_000 });
  await page.keyboard.press('Escape');
  await page.waitForURL(hard.base + '/healthz');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the quick exit while the config loads: a config that arrives after it is never used, and no search starts', { timeout: 60_000 }, async () => {
  await s.ready;
  const context = await s.browser.newContext(PHONE);
  const page = await context.newPage();
  let release;
  const held = new Promise((r) => (release = r));
  await page.route(s.relay.base + '/v1/config', async (route) => {
    const body = await (await route.fetch()).json();
    await held;
    // someone on duty: the ticket would be searched ahead once the home screen is drawn
    await route.fulfill({ json: { ...body, on_duty: 1 } });
  });
  // the exit's page (the snippet's, as the config has not come) never answers, so this page
  // lives on after the exit, as on a slow line
  await page.route(s.relay.base + '/help', async (route) => {
    const html = await (await route.fetch()).text();
    await route.fulfill({ contentType: 'text/html', body: html.replace('data-organisation=', 'data-exit-url="/weather" data-organisation=') });
  });
  await page.route(s.relay.base + '/weather', () => {});
  await page.goto(s.relay.base + '/help');
  await page.getByRole('heading', { name: 'Connecting securely…' }).waitFor();
  // (the click does not wait for the navigation, which never ends)
  await page.getByRole('button', { name: /^Emergency exit/ }).click({ noWaitAfter: true });
  // a 16-bit search ends in moments: its workers are counted as they start
  let started = 0;
  page.on('worker', () => started++);
  release();
  await page.waitForTimeout(2500);
  assert.equal(new URL(page.url()).pathname, '/help', 'the page lived on meanwhile');
  assert.equal(started, 0, 'no search started after the exit');
  await context.close();
});
