// Proof-of-work that respects a slow phone: while the widget works on a hard challenge, the
// bar moves, and "Back" stops the search (the worker is gone), sends nothing (no hello: the
// relay holds nothing of this visitor) and shows the home screen again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from './suite.mjs';
import { startRelay } from './harness.mjs';

const s = browserSuite({ coordinator: false });
let hard;
after(() => hard?.stop());

test('Back during a long proof-of-work: the search stops, nothing is sent, home again', async () => {
  await s.ready;
  // a challenge no device here finishes while the test looks (16 M tries expected)
  hard = await startRelay({ LIFELINE_POW_BASE_DIFFICULTY: '24', LIFELINE_POW_MAX_DIFFICULTY: '24' });
  const { context, page, problems } = await s.open('/help', {}, { base: hard.base });
  const sent = [];
  let socket = null;
  page.on('websocket', (ws) => {
    socket = ws;
    ws.on('framesent', (f) => sent.push(JSON.parse(f.payload).type));
  });
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  const bar = page.getByRole('progressbar', { name: 'Preparation progress' });
  await bar.waitFor();
  await page.waitForFunction(() => Number(document.querySelector('progress')?.value) > 0, null, { timeout: 60_000 });
  assert.equal(page.workers().length, 1, 'the search runs in a worker');
  const stopped = page.workers()[0].waitForEvent('close', { timeout: 10_000 });
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  await stopped; // the worker was terminated
  await page.waitForTimeout(500);
  assert.ok(socket?.isClosed(), 'the socket is closed');
  assert.deepEqual(sent, [], 'not a frame was sent: no hello, no end');
  assert.deepEqual(problems, []);
  await context.close();
});
