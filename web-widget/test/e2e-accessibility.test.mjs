// Issue 15 items 5 and 6, in Chromium against a real relay and the Rust coordinator: axe-core
// (WCAG 2.2 A/AA) on every screen in a left-to-right and a right-to-left language, the
// browser's language followed, the layout mirrored in Arabic, keyboard-only use, and the focus
// kept inside the open launcher.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { axe, browserSuite, PHONE } from './suite.mjs';

const s = browserSuite();
let relay, coord, browser;
before(async () => {
  ({ relay, coord, browser } = await s.ready);
  await coord.cmd('duty');
});

// What each screen is called in each language, to drive it (every string from the locale files).
const UI = {
  en: { talk: 'Talk to someone now', tip: 'Report a tip', receipt: 'I have a receipt code', safety: 'Safety tips', back: 'Back', send: 'Send the tip', text: 'What would you like to tell us?', message: 'Your message', sendMsg: 'Send', code: 'Receipt code', open: 'Open', done: 'I have it', wipe: 'Wipe now', home: 'Back to start', received: 'Your tip was received', ended: 'Conversation ended' },
  ar: { talk: 'تحدث مع شخص الآن', tip: 'قدّم بلاغًا', receipt: 'لدي رمز إيصال', safety: 'نصائح للسلامة', back: 'رجوع', send: 'أرسل البلاغ', text: 'ماذا تريد أن تخبرنا؟', message: 'رسالتك', sendMsg: 'إرسال', code: 'رمز الإيصال', open: 'فتح', done: 'احتفظت به', wipe: 'امسح الآن', home: 'العودة إلى البداية', received: 'وصلنا بلاغك', ended: 'انتهت المحادثة' },
};

async function clean(page, lang, screen) {
  assert.deepEqual(await axe(page), [], `${lang} ${screen}`);
  await s.shot(page, `40-${lang}-${screen}`);
}

