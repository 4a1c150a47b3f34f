// Issue 16 item 7, in Chromium against a real relay: the widget never skips revocation. A
// relay whose /v1/config carries no revocation list gets no chat and no tip: the widget says
// why and shows the help numbers. A relay that leaves the list out of `welcome` still has its
// coordinator checked, against the list verified with /v1/config.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, PHONE, watch } from './suite.mjs';

const s = browserSuite();
let relay, coord, browser;
before(async () => ({ relay, coord, browser } = await s.ready));

const REFUSED = 'We could not check that this service is safe to use right now, so we stopped. Nothing was sent.';

/** A page whose relay answers /v1/config with `edit` applied to the real answer. */
async function pageWithConfig(edit) {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  const problems = watch(page, relay.base);
  await page.route(relay.base + '/v1/config', async (route) => {
    const res = await route.fetch();
    route.fulfill({ response: res, body: JSON.stringify(edit(await res.json())) });
  });
  await page.goto(relay.base + '/help');
  return { context, page, problems };
}

test('a relay that sends no revocation list: refused, the reason said, the numbers shown', async () => {
  for (const edit of [(c) => ({ ...c, revocations: undefined }), (c) => ({ ...c, revocations: '' })]) {
    const { context, page, problems } = await pageWithConfig(edit);
    await page.getByText(REFUSED).waitFor();
    assert.equal(await page.getByRole('alert').textContent(), REFUSED);
    assert.equal(await page.getByRole('link', { name: '112' }).getAttribute('href'), 'tel:112');
    assert.equal(await page.getByRole('button', { name: 'Talk to someone now' }).count(), 0, 'no chat offered');
    assert.equal(await page.getByRole('button', { name: 'Leave a tip instead' }).count(), 0, 'no tip form without a checked inbox');
    await s.shot(page, '60-no-revocation-list');
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('a relay that leaves the list out of welcome: the config list checks the coordinator, the chat opens', async () => {
  await coord.cmd('duty');
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  const problems = watch(page, relay.base);
  let stripped = 0;
  await page.routeWebSocket(/\/v1\/visitor$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      const f = JSON.parse(m);
      if (f.type === 'welcome') {
        delete f.revocations;
        stripped++;
      }
      ws.send(JSON.stringify(f));
    });
  });
  await page.goto(relay.base + '/help');
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByText('Waiting for someone to answer').waitFor();
  await coord.cmd('wait_claim');
  await page.getByText(`You are talking to ${coord.alias}`).waitFor();
  assert.ok(stripped >= 1, 'the welcome reached the widget without its list');
  await page.getByRole('button', { name: /End/ }).last().click();
  assert.deepEqual(problems, []);
  await context.close();
});
