// The desk from the keyboard alone, in Chromium against a real relay and the real
// `lifeline desk`. Alt+D goes on duty, a visitor waits, Alt+N
// answers them: what the coordinator types next lands in the message box and reaches the
// visitor (it once stayed on the page's body and was lost without a word), even when the
// page hears the desk late (a snapshot drawn before the first keystroke once wiped it, and
// the rest went out scrambled); Alt+1 back to a conversation does the same. Then, at
// 1024×700, 800×600 and 390×844, the status line covers none of the shortcut line and the
// page does not scroll sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from './harness.mjs';
import { browserSuite, watch } from './suite.mjs';
import { startDesk } from './desk-checks.mjs';
import { queuedVisitor, unlockDesk } from './desk-steps.mjs';

const target = process.env.LIFELINE_E2E_TARGET_DIR ?? process.env.CARGO_TARGET_DIR ?? join(process.env.LIFELINE_E2E_REPO ?? repo, 'target');
const PASSPHRASE = 'a passphrase for the keyboard';

const s = browserSuite({ coordinator: false });
let relay, browser, desk, page;

before(async () => {
  ({ relay, browser } = await s.ready);
  desk = await startDesk(join(target, 'debug', 'lifeline'), ['--relay', `ws://127.0.0.1:${relay.port}`, '--dev-keys', join(relay.keys, 'dev-coordinator'), '--resources', join(repo, 'config', 'resources.toml'), '--lock-after', '600']);
});
after(() => desk?.proc.kill());

/** The shortcut line's text boxes that the status line covers, and the status line's text. */
const covered = (page) =>
  page.evaluate(() => {
    const live = document.getElementById('live');
    const box = live.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(document.querySelector('.help'));
    const hit = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0 && r.left < box.right && r.right > box.left && r.top < box.bottom && r.bottom > box.top);
    return { status: live.textContent, covered: hit.map((r) => `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)}`) };
  });

/**
 * Runs `step`; if it fails, says what the desk and the visitor showed then (the pane, the
 * status line, the focused element, the visitor's screen), so a failure names its side.
 */
async function explained(step, visitor, what) {
  try {
    await step();
  } catch (e) {
    const desk = await page.evaluate(() => ({
      pane: document.querySelector('main')?.innerText,
      status: document.getElementById('live')?.textContent,
      focused: document.activeElement?.id || document.activeElement?.tagName,
      draft: document.getElementById('draft')?.value,
    }));
    const seen = await visitor.page.evaluate(() => document.body.innerText).catch((err) => String(err));
    e.message += `\n${what}\ndesk: ${JSON.stringify(desk)}\nvisitor: ${JSON.stringify(seen)}`;
    throw e;
  }
}

const sideways = (page) => page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));

test('from the keyboard alone, the words typed after Alt+N or Alt+1 reach the visitor', { timeout: 180000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 }, locale: 'en-GB' });
  // The link from the desk to its page, held at will (then let go, in order): on a busy
  // machine a snapshot the desk drew before the first keystroke reached it arrives after
  // the typing began.
  let held = null;
  await context.routeWebSocket(/\/ws$/, (ws) => {
    const desk = ws.connectToServer();
    desk.onMessage((m) => (held ? held.push(() => ws.send(m)) : ws.send(m)));
    ws.onMessage((m) => desk.send(m));
  });
  const letGo = () => {
    const waiting = held ?? [];
    held = null;
    for (const send of waiting) send();
  };
  page = await context.newPage();
  const problems = watch(page, desk.origin);
  await page.goto(desk.url);
  await unlockDesk(page, PASSPHRASE);
  await page.getByRole('button', { name: 'Go on duty' }).waitFor({ timeout: 30000 });

  await page.keyboard.press('Alt+D');
  await page.getByText('You are on duty.').waitFor();
  const one = await queuedVisitor(s, 'Is anyone there?');
  await page.getByRole('heading', { name: 'Waiting (1)' }).waitFor({ timeout: 30000 });
  await page.keyboard.press('Alt+N');
  // The coordinator starts typing once the conversation shows, as anyone would.
  await page.getByRole('heading', { name: 'Visitor 1' }).waitFor({ timeout: 30000 });
  await page.locator('.line.them').getByText('Is anyone there?').waitFor({ timeout: 30000 });
  await page.keyboard.type('hi');
  await page.keyboard.press('Enter');
  await explained(() => one.page.getByRole('log').getByText('hi', { exact: true }).waitFor({ timeout: 15000 }), one, 'the visitor reads it');

  // A second visitor, answered the same way; typing starts as soon as the conversation
  // shows, while a snapshot the desk drew before the first keystroke (the visitor wrote
  // again) is still on its way. Then Alt+1 back to the first, and typing again.
  const two = await queuedVisitor(s, 'Hello?');
  await page.getByRole('heading', { name: 'Waiting (1)' }).waitFor({ timeout: 30000 });
  await page.keyboard.press('Alt+N');
  await page.getByRole('heading', { name: 'Visitor 2' }).waitFor({ timeout: 30000 });
  held = [];
  await two.page.getByLabel('Your message').fill('Still there?');
  await two.page.getByLabel('Your message').press('Enter');
  await two.page.getByRole('log').getByText('Still there?').waitFor();
  await page.waitForTimeout(1500);
  await page.keyboard.type('hel');
  letGo();
  await page.waitForTimeout(300);
  await page.keyboard.type('lo two');
  await page.keyboard.press('Enter');
  await explained(() => page.locator('.line.me').getByText('hello two').waitFor({ timeout: 15000 }), two, 'the desk shows what was typed as sent');
  await explained(() => two.page.getByRole('log').getByText('hello two', { exact: true }).waitFor({ timeout: 15000 }), two, 'the visitor reads it');
  await page.locator('#transcript').click();
  await page.keyboard.press('Alt+1');
  await page.getByRole('heading', { name: 'Visitor 1' }).waitFor({ timeout: 30000 });
  await page.keyboard.type('back to you');
  await page.keyboard.press('Enter');
  await explained(() => one.page.getByRole('log').getByText('back to you', { exact: true }).waitFor({ timeout: 15000 }), one, 'the visitor reads it');

  assert.deepEqual(problems, [], 'no CSP violation, page error or request elsewhere');
});

test('at 1024, 800 and 390 px wide the status line covers no shortcut and nothing scrolls sideways', { timeout: 60000 }, async () => {
  // The layout, with a conversation open and a status shown.
  for (const viewport of [{ width: 1024, height: 700 }, { width: 800, height: 600 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(200);
    const { status, covered: hit } = await covered(page);
    assert.notEqual(status.trim(), '', `a status is shown at ${viewport.width}×${viewport.height}`);
    assert.deepEqual(hit, [], `the status line covers none of the shortcut line at ${viewport.width}×${viewport.height}`);
    const { scrollWidth, clientWidth } = await sideways(page);
    assert.ok(scrollWidth <= clientWidth, `no sideways scrolling at ${viewport.width}×${viewport.height}: ${scrollWidth} > ${clientWidth}`);
  }
});
