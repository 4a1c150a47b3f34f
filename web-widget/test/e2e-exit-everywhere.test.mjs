// The quick exit on every screen a visitor can reach at /help, on a 360×640 phone: the button,
// Esc and Shift ×3 each leave at once for the neutral page with location.replace (Back does
// not return to /help), and nothing of the visit is left on the device. The relay keeps the
// chat's resume token in sessionStorage (operator option), so the chat screens have something
// stored for the exit to wipe.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, markHistory, noTrace, PHONE, watch, claimedChat } from './suite.mjs';

const s = browserSuite({ env: { LIFELINE_WIDGET_RESUME_IN_SESSION_STORAGE: 'true' } });
let coord;
before(async () => ({ coord } = await s.ready));

const VIEW = { ...PHONE, viewport: { width: 360, height: 640 } };
const TALK = 'Talk to someone now';
const TIP_LABEL = 'What would you like to tell us?';
/** A tip's receipt code, filed by the receipt-screen test and used by the later ones. */
let code = null;

/** A fresh phone that came from another page of the site, then opened /help. */
async function openHelp({ beforeLoad, wait = true } = {}) {
  const context = await s.browser.newContext(VIEW);
  const page = await context.newPage();
  const problems = watch(page, s.relay.base);
  await page.goto(s.relay.base + '/healthz?visited-before');
  if (beforeLoad) await beforeLoad(page);
  await page.goto(s.relay.base + '/help');
  await markHistory(page);
  if (wait) await page.getByRole('button', { name: TALK }).waitFor();
  return { context, page, problems };
}

