// Issue 15 item 4, in Chromium against a real relay and two Rust coordinators: before a
// hand-over the visitor sees the colleague's verified alias and chooses. "Stay" keeps the
// conversation with the coordinator they have (who is told); "Accept" re-keys to the
// colleague, who gets the visitor's language and the sealed note. axe on the consent screen
// in English and in Arabic (right to left), answered with the keyboard alone.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { axe, browserSuite, PHONE } from './suite.mjs';

const s = browserSuite();
let relay, coord, browser;
before(async () => {
  ({ relay, coord, browser } = await s.ready);
  await coord.cmd('duty');
  await coord.cmd('colleague');
});

const UI = {
  en: { talk: 'Talk to someone now', ask: 'Bastien can take over this conversation. Do you agree?', accept: 'Accept', stay: (a) => `Stay with ${a}`, stayed: (a) => `You stay with ${a}.`, talking: (a) => `You are talking to ${a}` },
  ar: { talk: 'تحدث مع شخص الآن', ask: 'يمكن لـ Bastien متابعة هذه المحادثة. هل توافق؟', accept: 'أوافق', stay: (a) => `البقاء مع ${a}`, stayed: (a) => `ستبقى مع ${a}.`, talking: null },
};

async function chatting(lang) {
  const context = await browser.newContext({ ...PHONE, locale: lang === 'ar' ? 'ar-EG' : 'en-GB', bypassCSP: true });
  const page = await context.newPage();
  await page.goto(relay.base + '/help');
  await page.getByRole('button', { name: UI[lang].talk }).click();
  const claimed = await coord.cmd('wait_claim');
  assert.equal(claimed.lang, lang);
  await page.locator('.ll-verified').waitFor();
  return { context, page };
}

async function asked(page, lang) {
  const group = page.getByRole('group', { name: UI[lang].ask });
  await group.waitFor();
  assert.ok(await group.getByText('✔').isVisible(), 'the alias is marked verified');
  // The keyboard is taken to the question; Tab reaches Accept, then Stay.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'group');
  assert.deepEqual(await axe(page), [], `${lang}: the consent screen`);
  await s.shot(page, `50-${lang}-consent`);
  return group;
}

test('declined with the keyboard: the visitor stays, the coordinator is told (English)', async () => {
  const { context, page } = await chatting('en');
  await coord.cmd('transfer');
  await asked(page, 'en');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), UI.en.stay(coord.alias));
  await page.keyboard.press('Enter');
  assert.equal((await coord.cmd('transfer_status')).status, 'declined');
  await page.getByRole('log').getByText(UI.en.stayed(coord.alias)).waitFor();
  await page.getByText(UI.en.talking(coord.alias)).waitFor();
  // the same keys, the same coordinator
  await page.getByLabel('Your message').fill('Thank you for staying');
  await page.keyboard.press('Enter');
  await coord.cmd('expect Thank you for staying');
  await coord.cmd('end');
  await context.close();
});

test('accepted in Arabic (right to left): re-keyed to the colleague, who gets the language and the note', async () => {
  const { context, page } = await chatting('ar');
  assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
  await coord.cmd('transfer Prefers short messages.');
  const group = await asked(page, 'ar');
  assert.ok(await group.getByRole('button', { name: UI.ar.stay(coord.alias) }).isVisible());
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), UI.ar.accept);
  await page.keyboard.press('Enter');
  assert.equal((await coord.cmd('transfer_status')).status, 'accepted');
  const handed = await coord.cmd('colleague_claimed');
  assert.deepEqual([handed.from, handed.lang, handed.note], [coord.alias, 'ar', 'Prefers short messages.']);
  // the widget verified the new coordinator's handshake: its alias is shown
  await page.locator('.ll-said').getByText('Bastien').waitFor();
  // the question (not the "what the server keeps" details, also a group) is gone
  assert.equal(await page.getByRole('group', { name: UI.ar.ask }).count(), 0, 'the question is gone');
  // with it the Accept button that held the focus: the focus stays in the widget, never <body>
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'll-h');
  await context.close();
});
