// Issue 15 item 2, in Chromium against a real relay: what the visitor types reaches no
// spellcheck, autocorrect or autocomplete; the tab title is neutral; Esc on a host page is the
// host's; and the documented upgrade (two hashes in `integrity`) keeps embeds working. The
// storage checks after a chat, a tip and each quick exit are in e2e.test.mjs (noTrace).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { browserSuite, noTrace, PHONE } from './suite.mjs';

const s = browserSuite({ coordinator: false });
let relay, browser;
before(async () => ({ relay, browser } = await s.ready));

const PRIVATE = { spellcheck: 'false', autocorrect: 'off', autocapitalize: 'off', autocomplete: 'off' };

async function fieldsArePrivate(page, screen) {
  const fields = await page.evaluate(() =>
    [...document.querySelectorAll('[data-lifeline-root] textarea, [data-lifeline-root] input')].map((el) => ({
      id: el.id,
      spellcheck: el.getAttribute('spellcheck'),
      autocorrect: el.getAttribute('autocorrect'),
      autocapitalize: el.getAttribute('autocapitalize'),
      autocomplete: el.getAttribute('autocomplete'),
      checks: el.spellcheck,
    })),
  );
  assert.ok(fields.length > 0, `${screen}: a field to check`);
  for (const { id, checks, ...attrs } of fields) {
    assert.deepEqual(attrs, PRIVATE, `${screen}: #${id}`);
    assert.equal(checks, false, `${screen}: #${id} is not spellchecked`);
  }
}

test('every field the visitor types in: spellcheck, autocorrect, autocapitalize and autocomplete off', async () => {
  const { context, page } = await s.open('/help');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await fieldsArePrivate(page, 'tip');
  await page.getByRole('button', { name: 'Back' }).click();
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await fieldsArePrivate(page, 'receipt code');
  await page.getByRole('button', { name: 'Back' }).click();
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByLabel('Your message').waitFor();
  await fieldsArePrivate(page, 'chat');
  await page.getByRole('button', { name: 'End and wipe' }).click();
  await context.close();
});

test('page mode keeps the neutral, configured tab title in every language', async () => {
  const { context, page } = await s.open('/help');
  assert.equal(await page.title(), 'Information');
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('button', { name: "Parler à quelqu'un maintenant" }).waitFor();
  assert.equal(await page.title(), 'Information');
  await context.close();
});

test('Esc on the host page belongs to the host; inside the widget it leaves; Shift ×3 leaves from anywhere', async () => {
  const { context, page } = await s.open('/');
  await page.getByLabel('Embed snippet').focus();
  await page.keyboard.press('Escape');
  await page.waitForTimeout(200);
  assert.equal(new URL(page.url()).pathname, '/', 'Esc on the host page did not leave');
  assert.equal(await page.locator('[data-lifeline-root]').count(), 1);
  // during an IME composition Esc cancels the composition, nothing else
  await page.getByRole('button', { name: 'Get help' }).click();
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').focus();
  await page.evaluate(() => document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', isComposing: true, bubbles: true })));
  await page.waitForTimeout(200);
  assert.equal(await page.locator('[data-lifeline-root]').count(), 1, 'Esc during composition is harmless');
  await page.keyboard.press('Escape');
  await page.waitForURL(relay.base + '/healthz');
  await noTrace(page, context);
  await context.close();
  // Shift ×3 with the focus on the host page
  const other = await s.open('/');
  await other.page.getByLabel('Embed snippet').focus();
  for (let i = 0; i < 3; i++) await other.page.keyboard.press('Shift');
  await other.page.waitForURL(relay.base + '/healthz');
  await other.context.close();
});

test('the upgrade procedure: a page listing a stale hash and the new one still loads the widget', async () => {
  const sri = JSON.parse(readFileSync(new URL('../dist/sri.json', import.meta.url), 'utf8'));
  const stale = 'sha384-' + Buffer.alloc(48, 7).toString('base64');
  const org = (await (await fetch(relay.base + '/v1/config')).json()).organisation;
  const host = (integrity) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body>
<div data-lifeline-fallback><a href="tel:112">112</a></div>
<script src="/widget/lifeline.js" integrity="${integrity}" crossorigin="anonymous" data-organisation="${org}" data-mode="page" defer></script></body></html>`;
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  let integrity = stale;
  await page.route(relay.base + '/host', (route) => route.fulfill({ contentType: 'text/html', body: host(integrity) }));
  await page.goto(relay.base + '/host');
  await page.waitForTimeout(500);
  assert.equal(await page.locator('[data-lifeline-root]').count(), 0, 'a stale hash alone: refused');
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible(), 'and the fallback stays');
  integrity = `${stale} ${sri['lifeline.js']}`;
  await page.goto(relay.base + '/host');
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  assert.equal(await page.locator('[data-lifeline-fallback]').count(), 0);
  await context.close();
});

test('a snippet with a malformed data-revocation-max-age keeps its fallback and says what to fix', async () => {
  const sri = JSON.parse(readFileSync(new URL('../dist/sri.json', import.meta.url), 'utf8'));
  const org = (await (await fetch(relay.base + '/v1/config')).json()).organisation;
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  const said = [];
  page.on('console', (m) => m.type() === 'error' && said.push(m.text()));
  await page.route(relay.base + '/host', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body>
<div data-lifeline-fallback><a href="tel:112">112</a></div>
<script src="/widget/lifeline.js" integrity="${sri['lifeline.js']}" crossorigin="anonymous" data-organisation="${org}" data-revocation-max-age="30 days" data-mode="page" defer></script></body></html>`,
    }),
  );
  await page.goto(relay.base + '/host');
  for (let i = 0; i < 50 && !said.length; i++) await page.waitForTimeout(100);
  assert.ok(said.some((t) => t.includes('data-revocation-max-age')), `the console says what to fix: ${said}`);
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible(), 'the fallback stays');
  assert.equal(await page.locator('[data-lifeline-root]').count(), 0);
  await context.close();
});

test("a relay sending a javascript: neutral_url: the quick exit never runs it, and leaves for the page's own exit", async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  // The config's neutral_url is not signed: a rogue or seized relay can send anything.
  await page.route(relay.base + '/v1/config', async (route) => {
    const body = await (await route.fetch()).json();
    await route.fulfill({ json: { ...body, neutral_url: "javascript:void(document.title='followed')" } });
  });
  await page.goto(relay.base + '/help');
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  await page.getByRole('button', { name: /^Emergency exit/ }).click();
  // The page pins its exit (data-exit-url); a page without one leaves for about:blank
  // (test/quick-exit.test.ts).
  await page.waitForURL(relay.base + '/healthz');
  assert.notEqual(await page.title(), 'followed');
  await context.close();
});
