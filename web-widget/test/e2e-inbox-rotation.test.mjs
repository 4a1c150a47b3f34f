// Issue 16 in Chromium against a real relay: a reply sent before an inbox rotation is still
// read by the tipster who comes back after it (the relay serves the retired certificate that
// `lifeline keys rotate-inbox` left in keys/inbox/, the widget verifies it and opens the reply).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { browserSuite } from './suite.mjs';

const s = browserSuite();

/** The relay's own configuration, as the widget fetches it. */
const config = async () => (await fetch(s.relay.base + '/v1/config')).json();

test('a reply sent before an inbox rotation is read after it', async () => {
  await s.ready;
  const { context, page, problems } = await s.open('/help');
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill('Seen at the port before the rotation.');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 30000 });
  const code = (await page.locator('.ll-code .ll-group').allTextContents()).join('-');
  await s.coord.cmd('reply_tip Sent before the rotation.');
  await context.close();

  // Development keys: the relay's key folder is the organisation's, so the retired
  // certificate lands in keys/inbox/ where the relay looks for it.
  const before = (await config()).inbox_certificate;
  const bin = join(process.env.LIFELINE_E2E_TARGET_DIR ?? process.env.CARGO_TARGET_DIR ?? join(import.meta.dirname, '..', '..', 'target'), 'debug', 'lifeline');
  const r = spawnSync(bin, ['keys', 'rotate-inbox', '--dir', s.relay.keys, '--unsealed'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  let served;
  for (let i = 0; i < 100 && !(served?.inbox_certificate !== before && served?.previous_inbox_certificates?.includes(before)); i++) {
    await new Promise((ok) => setTimeout(ok, 100));
    served = await config();
  }
  assert.deepEqual(served.previous_inbox_certificates, [before], 'the retired certificate is served, the new one seals');

  const again = await s.open('/help');
  await again.page.getByRole('button', { name: 'I have a receipt code' }).click();
  await again.page.getByLabel('Receipt code').fill(code);
  await again.page.getByRole('button', { name: 'Open' }).click();
  await again.page.getByText('Sent before the rotation.').waitFor({ timeout: 30000 });
  assert.deepEqual([...problems, ...again.problems], []);
  await again.context.close();
});