/** Uses the quick exit by `how`, then checks where the visitor is and what is left. */
async function exitAndCheck({ context, page, problems }, how) {
  const neutral = s.relay.base + '/healthz';
  const exit = page.getByRole('button', { name: /^Emergency/ });
  assert.equal(await exit.count(), 1, 'one exit button on screen');
  assert.ok(await exit.isVisible(), 'the exit button is visible');
  // scrolled to the end of whatever scrolls, the button is still on screen and nothing covers it
  const at = await page.evaluate(() => {
    for (const el of [document.querySelector('.ll-panel'), document.querySelector('.ll-log'), document.scrollingElement]) if (el) el.scrollTop = 1e6;
    const b = document.querySelector('.ll-exit').getBoundingClientRect();
    const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    return { top: Math.round(b.top), bottom: Math.round(b.bottom), inView: b.top >= 0 && b.bottom <= innerHeight, uncovered: !!hit?.closest('.ll-exit') };
  });
  assert.ok(at.inView && at.uncovered, `the exit button is on screen and uncovered: ${JSON.stringify(at)}`);
  if (how === 'button') await exit.tap();
  else if (how === 'Escape') await page.keyboard.press('Escape');
  else if (how === 'Shift x3') for (let i = 0; i < 3; i++) await page.keyboard.press('Shift');
  else throw new Error('unknown exit ' + how);
  await page.waitForURL(neutral, { timeout: 5000 });
  assert.equal(await page.locator('[data-lifeline-root]').count(), 0, 'the widget is gone');
  // nothing kept: cookies, session/local storage, IndexedDB, caches, workers, no added entry
  await noTrace(page, context);
  assert.deepEqual(await page.evaluate(() => [sessionStorage.length, localStorage.length]), [0, 0]);
  assert.deepEqual(await context.cookies(), []);
  // Back leads to the page before /help, never to the widget
  await page.goBack({ timeout: 5000 }).catch(() => {});
  await page.waitForLoadState('load');
  assert.notEqual(new URL(page.url()).pathname, '/help', `Back does not return to the widget (${page.url()})`);
  assert.equal(await page.locator('[data-lifeline-root]').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
}

/** Drains the coordinator's stale events (queues of visitors who already left). */
const drain = () => coord.cmd('texts');

test('home, nobody on duty: Esc', async () => {
  const v = await openHelp();
  await v.page.getByText('No one can answer right now').waitFor();
  await exitAndCheck(v, 'Escape');
});

test('the error screen when /v1/config fails: the button', async () => {
  const v = await openHelp({ wait: false, beforeLoad: (page) => page.route(s.relay.base + '/v1/config', (r) => r.abort()) });
  await v.page.getByText('The service could not be reached').waitFor();
  await v.page.getByRole('button', { name: 'Try again' }).waitFor();
  // aborted requests are logged as console errors, not problems; none of them is a CSP one
  await exitAndCheck(v, 'button');
});

test('the loading screen, /v1/config held in flight: Esc', async () => {
  let held;
  const seen = new Promise((r) => (held = r));
  const v = await openHelp({ wait: false, beforeLoad: (page) => page.route(s.relay.base + '/v1/config', (route) => held(route)) });
  await seen;
  await v.page.getByRole('heading', { name: 'Connecting securely…' }).waitFor();
  await exitAndCheck(v, 'Escape');
});

test('home in Arabic (right to left): Shift ×3', async () => {
  const v = await openHelp();
  await v.page.getByLabel('Language').first().selectOption('ar');
  await v.page.waitForFunction(() => document.documentElement.dir === 'rtl' && document.documentElement.lang === 'ar');
  await v.page.locator('[data-lifeline-root][dir="rtl"]').waitFor();
  await exitAndCheck(v, 'Shift x3');
});

test('the safety tips: Esc', async () => {
  const v = await openHelp();
  await v.page.getByRole('button', { name: 'Safety tips' }).click();
  await v.page.getByRole('heading', { name: 'Staying safe on this device' }).waitFor();
  await exitAndCheck(v, 'Escape');
});

test('home, someone on duty: the button', async () => {
  await coord.cmd('duty');
  const v = await openHelp();
  await v.page.waitForFunction(() => !document.body.textContent.includes('No one can answer right now'));
  await exitAndCheck(v, 'button');
  await drain();
});

test('chat connecting (no ticket, and the relay never answers the socket): the button', async () => {
  // Without the config's chat ticket the widget waits for the socket's own challenge, which
  // never comes: it stays connecting (with a ticket it would go straight to waiting).
  const noTicket = (page) =>
    page.route(s.relay.base + '/v1/config', async (route) => {
      const res = await route.fetch();
      const config = await res.json();
      delete config.chat_ticket;
      await route.fulfill({ response: res, json: config });
    });
  const v = await openHelp({ beforeLoad: noTicket });
  const { page } = v;
  let opened;
  const open = new Promise((r) => (opened = r));
  await page.routeWebSocket(/\/v1\/visitor$/, () => opened());
  await page.getByRole('button', { name: TALK }).click();
  await open;
  await page.waitForFunction(() => JSON.parse(document.querySelector('.ll-status')?.dataset.key ?? '[]')[0] === 'connecting');
  await exitAndCheck(v, 'button');
});

test('chat, waiting in line: Shift ×3', async () => {
  const v = await openHelp();
  await v.page.getByRole('button', { name: TALK }).click();
  await v.page.getByText('Waiting for someone to answer').waitFor();
  await v.page.getByText(/You are number 1 in line/).waitFor();
  await v.page.getByLabel('Your message').fill('typed while waiting');
  await v.page.waitForFunction(() => sessionStorage.length === 1);
  await exitAndCheck(v, 'Shift x3');
  await drain();
});

test('chat ended by the visitor ("End and wipe"): the button', async () => {
  const v = await openHelp();
  await v.page.getByRole('button', { name: TALK }).click();
  await v.page.getByText('Waiting for someone to answer').waitFor();
  await v.page.getByRole('button', { name: 'End and wipe' }).click();
  await v.page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  await exitAndCheck(v, 'button');
  await drain();
});

test('chat with the browser refusing storage: the chat opens, End ends it, the button', async () => {
  // A privacy-minded visitor's browser (site data blocked) throws on sessionStorage: the
  // resume token is a convenience, and its refusal once left the chat stuck, End dead.
  const refuse = (page) => page.addInitScript(() => {
    Storage.prototype.setItem = () => {
      throw new DOMException('storage refused', 'SecurityError');
    };
  });
  const v = await openHelp({ beforeLoad: refuse });
  await v.page.getByRole('button', { name: TALK }).click();
  await v.page.getByText('Waiting for someone to answer').waitFor();
  await v.page.getByText(/You are number 1 in line/).waitFor();
  await v.page.getByRole('button', { name: 'End and wipe' }).click();
  await v.page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  await exitAndCheck(v, 'button');
  await drain();
});

test('chat live with a verified coordinator, a message each way: Esc while typing', async () => {
  await drain();
  const v = await openHelp();
  const { page } = v;
  await claimedChat(page, coord, TALK);
  assert.ok(await page.getByText('verified by the organisation').isVisible());
  await page.getByLabel('Your message').fill('I need help, please.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await coord.cmd('expect I need help, please.');
  await coord.cmd('send We are here. You are safe to talk.');
  await page.getByRole('log').getByText('We are here. You are safe to talk.').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 1, 'the resume token is stored until the exit');
  await page.getByLabel('Your message').fill('half a sentence');
  // examples/e2e-coordinator.rs has no command to wait for the visitor's end: not asserted here
  await exitAndCheck(v, 'Escape');
  await drain();
});

test('chat ended by the coordinator, the transcript shown: the button', async () => {
  await drain();
  const v = await openHelp();
  const { page } = v;
  await claimedChat(page, coord, TALK);
  await coord.cmd('send Take care. I am closing this now.');
  await page.getByRole('log').getByText('Take care. I am closing this now.').waitFor();
  await coord.cmd('end');
  await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  assert.ok(await page.getByText('Take care. I am closing this now.').isVisible(), 'the transcript is on screen');
  await exitAndCheck(v, 'button');
});

test('the tip form with text typed: Shift ×3', async () => {
  const v = await openHelp();
  await v.page.getByRole('button', { name: 'Report a tip' }).click();
  await v.page.getByLabel(TIP_LABEL).fill('The workers are locked in at night.');
  await exitAndCheck(v, 'Shift x3');
});

test('the receipt code screen: the button', async () => {
  const v = await openHelp();
  const { page } = v;
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel(TIP_LABEL).fill('A van takes the workers away at five every morning.');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 60000 });
  code = (await page.locator('.ll-code .ll-group').allTextContents()).join('-');
  assert.match(code, /^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){4}$/);
  await exitAndCheck(v, 'button');
});

