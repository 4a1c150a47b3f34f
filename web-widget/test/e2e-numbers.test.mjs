// Issue 15 item 1, in Chromium against a real relay: the help numbers never depend on the
// relay. The snippet's plain-HTML fallback shows them with JavaScript off or the script
// refused; the widget shows them, with the tip option, whenever no one can answer.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay } from './harness.mjs';
import { axe, browserSuite, PHONE, watch } from './suite.mjs';

const s = browserSuite();
let relay, coord, browser;
before(async () => ({ relay, coord, browser } = await s.ready));

const fallback = (page) => page.locator('[data-lifeline-fallback]');

test('JavaScript off: the snippet alone shows the numbers as tel: links, and a link to the help page', async () => {
  const context = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
  const page = await context.newPage();
  for (const path of ['/', '/help']) {
    await page.goto(relay.base + path);
    assert.ok(await fallback(page).isVisible(), path);
    assert.equal(await page.getByRole('link', { name: '112' }).getAttribute('href'), 'tel:112');
    assert.equal(await page.getByRole('link', { name: '211' }).getAttribute('href'), 'tel:211');
  }
  await page.goto(relay.base + '/');
  assert.equal(await page.getByRole('link', { name: 'Talk to someone or leave a tip' }).getAttribute('href'), '/help');
  await s.shot(page, '20-no-javascript');
  await context.close();
});

test('a script refused by SRI (a relay upgraded under an old hash) leaves the fallback visible', async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  const refused = [];
  page.on('console', (m) => /integrity/i.test(m.text()) && refused.push(m.text()));
  await page.route(relay.base + '/widget/lifeline.js', async (route) => {
    const res = await route.fetch();
    route.fulfill({ response: res, body: (await res.text()) + '\n// upgraded\n' });
  });
  await page.goto(relay.base + '/');
  await page.waitForLoadState('load');
  await page.waitForTimeout(300);
  assert.ok(refused.length > 0, 'the browser refused the script for its integrity');
  assert.equal(await page.locator('[data-lifeline-root]').count(), 0, 'the widget did not run');
  assert.ok(await fallback(page).isVisible());
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible());
  await context.close();
});

test('the widget replaces the fallback when it runs, and shows the snippet numbers when /v1/config cannot be reached', async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  const problems = watch(page, relay.base);
  let blocked = true;
  await page.route(relay.base + '/v1/config', (route) => (blocked ? route.abort('connectionrefused') : route.continue()));
  await page.goto(relay.base + '/help');
  await page.getByText('The service could not be reached').waitFor();
  assert.equal(await fallback(page).count(), 0, 'the fallback is replaced, not shown twice');
  assert.equal(await page.getByRole('link', { name: '112' }).getAttribute('href'), 'tel:112', 'numbers from the snippet, not the relay');
  assert.ok(await page.getByRole('link', { name: '211' }).isVisible());
  await s.shot(page, '21-relay-unreachable');
  blocked = false;
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  assert.deepEqual(problems.filter((p) => !p.includes('v1/config')), []);
  await context.close();
  // Launcher mode: no link to a page of the relay that did not answer (it fails the same way;
  // the relay's snippet gives none, the widget drops one): what the page holds, and a retry.
  const other = await browser.newContext(PHONE);
  const embedded = await other.newPage();
  blocked = true;
  await embedded.route(relay.base + '/v1/config', (route) => (blocked ? route.abort('connectionrefused') : route.continue()));
  await embedded.goto(relay.base + '/');
  await embedded.getByRole('button', { name: 'Get help' }).click();
  await embedded.getByText('The service could not be reached').waitFor();
  assert.ok(await embedded.getByRole('link', { name: '112' }).isVisible());
  assert.equal(await embedded.getByRole('link', { name: 'Open the help page to leave a tip' }).count(), 0, 'no dead link to the relay');
  const links = await embedded.locator('[data-lifeline-root] a[href]').evaluateAll((all) => all.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, ['tel:112', 'tel:211'], "the snippet's numbers, and no other link");
  await s.shot(embedded, '21-relay-unreachable-launcher');
  assert.deepEqual(await axe(embedded), [], 'the launcher with the relay unreachable');
  blocked = false;
  await embedded.getByRole('button', { name: 'Try again' }).click();
  await embedded.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  await other.close();
});

test('a stalled connection: after 20 s of "Connecting securely…" the numbers and a way on, not a wait with no end', { timeout: 60_000 }, async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  // the request leaves and nothing ever comes back (Tor, a bad mobile line)
  await page.route(relay.base + '/v1/config', () => {});
  const start = Date.now();
  await page.goto(relay.base + '/help');
  await page.getByText('Connecting securely…').waitFor();
  await page.getByText('The service could not be reached').waitFor({ timeout: 30_000 });
  assert.ok(Date.now() - start >= 19_000, 'given its 20 s');
  assert.equal(await page.getByRole('link', { name: '112' }).getAttribute('href'), 'tel:112');
  assert.ok(await page.getByRole('button', { name: 'Try again' }).isVisible());
  await context.close();
});

