// Issue 15 item 3, in Chromium against a real relay: a tip keeps its text until the relay
// confirms it, an empty tip is never sent, every length limit is announced before it is
// reached and nothing is cut silently. (The ended screen keeping the coordinator's last words
// is tested in e2e.test.mjs, "the coordinator ends".)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { axe, browserSuite } from './suite.mjs';

// Someone on duty: with no one, the chat hides its message box once the visitor is queued,
// which, the proof-of-work being random (and searched ahead), can come before the chat's
// length checks below are done.
const s = browserSuite();
let relay;
before(async () => {
  ({ relay } = await s.ready);
  await s.coord.cmd('duty');
});

const TIP = 'The van comes every Tuesday at 5 in the morning.';

test('a tip whose sending fails keeps its text and category, says why, and sends on retry', async () => {
  const { context, page } = await s.open('/help', { bypassCSP: true });
  let failing = true;
  const filed = [];
  await page.route(relay.base + '/v1/tips', (route) => {
    filed.push(route.request().postDataJSON());
    return failing ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"v":1,"error":"store unavailable"}' }) : route.continue();
  });
  await page.getByRole('button', { name: 'Report a tip' }).click();
  // an empty tip is refused by the widget: nothing reaches the relay
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByText('Write something before sending.').waitFor();
  assert.equal(filed.length, 0, 'no empty tip filed');
  await page.getByLabel('What would you like to tell us?').fill(TIP);
  await page.getByLabel('Category (optional)').selectOption('labour');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByText('The tip could not be sent. Please try again.').waitFor({ timeout: 30000 });
  assert.equal(await page.getByLabel('What would you like to tell us?').inputValue(), TIP, 'the text is still there');
  assert.equal(await page.getByLabel('Category (optional)').inputValue(), 'labour');
  await s.shot(page, '30-tip-failed-kept');
  assert.deepEqual(await axe(page), [], 'the send error');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'll-error', 'the focus is on the error');
  failing = false;
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 30000 });
  assert.equal(filed.length, 2);
  // a new tip starts empty: the sent one is not kept
  await page.getByRole('button', { name: 'I have it' }).click();
  await page.getByRole('button', { name: 'Report a tip' }).click();
  assert.equal(await page.getByLabel('What would you like to tell us?').inputValue(), '');
  await context.close();
});

test('length limits: a counter before the limit, a clear message past it, nothing cut, nothing sent', async () => {
  const { context, page } = await s.open('/help');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  const tip = page.getByLabel('What would you like to tell us?');
  await tip.fill('x'.repeat(100));
  assert.equal(await page.locator('#ll-tip-text-count').textContent(), '', 'no counter far from the limit');
  await tip.fill('x'.repeat(50000));
  await page.getByText('10000 characters left.').waitFor();
  await tip.fill('x'.repeat(60003));
  await page.getByText('Too long by 3 characters.').waitFor();
  assert.equal((await tip.inputValue()).length, 60003, 'nothing was cut');
  assert.equal(await tip.getAttribute('aria-invalid'), 'true');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.waitForTimeout(200);
  assert.equal(await page.getByRole('heading', { name: 'Encrypting and sending your tip…' }).count(), 0, 'a tip over the limit is not sent');
  await s.shot(page, '31-tip-too-long');
  await page.getByRole('button', { name: 'Back' }).click();
  // the chat box: 4000 characters
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  const box = page.getByLabel('Your message');
  await box.fill('y'.repeat(3300));
  await page.getByText('700 characters left.').waitFor();
  await box.fill('y'.repeat(4010));
  await page.getByText('Too long by 10 characters.').waitFor();
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  assert.equal((await box.inputValue()).length, 4010, 'kept, not cut, not sent');
  assert.equal(await page.locator('.ll-me').count(), 0);
  await box.fill('y'.repeat(4000));
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator('.ll-me').waitFor();
  assert.equal((await page.locator('.ll-me .ll-text').textContent()).length, 4000, 'the whole message, at the limit');
  await page.getByRole('button', { name: 'End and wipe' }).click();
  await context.close();
});

test("Enter that commits an input method's composition is not a send; Enter alone is", async () => {
  const { context, page } = await s.open('/help');
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  const box = page.getByLabel('Your message');
  await box.waitFor();
  await box.focus();
  const notSent = async (how) => {
    await page.waitForTimeout(100);
    assert.equal(await page.locator('.ll-me').count(), 0, `${how}: nothing sent`);
    assert.match(await box.inputValue(), /\S/, `${how}: the words are still in the box`);
  };
  // A composition under way (Chinese pinyin, Japanese…): Chromium's Enter then has isComposing.
  const ime = await context.newCDPSession(page);
  await ime.send('Input.imeSetComposition', { text: 'nihao', selectionStart: 5, selectionEnd: 5 });
  await page.keyboard.press('Enter');
  await notSent('Enter with a composition open');
  // As Android keyboards and older Safari report it: the input method's key code, 229.
  await box.dispatchEvent('keydown', { key: 'Enter', keyCode: 229, bubbles: true, cancelable: true });
  await notSent('Enter as key code 229');
  await ime.send('Input.insertText', { text: '你好' });
  await page.keyboard.press('Enter');
  await page.locator('.ll-me').waitFor();
  assert.equal((await page.locator('.ll-me .ll-text').textContent()).includes('你好'), true, 'the committed words, sent by the Enter after them');
  assert.equal(await page.locator('.ll-me').count(), 1, 'once');
  assert.equal(await box.inputValue(), '');
  await page.getByRole('button', { name: 'End and wipe' }).click();
  await context.close();
});