test('"I have a receipt code", the code typed: Shift ×3', async () => {
  assert.ok(code, 'the receipt test filed a tip');
  const v = await openHelp();
  await v.page.getByRole('button', { name: 'I have a receipt code' }).click();
  await v.page.getByLabel('Receipt code').fill(code);
  await exitAndCheck(v, 'Shift x3');
});

test('opening a code (its request held): Shift ×3', async () => {
  assert.ok(code, 'the receipt test filed a tip');
  const v = await openHelp();
  const { page } = v;
  let held;
  const seen = new Promise((r) => (held = r));
  await page.route(s.relay.base + '/v1/receipt', (route) => held(route));
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: /Checking the code/ }).waitFor();
  await seen;
  await exitAndCheck(v, 'Shift x3');
});

test('the replies screen, opened with a code: Esc', async () => {
  assert.ok(code, 'the receipt test filed a tip');
  await coord.cmd('reply_tip Thank you. We have passed this on.');
  const v = await openHelp();
  const { page } = v;
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByText('Thank you. We have passed this on.').waitFor({ timeout: 60000 });
  await page.getByRole('heading', { name: 'Replies' }).waitFor();
  await exitAndCheck(v, 'Escape');
});

test('the tip being sent (its POST held in flight): Esc', async () => {
  const v = await openHelp();
  const { page } = v;
  let held;
  const seen = new Promise((r) => (held = r));
  await page.route(s.relay.base + '/v1/tips', (route) => held(route));
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel(TIP_LABEL).fill('They take the passports on arrival.');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Encrypting and sending your tip…' }).waitFor();
  await seen; // the POST is in flight, and stays so
  assert.equal(await page.getByRole('heading', { name: 'Encrypting and sending your tip…' }).count(), 1);
  await exitAndCheck(v, 'Escape');
});
