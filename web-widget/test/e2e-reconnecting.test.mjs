// Issue 17 item 5, in Chromium against a real relay and the Rust coordinator: the
// coordinator's connection drops mid-conversation. The visitor sees a calm line saying they
// are reconnecting and the conversation is kept, writes meanwhile, and when the coordinator
// resumes (same keys, §9.6) the line goes and the conversation carries on both ways.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { axe, browserSuite, claimedChat, unreachable } from './suite.mjs';

const s = browserSuite();
let coord;
before(async () => {
  ({ coord } = await s.ready);
  await coord.cmd('duty');
});

const AWAY = 'The person you are talking to lost their connection. They are reconnecting; your conversation is kept.';

test('a coordinator who drops and resumes: the visitor sees the reconnecting line, then carries on', async () => {
  const { context, page, problems } = await s.open('/help');
  await claimedChat(page, coord);
  const say = async (text) => {
    await page.getByLabel('Your message').fill(text);
    await page.keyboard.press('Enter');
  };
  await say('hello');
  await coord.cmd('expect hello');

  await coord.cmd('cut');
  await page.getByText(AWAY).waitFor({ timeout: 20000 });
  assert.ok(await page.locator('.ll-verified').isVisible(), 'still the same verified conversation');
  assert.deepEqual(await axe(page), [], 'the reconnecting line');
  await s.shot(page, '60-reconnecting');
  await say('are you still there?');

  await coord.cmd('reconnect');
  await page.getByText(AWAY).waitFor({ state: 'detached', timeout: 20000 });
  await coord.cmd('expect are you still there?');
  await coord.cmd('send Yes, I am back.');
  await page.getByRole('log').getByText('Yes, I am back.').waitFor();
  assert.equal(await page.getByText('had to leave').count(), 0, 'never sent back to the queue');
  const { texts } = await coord.cmd('texts');
  assert.deepEqual(texts, ['hello', 'are you still there?'], 'each once, in order');
  await coord.cmd('end');
  assert.deepEqual(problems, []);
  await context.close();
});

test("the visitor's own connection gone for over 20 s mid-chat: still reconnecting, the numbers show, the message box stays, and what was written goes out on return", async () => {
  // On duty again: the test coordinator's `reconnect` above signs in off duty (the console
  // goes back on duty by itself; this example does only what it is told).
  await coord.cmd('duty');
  const { context, page, problems } = await s.open('/help');
  await claimedChat(page, coord);
  await page.getByLabel('Your message').fill('hi, me again');
  await page.keyboard.press('Enter');
  await coord.cmd('expect hi, me again');

  await context.setOffline(true);
  await unreachable(page);
  // The conversation stays the screen's heart: no block that pushed it away, no tip path
  // that would end and wipe it.
  assert.ok(await page.getByText('Connection lost. Reconnecting…').isVisible());
  assert.equal(await page.getByText('We cannot reach the service right now').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Leave a tip instead' }).count(), 0);
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible(), 'the numbers, while we keep trying');
  assert.ok(await page.getByLabel('Your message').isVisible(), 'a conversation under way keeps its message box');
  assert.deepEqual(await axe(page), [], 'unreachable mid-chat');
  await page.getByLabel('Your message').fill('my phone lost signal');
  await page.keyboard.press('Enter');

  await context.setOffline(false);
  await page.getByText('Connection lost. Reconnecting…').waitFor({ state: 'detached', timeout: 30000 });
  await coord.cmd('expect my phone lost signal');
  await coord.cmd('send Got it, I am here.');
  await page.getByRole('log').getByText('Got it, I am here.').waitFor();
  const { texts } = await coord.cmd('texts');
  assert.deepEqual(texts.slice(-2), ['hi, me again', 'my phone lost signal'], 'each once, in order');
  assert.equal(texts.filter((x) => x === 'my phone lost signal').length, 1);
  await coord.cmd('end');
  assert.deepEqual(problems, []);
  await context.close();
});

