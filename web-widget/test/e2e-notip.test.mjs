// Issue 19, in Chromium with JavaScript off against a real relay and the Rust coordinator:
// the help page links the no-script tip form; a tip sent there is opened by the coordinator
// (marked sealed by the relay) and answered; the reply is read back on /tip/replies and a
// follow-up sent from there; a form sent again after its answer was lost files nothing
// and says so (F-57); a spent budget shows the help
// numbers. The pages pass axe, fit 320 px, and are driven by the keyboard alone.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startCoordinator, startRelay } from './harness.mjs';
import { axe, browserSuite, PHONE, watch } from './suite.mjs';

const s = browserSuite();
let relay, coord, browser;
before(async () => ({ relay, coord, browser } = await s.ready));

const NO_SCRIPT = { ...PHONE, javaScriptEnabled: false };

test('JavaScript off: a tip on /tip is answered, and the reply read back on /tip/replies', async () => {
  const context = await browser.newContext(NO_SCRIPT);
  const page = await context.newPage();
  const problems = watch(page, relay.base);
  await page.goto(relay.base + '/help');
  await page.getByRole('link', { name: 'Leave a tip without JavaScript' }).click();
  await page.getByRole('heading', { name: 'Report a tip', level: 1 }).waitFor();
  const response = await page.reload();
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /form-action 'self'/);
  assert.doesNotMatch(csp, /script-src/);
  assert.match(await page.textContent('body'), /sees them for an instant/);
  assert.match(await page.textContent('body'), /at most 30 days/, 'what the server holds, from the configuration');

  // Keyboard only: the text field, the category, the button.
  await page.getByLabel('What would you like to tell us?').focus();
  await page.keyboard.type('Twelve people sleep in the container yard');
  await page.getByLabel('Category (optional)').selectOption('labour');
  await page.getByRole('button', { name: 'Send the tip' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor();
  const code = (await page.locator('#code').textContent()).trim();
  assert.match(code, /^[2-9A-Z]{4}(-[2-9A-Z]{4}){4}$/);
  await s.shot(page, 'notip-receipt');

  const opened = await coord.cmd('reply_tip We have read it. Stay safe.');
  assert.equal(opened.text, 'Twelve people sleep in the container yard');
  assert.equal(opened.category, 'labour');
  assert.equal(opened.sealed_by_relay, true, 'the coordinator is told the relay sealed it');

  await page.getByRole('link', { name: 'Read replies' }).click();
  await page.getByLabel('Receipt code').fill(code.toLowerCase());
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'Replies' }).waitFor();
  assert.match(await page.locator('ol').textContent(), /We have read it\. Stay safe\./);

  await page.getByLabel('Add more information or answer').fill('They move them on Fridays');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('status').filter({ hasText: 'Sent. Thank you.' }).waitFor();
  assert.deepEqual((await coord.cmd('followups')).texts, ['They move them on Fridays']);
  assert.equal(await page.locator('script').count(), 0);
  assert.deepEqual(problems, []);
  assert.deepEqual((await context.cookies()).length, 0, 'no cookie');
  await context.close();
});

/**
 * Presses `button`: its POST to `path` reaches the relay, but the answer is lost on the way
 * (a Tor circuit dropping) and the browser shows its own error page; then its "Try again"
 * sends the same form, token and words, again.
 */
async function sendLosingTheAnswer(page, path, button) {
  let lost = false;
  await page.route(relay.base + path, async (route) => {
    if (lost || route.request().method() !== 'POST') return route.continue();
    lost = true;
    await route.fetch();
    await route.abort('connectionreset');
  });
  await page.getByRole('button', { name: button }).click({ noWaitAfter: true });
  // waitForURL throws on the failed navigation: polled instead
  for (let i = 0; i < 100 && !page.url().startsWith('chrome-error:'); i++) await page.waitForTimeout(50);
  assert.ok(lost && page.url().startsWith('chrome-error:'), 'the answer never arrived');
  await page.reload();
}

test("a tip and a follow-up whose answers are lost, sent again by the browser's Try again: each filed once, and the page says so", async () => {
  const context = await browser.newContext(NO_SCRIPT);
  const page = await context.newPage();
  const before = (await coord.cmd('tip_count')).count;
  await page.goto(relay.base + '/tip');
  await page.getByLabel('What would you like to tell us?').fill('The van comes on Tuesdays');
  await sendLosingTheAnswer(page, '/tip', 'Send the tip');
  await page.getByText('This tip was already received').waitFor();
  assert.doesNotMatch(await page.textContent('body'), /nothing was sent/i, 'never "nothing was sent" for a tip that was filed');
  assert.equal(await page.getByLabel('What would you like to tell us?').inputValue(), 'The van comes on Tuesdays', 'the words, to send anew for a new code');
  assert.equal((await coord.cmd('tip_count')).count, before + 1, 'filed once');

  // Sent anew from that page (a fresh token): a second tip, with the code this time.
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor();
  const code = (await page.locator('#code').textContent()).trim();
  assert.equal((await coord.cmd('tip_count')).count, before + 2);

  // A follow-up from the replies page, its answer lost too.
  const followups = (await coord.cmd('tip_count')).followups;
  await page.goto(relay.base + '/tip/replies');
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'Replies' }).waitFor();
  await page.getByLabel('Add more information or answer').fill('Two of them are children');
  await sendLosingTheAnswer(page, '/tip/replies', 'Send');
  await page.getByText('Your message was already received, and it is kept once').waitFor();
  assert.equal((await coord.cmd('tip_count')).followups, followups + 1, 'filed once');
  assert.ok(await page.getByLabel('Receipt code').isVisible(), 'the code form, to read the replies');
  await context.close();
});

