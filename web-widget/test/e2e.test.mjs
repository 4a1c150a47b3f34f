// End to end: Debian's Chromium (playwright-core, phone viewport) runs the built widget served
// by a real `lifeline serve`, against a coordinator driven by the Rust client (real crypto on
// both sides). Screenshots of each screen go to test-results/screenshots/ for review.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startRelay } from './harness.mjs';
import { axe, browserSuite, markHistory, noTrace, PHONE, claimedChat } from './suite.mjs';

const s = browserSuite();
let relay, coord, browser;
before(async () => ({ relay, coord, browser } = await s.ready));
const open = (...args) => s.open(...args);
const shot = (...args) => s.shot(...args);

test('nobody on duty: said at once on the home screen, with the tip path and the numbers', async () => {
  const { context, page, problems } = await open('/help');
  await page.getByText('No one can answer right now').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Leave a tip instead' }).isVisible());
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible());
  await shot(page, '01-home-nobody-on-duty');
  // and in the chat path too: the queue frame says on_duty 0
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByText('No one can answer right now').waitFor();
  await shot(page, '02-waiting-nobody-on-duty');
  await page.getByRole('button', { name: 'Leave a tip instead' }).click();
  await page.getByLabel('What would you like to tell us?').waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('live chat both ways with a Rust coordinator: alias, marks, reconnect without loss or duplicate, end', async () => {
  await coord.cmd('duty');
  const { context, page, problems } = await open('/');
  // launcher mode on the demo page: the quick exit is visible before the panel opens
  assert.ok(await page.getByRole('button', { name: /^Emergency/ }).isVisible());
  await shot(page, '03-launcher-closed');
  await page.getByRole('button', { name: 'Get help' }).click();
  assert.equal(await page.getByRole('button', { name: /^Emergency/ }).count(), 1, 'one exit button at a time');
  await shot(page, '03-launcher-open');
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByText('Waiting for someone to answer').waitFor();
  await page.getByText(/You are number 1 in line/).waitFor();
  await shot(page, '04-waiting');
  // typed before anyone joins: waits in the widget, goes out once keys exist
  await page.getByLabel('Your message').fill('Hello, is anyone there?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const claimed = await coord.cmd('wait_claim');
  assert.equal(claimed.lang, 'en');
  await page.getByText(`You are talking to ${coord.alias}`).waitFor();
  assert.ok(await page.getByText('verified by the organisation').isVisible());
  await coord.cmd('expect Hello, is anyone there?');
  // mid-chat, with the operator's default (no resume in sessionStorage): nothing stored at all
  await noTrace(page, context);
  await page.locator('.ll-me .ll-mark[data-mark="delivered"]').first().waitFor();
  await coord.cmd('send Yes. You are safe to talk here.');
  const log = page.getByRole('log');
  await log.getByText('Yes. You are safe to talk here.').waitFor();
  assert.equal(await log.getAttribute('aria-live'), 'polite');
  await page.getByLabel('Your message').fill('Thank you');
  await page.keyboard.press('Enter');
  await coord.cmd('expect Thank you');
  await page.locator('.ll-me .ll-mark[data-mark="delivered"]').nth(1).waitFor();
  await shot(page, '05-chat');
  assert.doesNotMatch(await page.locator('.ll-status').textContent(), /null|undefined/);
  // the quick exit stays on screen however far the conversation scrolls
  await page.evaluate(() => {
    for (const el of [document.querySelector('.ll-panel'), document.scrollingElement]) if (el) el.scrollTop = 1e6;
  });
  const box = await page.getByRole('button', { name: /^Emergency/ }).boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 740, `exit button on screen: ${JSON.stringify(box)}`);

  // cut the network: messages both ways while offline
  await context.setOffline(true);
  await page.getByText('Connection lost. Reconnecting…').waitFor();
  await page.getByLabel('Your message').fill('Sent while offline');
  await page.keyboard.press('Enter');
  await coord.cmd('send Are you still there?');
  await shot(page, '06-reconnecting');
  await context.setOffline(false);
  await log.getByText('Are you still there?').waitFor({ timeout: 15000 });
  await coord.cmd('expect Sent while offline');
  await page.locator('.ll-me .ll-mark[data-mark="delivered"]').nth(2).waitFor();
  await coord.cmd('send Good, I am here.');
  await log.getByText('Good, I am here.').waitFor();
  const texts = (await coord.cmd('texts')).texts;
  assert.deepEqual(texts, ['Hello, is anyone there?', 'Thank you', 'Sent while offline'], 'coordinator got each message once, in order');
  const theirs = await page.locator('.ll-them .ll-text').allTextContents();
  assert.deepEqual(theirs, ['Yes. You are safe to talk here.', 'Are you still there?', 'Good, I am here.'], 'visitor got each message once, in order');

  await page.getByRole('button', { name: 'End and wipe' }).click();
  await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  await shot(page, '07-ended');
  assert.equal(await page.locator('.ll-msg').count(), 0, 'the conversation is gone from the page');
  await noTrace(page, context);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the coordinator ends: its authenticated Close makes an orderly end, not a truncation', async () => {
  const { context, page, problems } = await open('/help');
  await claimedChat(page, coord);
  await coord.cmd('send Take care. I am closing this now.');
  await page.getByRole('log').getByText('Take care. I am closing this now.').waitFor();
  const translatable = await page.locator('.ll-msg .ll-text').evaluateAll((els) => els.filter((e) => e.getAttribute('translate') !== 'no').length);
  assert.equal(translatable, 0, 'no message is offered to a page translator');
  await coord.cmd('end');
  await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  assert.equal(await page.getByText('cut off').count(), 0);
  // their last words stay readable until the visitor leaves or wipes them
  assert.ok(await page.getByText('Take care. I am closing this now.').isVisible());
  assert.ok(await page.getByText('It is not saved anywhere').isVisible());
  await shot(page, '07-ended-by-them');
  await page.getByRole('button', { name: 'Wipe now' }).click();
  assert.equal(await page.locator('.ll-msg').count(), 0, 'wiped on request');
  await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  await noTrace(page, context);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a tip with a receipt code, a reply read back, and a follow-up', async () => {
  const { context, page, problems } = await open('/help');
  // Everything the page sends, to check at the end that the code and the words never left
  // the browser as they were typed (the relay gets a lookup id and ciphertext only).
  const sent = [];
  page.on('request', (r) => sent.push(`${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
  page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill('Workers at the farm on the north road are locked in at night.');
  await page.getByLabel('Category (optional)').selectOption('labour');
  await shot(page, '08-tip-form');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 30000 });
  const code = (await page.locator('.ll-code .ll-group').allTextContents()).join('-');
  assert.match(code, /^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){4}$/);
  assert.ok(await page.getByText('Write it down').isVisible());
  assert.equal(await page.getByRole('button', { name: /copy/i }).count(), 0, 'the code is never offered to the clipboard');
  assert.equal(await page.locator('.ll-code .ll-group').count(), 5, 'shown in groups of four');
  assert.equal(await page.locator('.ll-code').getAttribute('translate'), 'no', 'never sent to a page translator');
  await shot(page, '09-receipt');
  const tip = await coord.cmd('reply_tip Thank you. We have passed this on.');
  assert.equal(tip.text, 'Workers at the farm on the north road are locked in at night.');
  assert.equal(tip.category, 'labour');
  await page.getByRole('button', { name: 'I have it' }).click();
  // shown again on request until the visitor leaves
  await page.getByRole('button', { name: 'Show my receipt code again' }).click();
  assert.equal((await page.locator('.ll-code [aria-hidden]').textContent()).trim(), code.replaceAll('-', ''));
  await page.getByRole('button', { name: 'I have it' }).click();
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  // a typo is caught before the slow KDF
  await page.getByLabel('Receipt code').fill(code.slice(0, -1) + (code.endsWith('2') ? '3' : '2'));
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByText('The code has a typo').waitFor();
  await page.getByLabel('Receipt code').fill(code.toLowerCase().replaceAll('-', ' '));
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByText('Thank you. We have passed this on.').waitFor({ timeout: 30000 });
  // follow-ups have the same limit, said before it is reached
  await page.getByLabel('Add more information or answer').fill('z'.repeat(60001));
  await page.getByText('Too long by 1 characters.').waitFor();
  await page.getByLabel('Add more information or answer').fill('There are about twenty people.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByText('Sent. Thank you.').waitFor({ timeout: 30000 });
  await shot(page, '10-replies');
  assert.deepEqual((await coord.cmd('followups')).texts, ['There are about twenty people.']);
  const plain = code.replaceAll('-', '');
  const secrets = [code, plain, plain.toLowerCase(), code.toLowerCase().replaceAll('-', ' '), 'locked in at night', 'about twenty people'];
  assert.ok(sent.some((r) => r.includes('/v1/receipt')), 'the replies were read over the network');
  for (const secret of secrets) assert.deepEqual(sent.filter((r) => r.includes(secret)), [], `${secret} left the browser`);
  await noTrace(page, context);
  assert.deepEqual(problems, []);
  await context.close();
});

for (const how of ['button', 'Escape', 'Shift x3']) {
  test(`quick exit by ${how}: leaves for the neutral page, keeps nothing, Back does not return`, async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    await page.goto(relay.base + '/healthz');
    await page.goto(relay.base + '/help');
    await markHistory(page);
    await page.getByRole('button', { name: 'Report a tip' }).click();
    await page.getByLabel('What would you like to tell us?').fill('something private');
    const exit = page.getByRole('button', { name: /^Emergency/ });
    assert.ok(await exit.isVisible());
    if (how === 'button') await exit.click();
    else if (how === 'Escape') await page.keyboard.press('Escape');
    else for (let i = 0; i < 3; i++) await page.keyboard.press('Shift');
    await page.waitForURL(relay.base + '/healthz');
    await noTrace(page, context);
    await page.goBack().catch(() => {});
    await page.waitForTimeout(300);
    assert.notEqual(new URL(page.url()).pathname, '/help', 'Back does not return to the widget');
    assert.equal(await page.locator('[data-lifeline-root]').count(), 0);
    await context.close();
  });
}

test('the widget in French, switchable at any time, keeping what was typed', async () => {
  const { context, page, problems } = await open('/help');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill('texte en cours');
  await page.getByLabel('Language').selectOption('fr');
  await page.getByLabel('Que souhaitez-vous nous dire ?').waitFor();
  assert.equal(await page.getByLabel('Que souhaitez-vous nous dire ?').inputValue(), 'texte en cours');
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  // the operator's categories in French too, while the value sealed stays the canonical one
  assert.deepEqual(await page.locator('#ll-tip-category option').allTextContents(), ['Aucune catégorie', 'travail', 'exploitation sexuelle', 'servitude domestique', 'autre']);
  assert.equal(await page.locator('#ll-tip-category option', { hasText: 'travail' }).getAttribute('value'), 'labour');
  await page.getByRole('button', { name: 'Retour' }).click();
  await page.getByRole('button', { name: "Parler à quelqu'un maintenant" }).waitFor();
  assert.ok(await page.getByRole('button', { name: /^Emergency/ }).isVisible());
  assert.ok(await page.getByText("Services d'urgence").isVisible(), 'the number labels in French');
  assert.equal(await page.getByText('Emergency services').count(), 0, 'no English label on a French screen');
  await shot(page, '11-home-fr');
  await page.getByRole('button', { name: 'Conseils de sécurité' }).click();
  await page.getByRole('heading', { name: 'Rester en sécurité sur cet appareil' }).waitFor();
  await shot(page, '12-safety-fr');
  assert.deepEqual(problems, []);
  await context.close();
});

test('320 px wide and keyboard only: no horizontal scroll, every path reachable with Tab', async () => {
  const { context, page } = await open('/help', { viewport: { width: 320, height: 640 } });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'no horizontal scroll at 320 px');
  await shot(page, '13-home-320');
  const names = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    names.push(await page.evaluate(() => document.activeElement?.textContent?.trim() || document.activeElement?.id || ''));
  }
  assert.match(names[0], /^Emergency/, 'the quick exit comes first in focus order');
  for (const want of ['Talk to someone now', 'Report a tip', 'I have a receipt code', 'Safety tips']) assert.ok(names.includes(want), `${want} reachable by Tab: ${names}`);
  // open the tip form with the keyboard alone
  while ((await page.evaluate(() => document.activeElement?.textContent)) !== 'Report a tip') await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.getByLabel('What would you like to tell us?').waitFor();
  await context.close();
});

test('axe-core: no violation of any impact on the home, tip, receipt-entry, safety, waiting and ended screens', async () => {
  const { context, page } = await open('/help', { bypassCSP: true });
  const screens = { home: null, tip: 'Report a tip', return: 'I have a receipt code', safety: 'Safety tips' };
  for (const [name, button] of Object.entries(screens)) {
    if (button) {
      await page.getByRole('button', { name: button }).click();
      await page.locator('.ll-h').waitFor();
    }
    assert.deepEqual(await axe(page), [], name);
    if (button) await page.getByRole('button', { name: 'Back' }).click();
  }
  // the chat screens: waiting in the queue, then ended
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByText('Waiting for someone to answer').waitFor();
  for (const name of ['waiting', 'ended']) {
    assert.deepEqual(await axe(page), [], name);
    if (name === 'waiting') {
      await page.getByRole('button', { name: 'End and wipe' }).click();
      await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
    }
  }
  await context.close();
});

test('the relay serves the committed bundle with SRI, not kept by the browser, strict CSP and no inline script', async () => {
  const dist = (f) => readFileSync(new URL('../dist/' + f, import.meta.url));
  const js = await fetch(relay.base + '/widget/lifeline.js');
  assert.equal(js.headers.get('cache-control'), 'no-store', 'a cached lifeline.js is a trace of the visit');
  assert.match(js.headers.get('content-type'), /javascript/);
  assert.ok(Buffer.from(await js.arrayBuffer()).equals(dist('lifeline.js')), 'the embedded script is dist/lifeline.js');
  const css = await fetch(relay.base + '/widget/lifeline.css');
  assert.equal(css.headers.get('cache-control'), 'no-store');
  assert.ok(Buffer.from(await css.arrayBuffer()).equals(dist('lifeline.css')));
  const sri = await (await fetch(relay.base + '/widget/sri.json')).json();
  assert.deepEqual(sri, JSON.parse(dist('sri.json')), 'hashes computed by the relay equal the build’s');
  const config = await (await fetch(relay.base + '/v1/config')).json();
  for (const path of ['/', '/help']) {
    const res = await fetch(relay.base + path);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('set-cookie'), null);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter((m) => !m[0].startsWith('&lt;'));
    assert.equal(scripts.length, 1, `${path}: one script tag`);
    assert.equal(scripts[0][2].trim(), '', 'no inline script');
    assert.ok(scripts[0][1].includes(`integrity="${sri['lifeline.js']}"`));
    assert.ok(scripts[0][1].includes(`data-organisation="${config.organisation}"`));
    assert.doesNotMatch(html, /<style|style=/, 'no inline style');
  }
});

test('the assets go out brotli or gzip as the browser accepts, with Vary, and load under the same SRI', async () => {
  const dist = (f) => readFileSync(new URL('../dist/' + f, import.meta.url));
  // the raw bytes on the wire (fetch would decode them)
  const raw = (path, accept) =>
    new Promise((resolve, reject) => {
      http.get(relay.base + path, { headers: accept === null ? {} : { 'accept-encoding': accept } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
  for (const name of ['lifeline.js', 'lifeline.css']) {
    for (const [accept, encoding, file, decode] of [
      ['gzip, deflate, br', 'br', name + '.br', brotliDecompressSync],
      ['gzip', 'gzip', name + '.gz', gunzipSync],
      [null, undefined, name, (b) => b],
      ['br;q=0, gzip;q=0', undefined, name, (b) => b],
    ]) {
      const { headers, body } = await raw('/widget/' + name, accept);
      assert.equal(headers['content-encoding'], encoding, `${name} for ${accept}`);
      assert.equal(headers.vary, 'Accept-Encoding');
      assert.equal(headers['cache-control'], 'no-store');
      assert.ok(body.equals(dist(file)), `${name} for ${accept}: dist/${file}`);
      assert.ok(decode(body).equals(dist(name)), 'decodes to the asset');
    }
  }
  const wire = Buffer.concat([dist('lifeline.js.br'), dist('lifeline.css.br')]).length;
  console.log(`widget on the wire (brotli): ${(wire / 1024).toFixed(1)} KiB; gzip: ${((dist('lifeline.js.gz').length + dist('lifeline.css.gz').length) / 1024).toFixed(1)} KiB; plain: ${((dist('lifeline.js').length + dist('lifeline.css').length) / 1024).toFixed(1)} KiB`);
  // Chromium asks for br, gets it, decodes it, and checks the integrity of the decoded bytes
  const { context, page, problems } = await open('/help');
  const seen = {};
  page.on('response', (r) => /lifeline\.(js|css)$/.test(r.url()) && (seen[r.url().split('/').pop()] = r.headers()['content-encoding']));
  await page.reload();
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  assert.deepEqual(seen, { 'lifeline.js': 'br', 'lifeline.css': 'br' }, 'the browser got the brotli copies');
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.ll-exit')).backgroundColor), 'rgb(176, 0, 32)', 'the stylesheet passed its integrity check');
  assert.deepEqual(problems, []);
  await context.close();
});

test('resume token in sessionStorage only when the operator enables it, and quick exit removes it', async () => {
  const other = await startRelay({ LIFELINE_WIDGET_RESUME_IN_SESSION_STORAGE: 'true' });
  try {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    await page.goto(other.base + '/help');
    // the safety tips never say "nothing is kept": with the token on, this tab keeps it
    await page.getByRole('button', { name: 'Safety tips' }).click();
    await page.getByText('This page saves no cookies and no messages on your device').waitFor();
    assert.equal(await page.getByText(/keeps nothing/).count(), 0);
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('button', { name: 'Talk to someone now' }).click();
    await page.getByText('Waiting for someone to answer').waitFor();
    await page.waitForFunction(() => sessionStorage.length === 1);
    const kept = await page.evaluate(() => JSON.parse(sessionStorage.getItem('lifeline-resume')));
    assert.equal(Object.keys(kept).sort().join(), 's,tok', 'only the session id and its resume token');
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    await page.keyboard.press('Escape');
    await page.waitForURL(other.base + '/healthz');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'quick exit removed it');
    assert.deepEqual(await context.cookies(), []);
    await context.close();
  } finally {
    other.stop();
  }
});
