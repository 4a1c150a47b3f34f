// Issue 18: the desk's opt-in alert and its passphrase throttle, in Chromium against a real
// relay and the real `lifeline desk`. The notification permission is granted and an init
// script records every `Notification` made and every tone started (`OscillatorNode.start`):
// with alerts off a new visitor raises neither; turned on, a new visitor plays the tone and,
// while the desk is in the background, raises one notification whose title and body never
// hold the visitor's words. At the lock, wrong passphrases make the desk's own throttle wait:
// the page says how long, the right passphrase is not heard until then, and then it is.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from './harness.mjs';
import { browserSuite, watch } from './suite.mjs';
import { startDesk } from './desk-checks.mjs';
import { queuedVisitor, unlockDesk } from './desk-steps.mjs';

const target = process.env.LIFELINE_E2E_TARGET_DIR ?? process.env.CARGO_TARGET_DIR ?? join(process.env.LIFELINE_E2E_REPO ?? repo, 'target');
const PASSPHRASE = 'a passphrase for the alerts';

const s = browserSuite({ coordinator: false });
let relay, browser, desk;

before(async () => {
  ({ relay, browser } = await s.ready);
  desk = await startDesk(join(target, 'debug', 'lifeline'), ['--relay', `ws://127.0.0.1:${relay.port}`, '--dev-keys', join(relay.keys, 'dev-coordinator'), '--resources', join(repo, 'config', 'resources.toml'), '--lock-after', '600']);
});
after(() => desk?.proc.kill());

/** Records notifications and tones; `window.away` stands for the desk's tab in the background. */
const RECORDER = () => {
  window.notified = [];
  window.tones = 0;
  window.away = false;
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      window.notified.push({ title, body: options?.body ?? '' });
      super(title, options);
    }
  };
  Object.defineProperty(window.Notification, 'permission', { get: () => Real.permission });
  window.Notification.requestPermission = (...a) => Real.requestPermission(...a);
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...a) {
    window.tones += 1;
    return start.apply(this, a);
  };
  Object.defineProperty(Document.prototype, 'hidden', { get: () => window.away });
};

/** A visitor queued with a first message; their browser context. */
const visitor = async (first) => (await queuedVisitor(s, first)).context;

const recorded = (page) => page.evaluate(() => ({ notified: window.notified, tones: window.tones }));

test('alerts are opt-in, never carry message text, and wrong passphrases wait as the page says', { timeout: 180000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-GB' });
  await context.grantPermissions(['notifications'], { origin: desk.origin });
  await context.addInitScript(RECORDER);
  const page = await context.newPage();
  const problems = watch(page, desk.origin);
  await page.goto(desk.url);
  await unlockDesk(page, PASSPHRASE);
  await page.getByRole('button', { name: 'Go on duty' }).click();
  await page.getByText('You are on duty.').waitFor();
  await page.evaluate(() => (window.away = true));

  // Alerts off (the default): a new visitor rings nothing.
  const first = await visitor('My first words, private.');
  await page.getByRole('heading', { name: 'Waiting (1)' }).waitFor({ timeout: 30000 });
  await page.waitForTimeout(1500);
  assert.deepEqual(await recorded(page), { notified: [], tones: 0 }, 'nothing while alerts are off');

  // On: the next visitor plays the tone and raises one notification, with no message text.
  const toggle = page.locator('[data-key="alerts"]');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  const second = await visitor('My second words, also private.');
  await page.getByRole('heading', { name: 'Waiting (2)' }).waitFor({ timeout: 30000 });
  await page.waitForFunction(() => window.notified.length > 0 && window.tones > 0, null, { timeout: 10000 });
  const { notified, tones } = await recorded(page);
  assert.equal(notified.length, 1, 'one notification for one new visitor');
  assert.ok(tones >= 1, 'the tone played');
  assert.deepEqual(notified[0], { title: 'Lifeline desk', body: 'Someone is waiting for a reply.' });
  for (const words of ['first words', 'second words', 'private']) assert.ok(!JSON.stringify(notified).includes(words), 'no message text in a notification');

  // The throttle at the lock: two wrong tries are free, the third makes the desk wait.
  await page.evaluate(() => (window.away = false));
  // A question left open goes with the lock (a native confirm() would have stopped the
  // page's script, leaving the shift on screen behind it).
  await page.getByRole('button', { name: 'End shift' }).click();
  await page.getByRole('dialog', { name: /End your shift/ }).waitFor();
  await page.keyboard.press('Alt+KeyL');
  await page.getByRole('heading', { name: 'The desk is locked' }).waitFor();
  assert.equal(await page.getByRole('dialog').count(), 0, 'the question went with the lock');
  assert.equal(await page.getByText('Waiting (2)').count(), 0, 'nothing of the shift behind it');
  for (let i = 0; i < 3; i++) {
    await page.getByLabel('Passphrase', { exact: true }).fill(`wrong passphrase ${i}`);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByText('That passphrase is not right. Try again.').waitFor();
    if (i < 2) await page.waitForFunction(() => document.getElementById('unlock-wait')?.textContent === '', null, { timeout: 10000 });
  }
  await page.getByText(/You can try again in [12] s\./).waitFor({ timeout: 10000 });
  // Typed during the wait: not heard, and the field is not wiped by the countdown.
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.waitForTimeout(700);
  assert.ok(await page.getByRole('heading', { name: 'The desk is locked' }).isVisible(), 'a try during the wait is not heard');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.waitForFunction(() => document.getElementById('unlock-wait')?.textContent === '', null, { timeout: 10000 });
  assert.equal(await page.getByLabel('Passphrase', { exact: true }).inputValue(), PASSPHRASE, 'the countdown left the field alone');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('heading', { name: 'Waiting (2)' }).waitFor({ timeout: 10000 });

  assert.deepEqual(problems, [], 'no CSP violation, page error or request elsewhere');
  for (const c of [first, second, context]) await c.close();
});
