// A long store outage and a store that comes back empty, in Chromium at phone size against a
// real relay on Redis (protocol §9.4, §9.5). Frozen for 8 s mid-chat: the relay answers
// `retry` all along, and past 5 s the visitor is told, calmly, that their words wait here;
// the line goes once Redis answers and every message arrives. Then Redis is killed and
// restarted empty: the chat ends as lost (4014), and every message no coordinator
// acknowledged (stored or not) reads "not delivered", so the visitor knows to say it again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { axe, browserSuite, claimedChat } from './suite.mjs';
import { startRedis } from './redis-server.mjs';

const redis = await startRedis();
after(() => redis.stop());

const s = browserSuite({ env: { LIFELINE_STORE_KIND: 'redis', LIFELINE_STORE_REDIS_URL: redis.url } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const OUTAGE = 'Trouble on our side: your message waits here and goes out when it can.';

test('Redis frozen for 8 s: a calm status line, gone when it answers; then lost: unacknowledged words read "not delivered"', async () => {
  const { coord } = await s.ready;
  await coord.cmd('duty');
  const { context, page, problems } = await s.open('/help');
  await claimedChat(page, coord);
  const say = async (text) => {
    await page.getByLabel('Your message').fill(text);
    await page.keyboard.press('Enter');
  };
  const mark = (text) => page.locator('.ll-me', { hasText: text }).locator('.ll-mark');
  const line = page.getByRole('status').getByText(OUTAGE);
  await say('before');
  await coord.cmd('expect before');

  redis.freeze();
  const frozen = Date.now();
  try {
    await say('held 1');
    await line.waitFor({ timeout: 12000 });
    const after = Date.now() - frozen;
    assert.ok(after >= 5000, `not said for a blip (said after ${after} ms)`);
    // Said, and nothing is blocked: typing, ending and the quick exit are all there.
    await say('held 2');
    await page.locator('.ll-me', { hasText: 'held 2' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'End and wipe' }).isVisible(), 'End stays');
    assert.ok(await page.getByRole('button', { name: /^Emergency exit/ }).first().isVisible(), 'quick exit stays');
    assert.equal(await mark('held 1').getAttribute('data-mark'), 'pending');
    await s.shot(page, '41-store-outage');
    assert.deepEqual(await axe(page), [], 'the chat with the outage line');
    await sleep(Math.max(0, 8000 - (Date.now() - frozen)));
  } finally {
    redis.thaw();
  }
  await line.waitFor({ state: 'detached', timeout: 10000 });
  await coord.cmd('expect held 2');
  await mark('held 2').and(page.locator('[data-mark="delivered"]')).waitFor({ timeout: 10000 });
  assert.deepEqual((await coord.cmd('texts')).texts, ['before', 'held 1', 'held 2'], 'every message once, in order');

  // Stored, never read: the coordinator is not reading now, so nothing acknowledges it.
  await say('unread');
  await mark('unread').and(page.locator('[data-mark="sent"]')).waitFor();
  redis.freeze();
  await say('stuck');
  await sleep(1500);
  await redis.restartEmpty();
  await page.getByText('The server lost this conversation. You can start a new one now.').waitFor({ timeout: 15000 });
  const marks = await page.locator('.ll-me').evaluateAll((ms) => ms.map((m) => [m.querySelector('.ll-text').textContent, m.querySelector('.ll-mark').dataset.mark, m.querySelector('.ll-mark [aria-hidden]').textContent, m.querySelector('.ll-mark .ll-sr').textContent.trim()]));
  assert.deepEqual(marks, [
    ['before', 'delivered', '✓✓', 'delivered'],
    ['held 1', 'delivered', '✓✓', 'delivered'],
    ['held 2', 'delivered', '✓✓', 'delivered'],
    ['unread', 'undelivered', 'not delivered', 'not delivered'],
    ['stuck', 'undelivered', 'not delivered', 'not delivered'],
  ]);
  await s.shot(page, '42-store-lost-undelivered');
  assert.deepEqual(await axe(page), [], 'the ended screen with undelivered marks');
  assert.deepEqual(problems, []);
  await context.close();
});
