// Issue 19 item 4 in Chromium against a real relay: "What the server keeps" on the chat and
// tip screens says exactly what this relay is configured to keep (none of the defaults:
// 1800 s, 30 days, 256 messages), so a number written into the widget would fail here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { axe, browserSuite } from './suite.mjs';

const s = browserSuite({
  coordinator: false,
  env: { LIFELINE_SESSIONS_IDLE_TTL_S: '1260', LIFELINE_TIPS_RETENTION_DAYS: '9', LIFELINE_SESSIONS_BUFFER_MAX_FRAMES: '33' },
});
before(() => s.ready);

/** Opens the panel as a visitor would (its summary) and returns its sentences. */
async function panel(page) {
  await page.getByText('What the server keeps').click();
  return page.locator('details.ll-holds p').allInnerTexts();
}

test('the chat screen says what the server keeps, from the configuration', async () => {
  const { context, page, problems } = await s.open('/help');
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByRole('heading', { name: 'Conversation' }).waitFor({ timeout: 20000 });
  assert.deepEqual(await panel(page), [
    'Only encrypted messages waiting to be read (at most 33). This conversation is erased 21 min after the last message, or when it ends.',
    'This device keeps nothing.',
  ]);
  await s.shot(page, '50-holds-chat');
  assert.deepEqual(await axe(page), [], 'the chat screen with the panel open');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the tip screen says how long the tip is kept, from the configuration', async () => {
  const { context, page, problems } = await s.open('/help');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByRole('heading', { name: 'Report a tip' }).waitFor();
  assert.deepEqual(await panel(page), ['Your tip, encrypted so that only the organisation can read it, until it is handled or for at most 9 days.', 'This device keeps nothing.']);
  await s.shot(page, '51-holds-tip');
  assert.deepEqual(await axe(page), [], 'the tip screen with the panel open');
  assert.deepEqual(problems, []);
  await context.close();
});
