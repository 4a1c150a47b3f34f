// A survivor on a cheap phone (360×640 and 320×568, device scale 2, touch): every target a
// thumb must hit is at least 44 px each way, and the chat's sticky footer (message box, Send,
// End) never covers the screen's last lines, however tall the notices above it grow.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, claimedChat, unreachable } from './suite.mjs';

const s = browserSuite();
let coord;
before(async () => ({ coord } = await s.ready));

const phone = (width, height) => ({ viewport: { width, height }, deviceScaleFactor: 2 });

/** Every visible control of the widget smaller than 44×44 CSS px. */
const smallTargets = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('.lifeline :is(button, a[href], select, input, textarea, summary)')]
      .map((el) => ({ el, b: el.getBoundingClientRect() }))
      .filter(({ b }) => b.width && (b.width < 43.5 || b.height < 43.5))
      .map(({ el, b }) => `${el.tagName.toLowerCase()} "${(el.textContent || el.id).trim().slice(0, 30)}" ${Math.round(b.width)}×${Math.round(b.height)}`),
  );

test('touch targets: the help numbers, the category list and "What the server keeps" are 44 px at least', async () => {
  const { context, page } = await s.open('/help', phone(360, 640));
  await page.getByText('No one can answer right now').waitFor();
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible());
  assert.deepEqual(await smallTargets(page), [], 'home, nobody on duty');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('Category (optional)').waitFor();
  assert.deepEqual(await smallTargets(page), [], 'the tip form');
  await s.shot(page, 'phone-01-tip-form');
  await context.close();
});

test('a follow-up on a slow phone: while it is prepared and sent the screen says so, not a silent Send', async () => {
  const { context, page } = await s.open('/help', phone(360, 640));
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill('A van takes the workers away at five every morning.');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 60000 });
  const code = (await page.locator('.ll-code .ll-group').allTextContents()).join('-');
  await page.getByRole('button', { name: 'I have it' }).click();
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByLabel('Add more information or answer').waitFor({ timeout: 60000 });
  // the relay is slow to answer, as on a bad network
  let release;
  const held = new Promise((r) => (release = r));
  await page.route(s.relay.base + '/v1/receipt/followup', async (route) => {
    await held;
    await route.continue();
  });
  await page.getByLabel('Add more information or answer').fill('There are about twenty people.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const status = page.locator('#ll-followup-status');
  await page.waitForTimeout(300);
  await s.shot(page, 'phone-03-followup-sending');
  assert.match((await status.textContent()) ?? '', /sending/i, 'the visitor sees that it is being sent');
  assert.ok(await status.isVisible());
  release();
  await page.getByText('Sent. Thank you.').waitFor({ timeout: 60000 });
  await context.close();
});

for (const [width, height] of [
  [320, 568],
  [360, 640],
]) {
  test(`${width}×${height}, waiting in line: scrolled to its end, nothing is under the sticky footer`, async () => {
    await coord.cmd('duty');
    const { context, page } = await s.open('/help', phone(width, height));
    await page.getByRole('button', { name: 'Talk to someone now' }).click();
    await page.getByText('You can already type.').waitFor();
    const covered = await page.evaluate(() => {
      for (const el of [document.querySelector('.ll-panel'), document.scrollingElement]) el.scrollTop = 1e6;
      const footer = document.querySelector('.ll-footer').getBoundingClientRect();
      const above = [...document.querySelector('.ll-body').children].filter((el) => !el.classList.contains('ll-footer') && el.getClientRects().length);
      return above.filter((el) => el.getBoundingClientRect().bottom > footer.top + 0.5).map((el) => `${el.className || el.tagName}: ${Math.round(el.getBoundingClientRect().bottom - footer.top)} px under`);
    });
    await s.shot(page, `phone-02-waiting-${width}`);
    assert.deepEqual(covered, [], 'the end of the screen shows above the footer');
    assert.ok(await page.getByText('What the server keeps').isVisible());
    await page.getByRole('button', { name: 'End and wipe' }).click();
    await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
    await context.close();
  });
}

test('320×568, the phone offline for over 20 s mid-chat: the newest message stays in sight above the footer, and nothing offers to wipe the conversation', async () => {
  await coord.cmd('duty');
  // The queue updates of the waits above, drained first, are not claimed.
  await coord.cmd('texts');
  const { context, page } = await s.open('/help', phone(320, 568));
  await claimedChat(page, coord);
  await page.getByLabel('Your message').fill('I am not safe');
  await page.keyboard.press('Enter');
  await coord.cmd('expect I am not safe');
  await context.setOffline(true);
  await unreachable(page);
  await page.getByLabel('Your message').fill('still here');
  await page.keyboard.press('Enter');
  const newest = page.getByRole('log').getByText('still here');
  await newest.waitFor();
  const seen = await page.evaluate(() => {
    const lines = document.querySelectorAll('.ll-log > .ll-msg');
    const last = lines[lines.length - 1].getBoundingClientRect();
    const log = document.querySelector('.ll-log').getBoundingClientRect();
    const footer = document.querySelector('.ll-footer').getBoundingClientRect();
    return { lastBottom: Math.round(last.bottom), logBottom: Math.round(log.bottom), footerTop: Math.round(footer.top), logHeight: Math.round(log.height), screen: innerHeight };
  });
  await s.shot(page, 'phone-05-offline-mid-chat');
  assert.ok(seen.lastBottom <= seen.footerTop + 0.5 && seen.lastBottom <= seen.logBottom + 0.5, `the newest message is above the footer: ${JSON.stringify(seen)}`);
  assert.ok(seen.logHeight >= 96, `the conversation keeps room on the screen: ${JSON.stringify(seen)}`);
  assert.equal(await page.getByRole('button', { name: 'Leave a tip instead' }).count(), 0);
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible(), 'the first number in sight too');
  const numberBox = await page.getByRole('link', { name: '112' }).boundingBox();
  assert.ok(numberBox.y >= 0 && numberBox.y + numberBox.height <= seen.footerTop, `112 on screen: ${JSON.stringify(numberBox)}`);
  await context.setOffline(false);
  await coord.cmd('expect still here');
  await coord.cmd('end');
  await context.close();
});

test('without JavaScript (Tor Browser at Safest): the no-script tip pages have 44 px targets too', async () => {
  const context = await s.browser.newContext({ ...phone(320, 568), isMobile: true, hasTouch: true, javaScriptEnabled: false });
  const page = await context.newPage();
  for (const path of ['/tip', '/tip/replies']) {
    await page.goto(s.relay.base + path);
    // a language link a thumb misses by a few pixels leaves the form and what was typed in it
    const small = await page.evaluate(() =>
      [...document.querySelectorAll('button, a[href], select, input, textarea')]
        .map((el) => ({ el, b: el.getBoundingClientRect() }))
        .filter(({ b }) => b.width && (b.width < 43.5 || b.height < 43.5))
        .map(({ el, b }) => `${el.tagName.toLowerCase()} "${(el.textContent || el.name).trim().slice(0, 20)}" ${Math.round(b.width)}×${Math.round(b.height)}`),
    );
    await page.screenshot({ path: `${s.shots}/phone-04-noscript${path.replaceAll('/', '-')}.png`, fullPage: true });
    assert.deepEqual(small, [], path);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), `${path}: no horizontal scroll`);
  }
  await context.close();
});