test('a spent budget shows the help numbers instead of the form', async () => {
  // The budget is counted per clock hour: its steps must not straddle the hour's turn.
  const intoTheHour = Math.floor(Date.now() / 1000) % 3600;
  if (intoTheHour >= 3600 - 30) await new Promise((r) => setTimeout(r, (3601 - intoTheHour) * 1000));
  const small = await startRelay({ LIFELINE_TIPS_NOSCRIPT_PER_HOUR: '1' });
  try {
    const context = await browser.newContext(NO_SCRIPT);
    const page = await context.newPage();
    await page.goto(small.base + '/tip');
    await page.getByLabel('What would you like to tell us?').fill('the only one this hour');
    await page.getByRole('button', { name: 'Send the tip' }).click();
    await page.getByRole('heading', { name: 'Your tip was received' }).waitFor();
    const spent = await page.goto(small.base + '/tip');
    assert.equal(spent.status(), 503);
    await page.getByRole('alert').filter({ hasText: 'taken all it can for this hour' }).waitFor();
    assert.equal(await page.getByRole('link', { name: '112' }).getAttribute('href'), 'tel:112');
    assert.equal(await page.locator('form').count(), 0);
    await s.shot(page, 'notip-spent');
    await context.close();
  } finally {
    small.stop();
  }
});

test('the no-script pages pass axe in English and Arabic and fit 320 px', async () => {
  // axe needs script: a context with it on, the pages themselves have none.
  const context = await browser.newContext({ ...PHONE, viewport: { width: 320, height: 640 }, bypassCSP: true });
  const page = await context.newPage();
  for (const lang of ['en', 'ar']) {
    for (const path of ['/tip', '/tip/replies']) {
      await page.goto(`${relay.base}${path}?lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.deepEqual(await axe(page), [], `${path} ${lang}`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 320, `${path} ${lang} is ${wide}px wide`);
    }
  }
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  await page.goto(`${relay.base}/tip?lang=ar`);
  await page.locator('textarea').fill('نص');
  await page.locator('button[type=submit]').click();
  await page.locator('#code').waitFor();
  assert.deepEqual(await axe(page), [], 'receipt ar');
  await s.shot(page, 'notip-receipt-ar-320');
  await context.close();
});

test('a follow-up to a handled tip is refused with a clear reason, with script and without', async () => {
  // A relay of its own: the coordinator answers "the newest tip", which must be this one.
  const own = await startRelay();
  const coord = await startCoordinator(own);
  try {
    await handledTip(own, coord);
  } finally {
    coord.stop();
    own.stop();
  }
});

async function handledTip(relay, coord) {
  // The widget's path: a tip, a reply, then the coordinator marks it handled.
  const { context, page } = await s.open('/help', {}, { base: relay.base });
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill('A tip that will be handled');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 30000 });
  const code = (await page.locator('.ll-code .ll-group').allTextContents()).join('-');
  await coord.cmd('reply_tip Thank you, we will handle it.');
  await coord.cmd('close_tip');
  await page.getByRole('button', { name: 'I have it' }).click();
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByText('Thank you, we will handle it.').waitFor({ timeout: 30000 });
  await page.getByLabel('Add more information or answer').fill('One more detail');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByText('This tip is closed, so nothing more can be added to it.').waitFor({ timeout: 30000 });
  assert.equal(await page.getByText('Sent. Thank you.').count(), 0, 'never told "sent"');
  await context.close();

  // The same receipt on the no-script page: the reply is there, the follow-up refused.
  const plain = await browser.newContext(NO_SCRIPT);
  const p = await plain.newPage();
  await p.goto(relay.base + '/tip/replies');
  await p.getByLabel('Receipt code').fill(code);
  await p.getByRole('button', { name: 'Open' }).click();
  await p.getByText('Thank you, we will handle it.').waitFor();
  await p.getByLabel('Add more information or answer').fill('Still one more');
  await p.getByRole('button', { name: 'Send' }).click();
  await p.getByRole('alert').filter({ hasText: 'This tip is closed' }).waitFor();
  await plain.close();
}
