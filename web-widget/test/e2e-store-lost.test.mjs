// Issue 22 item 7 and issue 24, in Chromium against a real relay on the memory store: the
// relay restarts and its memory is gone; the visitor's resume is told the truth (4014, "the
// server lost this conversation", never "expired") and starting again works at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axe, browserSuite } from './suite.mjs';
import { repo } from './harness.mjs';

const s = browserSuite({ coordinator: false });
let relay;
let again = null;
before(async () => ({ relay } = await s.ready));
after(() => again?.stop());

const target = process.env.LIFELINE_E2E_TARGET_DIR ?? process.env.CARGO_TARGET_DIR ?? join(process.env.LIFELINE_E2E_REPO ?? repo, 'target');

/** The same relay (port, keys) started again: a restart that lost the memory store. */
async function restart(first) {
  const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-e2e-again-'));
  cpSync(first.keys, join(dataDir, 'keys'), { recursive: true });
  first.stop();
  await new Promise((r) => setTimeout(r, 500));
  const env = { ...process.env, LIFELINE_SERVER_LISTEN: `127.0.0.1:${first.port}`, LIFELINE_SERVER_DATA_DIR: dataDir, LIFELINE_WIDGET_NEUTRAL_URL: `${first.base}/healthz` };
  const proc = spawn(join(target, 'debug', 'lifeline'), ['serve'], { cwd: process.env.LIFELINE_E2E_REPO ?? repo, env, stdio: ['ignore', 'ignore', process.env.E2E_DEBUG ? 'inherit' : 'ignore'] });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${first.base}/healthz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    stop() {
      proc.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

test('a resume after a memory-store restart says the server lost it and offers to start again', async () => {
  const { context, page, problems } = await s.open('/help');
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByText('No one can answer right now').waitFor(); // welcomed: a session and its token
  s.relay = null; // the suite must not stop it twice
  again = await restart(relay);
  await page.getByText('The server lost this conversation. You can start a new one now.').waitFor({ timeout: 20000 }).catch(async (e) => { console.log(await page.locator('body').innerText()); throw e; });
  assert.equal(await page.getByText('expired').count(), 0, 'never "expired"');
  await s.shot(page, '40-store-lost');
  assert.deepEqual(await axe(page), [], 'the lost screen');
  await page.getByRole('button', { name: 'Start again' }).click();
  await page.getByText('No one can answer right now').waitFor({ timeout: 20000 });
  assert.equal(await page.getByText('The server lost this conversation').count(), 0, 'a fresh conversation');
  assert.deepEqual(problems, []);
  await context.close();
});