for (const lang of ['en', 'ar']) {
  test(`axe on every screen in ${lang === 'ar' ? 'Arabic (right to left)' : 'English'}, the language taken from the browser`, async () => {
    const ui = UI[lang];
    const context = await browser.newContext({ ...PHONE, locale: lang === 'ar' ? 'ar-EG' : 'en-GB', bypassCSP: true });
    const page = await context.newPage();
    await page.goto(relay.base + '/help');
    await page.getByRole('button', { name: ui.talk }).waitFor();
    const dir = lang === 'ar' ? 'rtl' : 'ltr';
    assert.equal(await page.locator('html').getAttribute('lang'), lang, 'navigator.languages followed');
    assert.equal(await page.locator('html').getAttribute('dir'), dir);
    // mirrored: the language switch ends the line, on the right in English, on the left in Arabic
    const select = await page.locator('#ll-lang').boundingBox();
    const centre = select.x + select.width / 2;
    assert.ok(lang === 'ar' ? centre < 180 : centre > 180, `${lang}: language switch centred at ${centre} of 360`);
    await clean(page, lang, 'home');
    await page.getByRole('button', { name: ui.safety }).click();
    await clean(page, lang, 'safety');
    await page.getByRole('button', { name: ui.back }).click();
    await page.getByRole('button', { name: ui.tip }).click();
    await clean(page, lang, 'tip');
    await page.getByRole('button', { name: ui.send }).click();
    await page.locator('.ll-error').waitFor();
    await clean(page, lang, 'tip-error');
    await page.getByRole('button', { name: ui.back }).click();
    await page.getByRole('button', { name: ui.receipt }).click();
    await clean(page, lang, 'receipt-entry');
    await page.getByLabel(ui.code).fill('2345');
    await page.getByRole('button', { name: ui.open }).click();
    await page.locator('.ll-error').waitFor();
    await clean(page, lang, 'receipt-entry-error');
    await page.getByRole('button', { name: ui.back }).click();

    // a chat: waiting, with messages both ways, ended by the coordinator with the words kept
    await page.getByRole('button', { name: ui.talk }).click();
    await page.getByLabel(ui.message).waitFor();
    await page.locator('.ll-status .ll-numbers').waitFor();
    await clean(page, lang, 'waiting');
    const claimed = await coord.cmd('wait_claim');
    assert.equal(claimed.lang, lang, 'the coordinator sees the visitor language');
    await coord.cmd('send Hello, I am here.');
    await page.getByRole('log').getByText('Hello, I am here.').waitFor();
    const hello = lang === 'ar' ? 'مرحبا' : 'Hello';
    await page.getByLabel(ui.message).fill(hello);
    await page.keyboard.press('Enter');
    await coord.cmd('expect ' + hello);
    await page.locator('.ll-me .ll-mark[data-mark="delivered"]').waitFor();
    await clean(page, lang, 'chat-with-messages');
    await coord.cmd('end');
    await page.getByRole('heading', { name: ui.ended }).waitFor();
    await clean(page, lang, 'ended-by-them');
    await page.getByRole('button', { name: ui.wipe }).click();
    await clean(page, lang, 'ended-wiped');
    await page.getByRole('button', { name: ui.home }).click();

    // a tip, its receipt, the replies
    await page.getByRole('button', { name: ui.tip }).click();
    await page.getByLabel(ui.text).fill('accessibility ' + lang);
    await page.getByRole('button', { name: ui.send }).click();
    await page.getByRole('heading', { name: ui.received }).waitFor({ timeout: 30000 });
    const code = (await page.locator('.ll-code .ll-group').allTextContents()).join('-');
    await clean(page, lang, 'receipt');
    await coord.cmd('reply_tip Thank you.');
    await page.getByRole('button', { name: ui.done }).click();
    await page.getByRole('button', { name: ui.receipt }).click();
    await page.getByLabel(ui.code).fill(code);
    await page.getByRole('button', { name: ui.open }).click();
    await page.locator('#ll-followup').waitFor({ timeout: 30000 });
    await clean(page, lang, 'replies');
    // the same code while the relay has no such tip
    await page.getByRole('button', { name: ui.home }).click();
    await page.getByRole('button', { name: ui.receipt }).click();
    await page.route(relay.base + '/v1/receipt', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"v":1,"error":"not found"}' }));
    await page.getByLabel(ui.code).fill(code);
    await page.getByRole('button', { name: ui.open }).click();
    await page.locator('#ll-receipt-error').waitFor({ timeout: 30000 });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'll-receipt-error', 'the focus is on the error');
    await clean(page, lang, 'receipt-not-found');
    await context.close();

    // the relay unreachable at load
    const down = await browser.newContext({ ...PHONE, locale: lang, bypassCSP: true });
    const downPage = await down.newPage();
    await downPage.route(relay.base + '/v1/config', (route) => route.abort('connectionrefused'));
    await downPage.goto(relay.base + '/help');
    await downPage.locator('.ll-error').waitFor();
    await clean(downPage, lang, 'config-error');
    await down.close();
  });
}

for (const lang of ['en', 'ar']) {
  test(`axe on the chat's failure screens in ${lang}: line full, unreachable, unverified, expired, cut off`, async () => {
    const own = JSON.parse(readFileSync(new URL(`../src/locales/${lang}.json`, import.meta.url), 'utf8'));
    // The visitor's socket, through a man in the middle the test steers.
    async function chatThrough(steer) {
      const context = await browser.newContext({ ...PHONE, locale: lang === 'ar' ? 'ar-EG' : 'en-GB', bypassCSP: true });
      const page = await context.newPage();
      const sockets = [];
      await page.routeWebSocket(/\/v1\/visitor$/, (ws) => {
        if (steer.refuse) return ws.close({ code: steer.refuse });
        const server = ws.connectToServer();
        ws.onMessage((m) => server.send(m));
        server.onMessage((m) => ws.send(steer.alter ? steer.alter(m) : m));
        sockets.push({ ws, server });
      });
      await page.goto(relay.base + '/help');
      await page.getByRole('button', { name: own.talk }).click();
      await page.locator('.ll-status .ll-numbers').waitFor();
      return { context, page, sockets };
    }
    const closeWith = async ({ sockets }, code) => {
      for (const { ws, server } of sockets) {
        ws.close({ code });
        // the relay forgets the session: no stale one left in the queue for the coordinator
        server.send(JSON.stringify({ v: 1, type: 'end' }));
        server.close();
      }
    };
    async function ended(page, reason, name) {
      await page.locator('#ll-ended-reason').getByText(own[reason]).waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), own.ended_title, `${name}: the focus on the heading`);
      await clean(page, lang, name);
    }

    for (const [code, reason, name] of [
      [4007, 'expired', 'expired'],
      [4010, 'truncated', 'cut-off'],
    ]) {
      const chat = await chatThrough({});
      await closeWith(chat, code);
      await ended(chat.page, reason, name);
      await chat.context.close();
    }

    // the line full: every attempt is refused with 4008
    const steer = {};
    const full = await chatThrough(steer);
    steer.refuse = 4008;
    await closeWith(full, 4008);
    await full.page.getByText(own.line_full).waitFor();
    assert.equal(await full.page.getByLabel(own.message_label).isVisible(), false, 'no message box when no one can answer');
    await clean(full.page, lang, 'line-full');
    await full.context.close();
    // unreachable: every reconnect fails for 20 s
    const downSteer = {};
    const down = await chatThrough(downSteer);
    downSteer.refuse = 1001;
    await closeWith(down, 1001);
    await down.page.getByText(own.unreachable).waitFor({ timeout: 30000 });
    assert.equal(await down.page.getByLabel(own.message_label).isVisible(), false);
    await clean(down.page, lang, 'unreachable');
    await down.context.close();

    // a coordinator whose handshake does not verify (its message 2 altered in the middle);
    // the queue updates of the chats above, drained first, are not claimed
    await coord.cmd('texts');
    const unverified = await chatThrough({
      alter: (m) => {
        const f = JSON.parse(m);
        if (f.type !== 'deliver' || f.kind !== 'handshake') return m;
        const body = Buffer.from(f.body, 'base64url');
        body[40] ^= 1;
        return JSON.stringify({ ...f, body: body.toString('base64url') });
      },
    });
    await coord.cmd('wait_claim');
    await ended(unverified.page, 'failed', 'unverified');
    await unverified.context.close();
  });
}

