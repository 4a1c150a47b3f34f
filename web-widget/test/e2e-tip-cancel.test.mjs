// A tip's proof-of-work too hard for the phone to finish while the visitor writes (the relay
// under load): after Send the bar moves and "Back" stops the search (its workers are gone),
// files nothing, and shows the form again with the words kept. Leaving the form stops the
// search it started again. The phone has eight cores, so each search runs in four workers.
// A second tip that fails leaves the first receipt code as it was; opening a code is its own
// step, with its own words and Back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { browserSuite, PHONE, slowPhone, watch } from './suite.mjs';
import { startRelay } from './harness.mjs';

// The most a seed may ask (2^28), of a phone too slow for it (suite.mjs, slowPhone): a real
// search, even at 2^28, sometimes found a solution before Back, filing the tip
const s = browserSuite({ coordinator: false, env: { LIFELINE_POW_BASE_DIFFICULTY: '28', LIFELINE_POW_MAX_DIFFICULTY: '28' } });
const TIP = 'They are kept in the basement at night.';
const FOLLOWUP_SENT = JSON.parse(readFileSync(new URL('../src/locales/en.json', import.meta.url), 'utf8')).followup_sent;

/** Waits for the search's four workers; `closed` resolves once all of them are gone. */
async function searchUnderWay(page) {
  for (let i = 0; i < 300 && page.workers().length < 4; i++) await page.waitForTimeout(100);
  assert.equal(page.workers().length, 4, 'the search runs in four workers');
  return { closed: Promise.all(page.workers().map((w) => w.waitForEvent('close', { timeout: 20_000 }))) };
}

test('Back while a hard tip search runs after Send: the search stops, nothing is filed, the words are kept', async () => {
  await s.ready;
  const context = await s.browser.newContext(PHONE);
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 8 }));
  const page = await context.newPage();
  const problems = watch(page, s.relay.base);
  await slowPhone(page);
  const filed = [];
  page.on('request', (r) => r.url().endsWith('/v1/tips') && filed.push(r.postData()));
  await page.goto(s.relay.base + '/help');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill(TIP);
  // the search started with the writing, and goes on after Send
  const first = await searchUnderWay(page);
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Encrypting and sending your tip…' }).waitFor();
  await page.waitForFunction(() => Number(document.querySelector('progress')?.value) > 0, null, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await first.closed;
  assert.equal(await page.getByLabel('What would you like to tell us?').inputValue(), TIP, 'the words are kept');
  assert.equal(await page.getByRole('alert').count(), 0, 'going back is not an error');

  // back on the form with words, the work starts again; leaving the form stops it
  const second = await searchUnderWay(page);
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  await second.closed;
  await page.waitForTimeout(500);
  assert.deepEqual(filed, [], 'no tip was filed');
  assert.deepEqual(problems, []);
  await context.close();
});

// a relay at its usual difficulty, so a tip is filed while the test looks
let easy;
after(() => easy?.stop());

/** A phone on the relay with an easy proof-of-work, one tip filed there: its code. */
async function withFiledTip() {
  await s.ready;
  easy ??= await startRelay();
  const context = await s.browser.newContext(PHONE);
  const page = await context.newPage();
  const problems = watch(page, easy.base);
  return { context, page, problems, code: await fileTip(page) };
}

/** Files a tip on the easy relay; returns the receipt code shown, back on the home screen. */
async function fileTip(page) {
  await page.goto(easy.base + '/help');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill(TIP);
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 60_000 });
  const code = (await page.locator('.ll-code [aria-hidden]').textContent()).trim();
  await page.getByRole('button', { name: 'I have it' }).click();
  return code;
}

