// A coordinator who locks the desk and walks away, in Chromium against a real relay and the
// real `lifeline desk` (`--off-duty-after 3`). Past the limit the desk goes off duty and
// gives the visitor it holds back to the queue: with nobody else on duty, the visitor, who
// was mid-chat, is shown the numbers they can call and the tip path instead of a wait no one
// will end. At unlock the desk says what happened, the transcript says where the visitor
// went, and back on duty the coordinator answers the same visitor again (a fresh handshake).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from './harness.mjs';
import { browserSuite, watch } from './suite.mjs';
import { startDesk } from './desk-checks.mjs';
import { queuedVisitor, unlockDesk } from './desk-steps.mjs';

const target = process.env.LIFELINE_E2E_TARGET_DIR ?? process.env.CARGO_TARGET_DIR ?? join(process.env.LIFELINE_E2E_REPO ?? repo, 'target');
const PASSPHRASE = 'a passphrase for a break';

const s = browserSuite({ coordinator: false });
let relay, browser, desk;

before(async () => {
  ({ relay, browser } = await s.ready);
  desk = await startDesk(join(target, 'debug', 'lifeline'), ['--relay', `ws://127.0.0.1:${relay.port}`, '--dev-keys', join(relay.keys, 'dev-coordinator'), '--resources', join(repo, 'config', 'resources.toml'), '--lock-after', '600', '--off-duty-after', '3']);
});
after(() => desk?.proc.kill());

test('a desk locked past its limit gives its visitor back: the visitor sees the numbers, the coordinator answers again on return', { timeout: 120000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-GB' });
  const page = await context.newPage();
  const problems = watch(page, desk.origin);
  await page.goto(desk.url);
  await unlockDesk(page, PASSPHRASE);
  await page.getByRole('button', { name: 'Go on duty' }).click();
  await page.getByText('You are on duty.').waitFor();

  const visitor = await queuedVisitor(s, 'Is anyone there?');
  await page.getByRole('heading', { name: 'Waiting (1)' }).waitFor({ timeout: 30000 });
  await page.keyboard.press('Alt+N');
  await page.locator('.line.them').getByText('Is anyone there?').waitFor({ timeout: 30000 });
  await page.getByLabel('Message').fill('I am here.');
  await page.getByLabel('Message').press('Enter');
  await visitor.page.getByRole('log').getByText('I am here.', { exact: true }).waitFor({ timeout: 15000 });

  // Locked, and left: the visitor mid-chat is not left waiting on nobody.
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.getByRole('heading', { name: 'The desk is locked' }).waitFor();
  await visitor.page.getByText('No one can answer right now').waitFor({ timeout: 30000 });
  assert.ok(await visitor.page.getByRole('link', { name: '112' }).isVisible(), 'the numbers, as links');
  assert.ok(await visitor.page.getByRole('button', { name: 'Leave a tip instead' }).isVisible(), 'the tip path');
  assert.equal(await visitor.page.getByLabel('Your message').isVisible(), false, 'no message box that nobody reads');
  const log = await visitor.page.evaluate(() => {
    const l = document.querySelector('.ll-log');
    return { end: l.scrollTop + l.clientHeight >= l.scrollHeight - 4, last: l.lastElementChild?.textContent };
  });
  assert.ok(log.end, `the newest line of the log is in sight (${log.last})`);
  await s.shot(visitor.page, '60-chat-coordinator-locked-away');

  // Back: the desk says what happened, and does not put the coordinator on duty by itself.
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByText('You were taken off duty after 3 s locked, and 1 conversation went back to the queue for a colleague.', { exact: false }).waitFor({ timeout: 15000 });
  await page.getByText('Back in the queue while you were away', { exact: false }).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Go on duty' }).isVisible(), 'off duty until the coordinator chooses');

  // On duty again: the same visitor, still waiting, is answered again with a fresh handshake.
  await page.keyboard.press('Alt+D');
  await page.getByRole('heading', { name: 'Waiting (1)' }).waitFor({ timeout: 30000 });
  await page.keyboard.press('Alt+N');
  await page.getByText('You joined. The visitor sees your verified name.').last().waitFor({ timeout: 30000 });
  await page.getByLabel('Message').fill('Sorry, I am back.');
  await page.getByLabel('Message').press('Enter');
  await visitor.page.getByRole('log').getByText('Sorry, I am back.', { exact: true }).waitFor({ timeout: 15000 });
  assert.ok(await visitor.page.getByLabel('Your message').isVisible(), 'the message box is back');

  assert.deepEqual(problems, [], 'no CSP violation, page error or request elsewhere');
});