test('axe on the fallback the snippet shows when the script is refused', async () => {
  const context = await browser.newContext({ ...PHONE, bypassCSP: true });
  const page = await context.newPage();
  await page.route(relay.base + '/widget/lifeline.js', (route) => route.abort('blockedbyclient'));
  for (const path of ['/', '/help']) {
    await page.goto(relay.base + path);
    await page.locator('[data-lifeline-fallback]').waitFor();
    assert.deepEqual(await axe(page), [], `fallback on ${path}`);
  }
  await context.close();
});

test('the open launcher keeps the focus inside it, both ways', async () => {
  const { context, page } = await s.open('/');
  await page.getByRole('button', { name: 'Get help' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  assert.equal(await page.locator('.ll-panel').getAttribute('aria-modal'), 'true');
  const inside = () => page.evaluate(() => document.querySelector('.ll-panel').contains(document.activeElement));
  for (const key of ['Tab', 'Shift+Tab']) {
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press(key);
      assert.ok(await inside(), `${key} ×${i + 1} left the panel`);
    }
  }
  // closing gives the focus back to the launcher
  await page.getByRole('button', { name: 'Close' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Get help');
  await context.close();
});

test('keyboard only: a tip, its receipt and replies, safety tips, a chat and the language switch, without a pointer', async () => {
  const { context, page } = await s.open('/help');
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || '');
  async function tabTo(name) {
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if ((await focused()) === name) return;
    }
    assert.fail(`${name} not reachable by Tab`);
  }
  await tabTo('Report a tip');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab'); // from the heading to the text
  await tabTo('ll-tip-text');
  await page.keyboard.type('Typed with the keyboard only.');
  await tabTo('Send the tip');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 30000 });
  const code = (await page.locator('.ll-code .ll-group').allTextContents()).join(' ');
  await tabTo('I have it');
  await page.keyboard.press('Enter');
  await tabTo('I have a receipt code');
  await page.keyboard.press('Enter');
  await tabTo('ll-receipt');
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Replies' }).waitFor({ timeout: 30000 });
  await tabTo('ll-followup');
  await tabTo('Back to start');
  await page.keyboard.press('Enter');
  await tabTo('Safety tips');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Staying safe on this device' }).waitFor();
  await tabTo('Back');
  await page.keyboard.press('Enter');
  await tabTo('Talk to someone now');
  await page.keyboard.press('Enter');
  await tabTo('ll-message');
  await page.keyboard.type('keyboard hello');
  await page.keyboard.press('Enter');
  await page.locator('.ll-me').waitFor();
  await tabTo('End and wipe');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  await tabTo('ll-lang');
  await page.keyboard.press('ArrowDown'); // the next language, applied with Enter
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Conversation terminée' }).waitFor();
  await context.close();
});
