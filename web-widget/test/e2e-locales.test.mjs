// Issue 23 item 7 (WCAG 3.1.2), in Chromium against a real relay: every screen rendered in
// every shipped language shows no English, whether from the widget's strings or from the
// operator's config (help-number labels, tip categories). The language switch's labels are
// the one exception, each marked with its own `lang`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { browserSuite, PHONE } from './suite.mjs';

// No coordinator on duty: the chat screen shows its "no one can answer" state, a screen too.
const s = browserSuite({ coordinator: false });
let relay, browser;
before(async () => ({ relay, browser } = await s.ready));

const dir = new URL('../src/locales/', import.meta.url);
const locale = (lang) => JSON.parse(readFileSync(new URL(lang + '.json', dir), 'utf8'));
const LANGS = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .filter((l) => l !== 'en');
const en = locale('en');
// What the shipped config says in English (config/lifeline.toml), shown translated per language.
const CONFIG_ENGLISH = ['Emergency services', 'Community help line', 'labour', 'sexual exploitation', 'domestic servitude'];

/** English phrases of the widget that a screen in `lang` must not show (those it translates). */
function englishFor(lang) {
  const own = locale(lang);
  const phrases = Object.entries(en)
    .filter(([k, v]) => !k.startsWith('_') && k !== 'language' && own[k] !== v)
    .flatMap(([, v]) => v.split(/\{\w+\}/))
    .map((p) => p.trim())
    .filter((p) => p.length >= 4 && /[A-Za-z]{3}/.test(p));
  return [...new Set([...phrases, ...CONFIG_ENGLISH])];
}

/** Every text and accessible label the widget shows in its own language now. */
const shownText = (page) =>
  page.evaluate(() => {
    const root = document.querySelector('[data-lifeline-root]');
    const lang = root.getAttribute('lang');
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement.closest('[lang]').getAttribute('lang') === lang && n.data.trim()) out.push(n.data.trim());
    }
    for (const el of root.querySelectorAll('[aria-label], [placeholder], [title]')) {
      if (el.closest('[lang]').getAttribute('lang') !== lang) continue;
      for (const a of ['aria-label', 'placeholder', 'title']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    return out;
  });

async function noEnglish(page, lang, screen, english) {
  const shown = await shownText(page);
  assert.ok(shown.length > 3, `${lang} ${screen}: something is shown`);
  const words = (p) => new RegExp(`(^|[^A-Za-z])${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z])`);
  const found = english.filter((p) => shown.some((t) => words(p).test(t)));
  assert.deepEqual(found, [], `${lang} ${screen}: English on screen`);
}

test('the English reference itself is caught: the check finds English on an English screen', async () => {
  const context = await browser.newContext({ ...PHONE, locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(relay.base + '/help');
  await page.locator('.ll-h').waitFor();
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  await assert.rejects(noEnglish(page, 'en', 'home', englishFor('fr')), /English on screen/);
  await context.close();
});

for (const lang of LANGS) {
  test(`no English on any screen in ${lang}`, async () => {
    const own = locale(lang);
    const english = englishFor(lang);
    const context = await browser.newContext({ ...PHONE, locale: lang === 'zh-Hans' ? 'zh-CN' : lang });
    const page = await context.newPage();
    await page.goto(relay.base + '/help');
    await page.getByRole('button', { name: own.talk }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), lang);
    const check = (screen) => noEnglish(page, lang, screen, english);
    await check('home (nobody on duty)');
    await page.getByRole('button', { name: own.safety }).click();
    await check('safety');
    await page.getByRole('button', { name: own.back }).click();
    await page.getByRole('button', { name: own.tip, exact: true }).click();
    await check('tip');
    await page.getByRole('button', { name: own.tip_send }).click();
    await page.locator('.ll-error').waitFor();
    await check('tip empty');
    await page.getByRole('button', { name: own.back }).click();
    await page.getByRole('button', { name: own.have_receipt }).click();
    await check('receipt entry');
    await page.getByLabel(own.receipt_label).fill('2345');
    await page.getByRole('button', { name: own.open }).click();
    await page.locator('.ll-error').waitFor();
    await check('receipt entry error');
    await page.getByRole('button', { name: own.back }).click();
    await page.getByRole('button', { name: own.talk }).click();
    await page.locator('.ll-status .ll-notice').waitFor({ timeout: 15000 });
    await check('chat, no one on duty');
    await page.getByRole('button', { name: own.end }).click();
    await page.locator('#ll-ended-reason').waitFor();
    await check('chat ended');
    await page.getByRole('button', { name: own.tip_instead }).click();
    await page.getByLabel(own.tip_text).fill('locale ' + lang);
    await page.getByRole('button', { name: own.tip_send }).click();
    await page.locator('.ll-code').waitFor({ timeout: 30000 });
    await check('receipt');
    await context.close();

    const down = await browser.newContext({ ...PHONE, locale: lang === 'zh-Hans' ? 'zh-CN' : lang });
    const downPage = await down.newPage();
    await downPage.route(relay.base + '/v1/config', (route) => route.abort('connectionrefused'));
    await downPage.goto(relay.base + '/help');
    await downPage.locator('.ll-error').waitFor();
    await noEnglish(downPage, lang, 'config error', english);
    await down.close();
  });
}