test('a second tip that cannot be sent leaves the first receipt code intact, shown again as it was', async () => {
  const { context, page, problems, code } = await withFiledTip();
  // the second tip never reaches the relay
  await page.route(easy.base + '/v1/tips', (route) => route.abort());
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill('And a van comes on Fridays.');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('alert').filter({ hasText: 'The tip could not be sent' }).waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await page.getByRole('button', { name: 'Show my receipt code again' }).click();
  assert.equal((await page.locator('.ll-code [aria-hidden]').textContent()).trim(), code, 'the first code, not a wiped one');
  assert.match(code, /^[2-9A-HJKMNP-Z]{20}$/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('Home while a follow-up is searching: the search stops, nothing is sent', async () => {
  const { context, page, problems, code } = await withFiledTip();
  // From here the phone is too slow to finish any search.
  await slowPhone(page);
  const sent = [];
  page.on('request', (r) => r.url().endsWith('/v1/receipt/followup') && sent.push(r.postData()));
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'Replies' }).waitFor({ timeout: 60_000 });
  await page.getByLabel('Add more information or answer').fill('One more thing.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  for (let i = 0; i < 300 && page.workers().length === 0; i++) await page.waitForTimeout(100);
  assert.ok(page.workers().length > 0, 'the follow-up search runs in workers');
  const closed = Promise.all(page.workers().map((w) => w.waitForEvent('close', { timeout: 20_000 })));
  await page.getByRole('button', { name: 'Back to start' }).click();
  await closed;
  assert.equal(page.workers().length, 0, 'no worker searches for a screen nobody is on');
  assert.deepEqual(sent, [], 'nothing sent');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a tip and a follow-up whose answers are lost on the way back, sent again: each filed once, the tip under one code that opens it (F-57)', async () => {
  await s.ready;
  easy ??= await startRelay();
  const context = await s.browser.newContext(PHONE);
  const page = await context.newPage();
  const problems = watch(page, easy.base);
  // The relay files the first send; its answer never reaches the phone (the line dropped).
  const sent = [];
  await page.route(easy.base + '/v1/tips', async (route) => {
    const response = await route.fetch();
    sent.push({ lookup: JSON.parse(route.request().postData()).lookup, status: response.status() });
    if (sent.length === 1) return route.abort('connectionreset');
    return route.fulfill({ response });
  });
  await page.goto(easy.base + '/help');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill(TIP);
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('alert').filter({ hasText: 'The tip could not be sent' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.getByLabel('What would you like to tell us?').inputValue(), TIP, 'the words are kept');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 60_000 });
  assert.deepEqual(sent.map((x) => x.status), [200, 409], 'filed by the first send; the second was told it is there');
  assert.equal(sent[1].lookup, sent[0].lookup, 'sent again under the same code');
  const code = (await page.locator('.ll-code [aria-hidden]').textContent()).trim();
  await page.getByRole('button', { name: 'I have it' }).click();
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'Replies' }).waitFor({ timeout: 60_000 });

  // A follow-up whose answer is lost the same way: sent again as it was, which the relay keeps once.
  const followups = [];
  await page.route(easy.base + '/v1/receipt/followup', async (route) => {
    const response = await route.fetch();
    followups.push({ body: route.request().postData(), status: response.status() });
    if (followups.length === 1) return route.abort('connectionreset');
    return route.fulfill({ response });
  });
  await page.getByLabel('Add more information or answer').fill('Two of them are children.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator('#ll-followup-status').filter({ hasText: 'could not be sent' }).waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator('#ll-followup-status').filter({ hasText: FOLLOWUP_SENT }).waitFor({ timeout: 60_000 });
  assert.deepEqual(followups.map((x) => x.status), [200, 200]);
  assert.equal(followups[1].body, followups[0].body, 'the same seed and sealed words: filed once (tests/relay_tips.rs)');
  assert.deepEqual(problems, []);
  await context.close();
});

test('opening a receipt code says so in any language, Back returns to the code, and a late answer does nothing', async () => {
  const { context, page, problems, code } = await withFiledTip();
  // the relay's answer is held back until the visitor has left
  let held;
  const asked = new Promise((r) => page.route(easy.base + '/v1/receipt', (route) => r((held = route))));
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'Checking the code… this takes a few seconds.' }).waitFor();
  const fr = JSON.parse(readFileSync(new URL('../src/locales/fr.json', import.meta.url), 'utf8'));
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('heading', { name: fr.checking }).waitFor();
  await page.getByLabel('Language').selectOption('en');
  await asked;
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await page.getByRole('heading', { name: 'Read replies' }).waitFor();
  await held.continue();
  await page.waitForTimeout(1000);
  assert.ok(await page.getByRole('heading', { name: 'Read replies' }).isVisible(), 'the late answer pulled no one anywhere');
  assert.equal(await page.getByRole('alert').count(), 0);
  // a request that fails says what failed: not a tip
  await page.unroute(easy.base + '/v1/receipt');
  await page.route(easy.base + '/v1/receipt', (route) => route.abort());
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 30_000 });
  assert.match(await alert.textContent(), /could not be reached/);
  assert.deepEqual(problems, []);
  await context.close();
});
