// Issue 18: the desk in French (on a 13-inch laptop, 1440×900) and in Spanish (1280×720),
// the browser's language chosen in Playwright's context. On every main screen (unlock, off
// duty, the queue, a conversation, the two pickers, the tips, the lock and a wrong
// passphrase, the end of the shift) no English string of the desk's own tables shows, the
// page's language is set, and the screen fits the window. A desk whose relay cannot be
// reached says so in the page's language (the relay's reasons and close codes are worded
// by the page, never shown in the library's English).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repo } from './harness.mjs';
import { browserSuite, watch } from './suite.mjs';
import { deskTables, englishOnly, englishShown, outsideWindow, startDesk } from './desk-checks.mjs';
import { queuedVisitor, unlockDesk } from './desk-steps.mjs';

const target = process.env.LIFELINE_E2E_TARGET_DIR ?? process.env.CARGO_TARGET_DIR ?? join(process.env.LIFELINE_E2E_REPO ?? repo, 'target');
const binary = join(target, 'debug', 'lifeline');
const PASSPHRASE = 'une phrase pour cette permanence';

const s = browserSuite();
let relay, browser, tables;
const desks = [];

before(async () => {
  let coord;
  ({ relay, coord, browser } = await s.ready);
  tables = await deskTables();
  // A colleague on duty, so the transfer picker lists someone (the desks then sign in with
  // the development keys the Rust coordinator used, replacing its first login).
  await coord.cmd('duty');
  await coord.cmd('colleague');
});
after(() => {
  for (const d of desks) d.proc.kill();
});

const deskArgs = (relayUrl) => ['--relay', relayUrl, '--dev-keys', join(relay.keys, 'dev-coordinator'), '--inbox-key', join(relay.keys, 'inbox.key'), '--resources', join(repo, 'config', 'resources.toml'), '--lock-after', '600'];

/** A desk page in `lang` at `viewport`, checked on each screen by `check(name)`. */
async function deskPage(lang, viewport, relayUrl) {
  const desk = await startDesk(binary, deskArgs(relayUrl));
  desks.push(desk);
  const context = await browser.newContext({ viewport, locale: lang });
  const page = await context.newPage();
  const problems = watch(page, desk.origin);
  page.on('dialog', (d) => d.dismiss());
  const english = await englishOnly(lang);
  assert.ok(english.length > 100, 'the English phrases were read from the tables');
  const check = async (screen) => {
    assert.deepEqual(await englishShown(page, english), [], `${lang}, ${screen}: no English`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang, `${lang}, ${screen}: the page's language`);
    assert.deepEqual(await outsideWindow(page), [], `${lang}, ${screen}: fits ${viewport.width}×${viewport.height}`);
  };
  await page.goto(desk.url);
  return { desk, context, page, problems, check, w: tables.tables[lang] };
}

for (const [lang, viewport, first, tip] of [
  ['fr', { width: 1440, height: 900 }, 'Bonjour, j’ai besoin d’aide.', 'Une camionnette passe à la gare chaque matin.'],
  ['es', { width: 1280, height: 720 }, 'Hola, necesito ayuda.', 'Una furgoneta pasa por la estación cada mañana.'],
]) {
  test(`the desk's screens in ${lang}, nothing in English`, { timeout: 180000 }, async () => {
    const tipster = await s.open('/help');
    await tipster.page.getByRole('button', { name: 'Report a tip' }).click();
    await tipster.page.getByLabel('What would you like to tell us?').fill(tip);
    await tipster.page.getByRole('button', { name: 'Send the tip' }).click();
    await tipster.page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 30000 });

    const { desk, context, page, problems, check, w } = await deskPage(lang, viewport, `ws://127.0.0.1:${relay.port}`);
    await page.getByRole('heading', { name: w.unlockTitle }).waitFor();
    await check('unlock');
    await unlockDesk(page, PASSPHRASE, w);
    await page.getByRole('button', { name: w.goOn }).waitFor({ timeout: 30000 });
    await check('off duty');
    await page.getByRole('button', { name: w.goOn }).click();
    await page.getByText(w.on_duty).waitFor();

    const one = (await queuedVisitor(s, first)).context;
    await page.getByRole('heading', { name: `${w.queue} (1)` }).waitFor({ timeout: 30000 });
    await check('queue');
    await page.getByRole('button', { name: w.answerNext }).click();
    await page.locator('.line.them').getByText(first).waitFor({ timeout: 30000 });
    await check('conversation');
    await page.getByRole('button', { name: w.resources }).click();
    await page.getByRole('dialog', { name: w.resources }).waitFor();
    await check('resource picker');
    await page.getByRole('button', { name: w.cancel }).click();
    await page.getByRole('button', { name: w.transfer }).click();
    await page.getByRole('dialog', { name: w.pickColleague }).waitFor();
    await check('transfer picker');
    await page.getByRole('button', { name: w.cancel }).click();

    await page.locator('[data-key="tab-tips"]').click();
    await page.getByRole('button', { name: new RegExp(w.received({ t: '' }).trim()) }).first().click();
    // Tips from an earlier language may be listed too: any one opened will do.
    await page.locator('.transcript').getByText(/camionnette|furgoneta/).waitFor({ timeout: 30000 });
    await check('tips');

    await page.locator('[data-key="lock"]').click();
    await page.getByRole('heading', { name: w.lockedTitle }).waitFor();
    await check('locked');
    await page.getByLabel(w.passphrase, { exact: true }).fill('pas la bonne phrase');
    await page.getByRole('button', { name: w.unlock }).click();
    await page.getByText(w.wrong_passphrase).waitFor();
    await check('wrong passphrase');
    await page.getByLabel(w.passphrase, { exact: true }).fill(PASSPHRASE);
    await page.getByRole('button', { name: w.unlock }).click();
    await page.locator('[data-key="tab-chats"]').click();
    await page.locator('.line.them').getByText(first).waitFor({ timeout: 30000 });
    await page.getByRole('button', { name: w.end, exact: true }).click();
    await page.getByRole('dialog', { name: w.confirmEnd }).getByRole('button', { name: w.end, exact: true }).click();
    await page.getByText(w.erased({ number: 1 })).waitFor();
    await check('conversation ended');

    await page.getByRole('button', { name: w.endShift }).click();
    await check('asked to end the shift');
    await page.getByRole('dialog', { name: w.confirmEndShift }).getByRole('button', { name: w.endShift }).click();
    await page.getByRole('heading', { name: w.endedTitle }).waitFor();
    await check('end of shift');
    await new Promise((r) => (desk.proc.exitCode !== null ? r() : desk.proc.on('exit', r)));
    assert.deepEqual(problems, [], 'no CSP violation, page error or request elsewhere');
    for (const c of [one, tipster.context, context]) await c.close();
  });
}

/** A loopback port nothing listens on. */
function deadPort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test('a relay that cannot be reached is told in the page’s language, not the library’s English', { timeout: 60000 }, async () => {
  const port = await deadPort();
  for (const lang of ['fr', 'es']) {
    const { context, page, check, w } = await deskPage(lang, { width: 1280, height: 720 }, `ws://127.0.0.1:${port}`);
    await page.getByRole('heading', { name: w.unlockTitle }).waitFor();
    await unlockDesk(page, PASSPHRASE, w);
    await page.getByText(tables.reasonTables[lang].reasons.unreachable).waitFor({ timeout: 30000 });
    await check('relay unreachable');
    assert.ok(!(await page.content()).includes('connection failed'), 'the library’s words stay out');
    await context.close();
  }
});
