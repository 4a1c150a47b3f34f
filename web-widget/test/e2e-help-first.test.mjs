// Help first at /help: the page comes gzipped (by Accept-Encoding, with Vary), and the quick
// exit and the numbers are on screen from the server's HTML alone, before any script; when
// the widget starts, its own quick exit takes the very box the server's link held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { browserSuite, PHONE } from './suite.mjs';

const s = browserSuite({ coordinator: false });

/** A raw GET (Node's fetch would decode the body and hide the coding). */
function get(url, headers) {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

test('/help and / are gzipped when the browser takes it, the same page either way, with Vary', async () => {
  await s.ready;
  for (const path of ['/help', '/']) {
    const plain = await get(s.relay.base + path, {});
    const packed = await get(s.relay.base + path, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(packed.headers['content-encoding'], 'gzip');
    for (const r of [plain, packed]) assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.ok(packed.body.length < plain.body.length * 0.7, `${packed.body.length} < ${plain.body.length}`);
    assert.ok(gunzipSync(packed.body).equals(plain.body));
    assert.equal((await get(s.relay.base + path, { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding'], undefined);
  }
});

test('with no script at all, /help shows the quick exit first and the numbers', async () => {
  const context = await s.browser.newContext({ ...PHONE, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(s.relay.base + '/help');
  const exit = page.getByRole('link', { name: 'Emergency exit: leave this site now' });
  assert.equal(await exit.getAttribute('href'), s.relay.base + '/healthz');
  const box = await exit.boundingBox();
  assert.ok(box && box.y < 40 && box.height >= 44, `at the top, a full-size target: ${JSON.stringify(box)}`);
  assert.ok(await page.getByRole('link', { name: '112' }).isVisible());
  await context.close();
});

test('the widget takes over without moving the quick exit, and nothing on screen shifts', async () => {
  const context = await s.browser.newContext(PHONE);
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__shift = 0;
    new PerformanceObserver((l) => l.getEntries().forEach((e) => (window.__shift += e.value))).observe({ type: 'layout-shift', buffered: true });
  });
  // hold the script back so the server's page can be measured alone
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/widget/lifeline.js', async (route) => {
    await held;
    await route.continue();
  });
  // a deferred script holds DOMContentLoaded back, not the drawing of the page
  await page.goto(s.relay.base + '/help', { waitUntil: 'commit' });
  const link = page.getByRole('link', { name: 'Emergency exit: leave this site now' });
  await link.waitFor();
  await page.getByRole('link', { name: '112' }).waitFor();
  const before = await link.boundingBox();
  release();
  const button = page.getByRole('button', { name: 'Emergency exit: leave this site now' });
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  const after = await button.boundingBox();
  assert.deepEqual(after, before, 'the same box before and after the script');
  const shift = await page.evaluate(() => window.__shift);
  assert.ok(shift < 0.1, `cumulative layout shift ${shift} (0.1 is "good")`);
  await context.close();
});

for (const how of ['Escape', 'button']) {
  test(`the service's settings never loading, the quick exit (${how}) still leaves for the neutral page, not a blank tab`, async () => {
    const context = await s.browser.newContext(PHONE);
    const page = await context.newPage();
    // a network that lets the page through but not the widget's first request
    await page.route('**/v1/config', (route) => route.abort('connectionfailed'));
    await page.goto(s.relay.base + '/help');
    await page.locator('.ll-exit').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-lifeline-fallback]') && document.querySelector('.ll-body')?.textContent);
    if (how === 'Escape') await page.keyboard.press('Escape');
    else await page.getByRole('button', { name: 'Emergency exit: leave this site now' }).click();
    await page.waitForURL(s.relay.base + '/healthz');
    await context.close();
  });
}