test('a chat whose socket brings nothing (a stalled line): after 20 s the numbers and the tip path, retried behind them', { timeout: 60_000 }, async () => {
  const { context, page } = await s.open('/help', { bypassCSP: true });
  let sockets = 0;
  // taken, never answered: no challenge, no close (a line that stalls, a proxy that holds it)
  await page.routeWebSocket(/\/v1\/visitor$/, () => sockets++);
  const start = Date.now();
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByText('We cannot reach the service right now').waitFor({ timeout: 40_000 });
  const waited = Date.now() - start;
  assert.ok(waited >= 19_000 && waited < 35_000, `given its 20 s, not the ping check's 110 s (${waited} ms)`);
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible());
  for (let i = 0; i < 50 && sockets < 2; i++) await page.waitForTimeout(100);
  assert.ok(sockets >= 2, 'tried again behind the notice');
  await page.getByRole('button', { name: 'Leave a tip instead' }).click();
  await page.getByLabel('What would you like to tell us?').waitFor();
  await context.close();
});

test('the line is full: said at once with the numbers and the tip option; retried quietly until a place frees', async () => {
  const full = await startRelay({ LIFELINE_SESSIONS_QUEUE_MAX: '1' });
  try {
    const first = await s.open('/help', {}, { base: full.base });
    await first.page.getByRole('button', { name: 'Talk to someone now' }).click();
    // Queued at the relay, not only solved (its queue frame says no one is on duty): the
    // second, solving its own random search, could otherwise take the one place first.
    await first.page.getByText('No one can answer right now').waitFor();
    const second = await s.open('/help', { bypassCSP: true }, { base: full.base });
    await second.page.getByRole('button', { name: 'Talk to someone now' }).click();
    await second.page.getByText('The line is full right now').waitFor({ timeout: 15000 });
    assert.ok(await second.page.getByRole('link', { name: '112' }).isVisible());
    assert.ok(await second.page.getByRole('button', { name: 'Leave a tip instead' }).isVisible());
    await s.shot(second.page, '22-line-full');
    assert.deepEqual(await axe(second.page), [], 'line full');
    // the first visitor leaves: the second gets in without doing anything
    await first.page.getByRole('button', { name: 'End and wipe' }).click();
    await second.page.getByText('Waiting for someone to answer').waitFor({ timeout: 20000 });
    assert.equal(await second.page.getByText('The line is full right now').count(), 0);
    await first.context.close();
    await second.context.close();
  } finally {
    full.stop();
  }
});

test('a reconnect failing for 20 s shows the numbers and the tip option, keeps trying, and recovers', async () => {
  const { context, page } = await s.open('/help', { bypassCSP: true });
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByText('Waiting for someone to answer').waitFor();
  await context.setOffline(true);
  await page.getByText('Connection lost. Reconnecting…').waitFor();
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible(), 'never a bare "Reconnecting…"');
  await page.getByText('We cannot reach the service right now').waitFor({ timeout: 25000 });
  assert.ok(await page.getByRole('button', { name: 'Leave a tip instead' }).isVisible());
  await s.shot(page, '23-unreachable');
  assert.deepEqual(await axe(page), [], 'unreachable');
  await context.setOffline(false);
  await page.getByText('Waiting for someone to answer').waitFor({ timeout: 20000 });
  assert.equal(await page.getByText('We cannot reach the service right now').count(), 0);
  await page.getByRole('button', { name: 'End and wipe' }).click();
  await context.close();
});

test('a coordinator whose handshake cannot be verified: the chat stops, with the numbers and the tip option', async () => {
  await coord.cmd('duty');
  const { context, page } = await s.open('/help', { bypassCSP: true });
  // A relay in the middle alters the coordinator's message 2 (inside its encrypted static key).
  await page.routeWebSocket(/\/v1\/visitor$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      const f = JSON.parse(m);
      if (f.type === 'deliver' && f.kind === 'handshake') {
        const body = Buffer.from(f.body, 'base64url');
        body[40] ^= 1;
        f.body = body.toString('base64url');
      }
      ws.send(JSON.stringify(f));
    });
  });
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await coord.cmd('wait_claim');
  await page.getByText('Something went wrong with the secure connection').waitFor();
  assert.equal(await page.getByText(`You are talking to ${coord.alias}`).count(), 0, 'no alias shown for an unverified coordinator');
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible());
  assert.deepEqual(await axe(page), [], 'unverified coordinator');
  await page.getByRole('button', { name: 'Leave a tip instead' }).click();
  await page.getByLabel('What would you like to tell us?').waitFor();
  await context.close();
});
