// Steps the desk's browser suites share: unlocking a desk signed in with development keys
// (a lock passphrase is chosen, typed twice), and a visitor queued in the widget with a first
// message. Labels come in the page's language (`desk/strings.ts`); English by default.
import assert from 'node:assert/strict';
const ENGLISH = { passphrase: 'Passphrase', again: 'Passphrase again', unlock: 'Unlock' };

/** Chooses the lock passphrase at the start screen and unlocks. */
export async function unlockDesk(page, passphrase, w = ENGLISH) {
  await page.getByLabel(w.passphrase, { exact: true }).waitFor();
  // No field of it is offered to a password manager (a saved passphrase opens the idle lock).
  const modes = await page.locator('input[type=password]').evaluateAll((els) => els.map((e) => e.getAttribute('autocomplete')));
  assert.ok(modes.length >= 2 && modes.every((m) => m === 'off'), `password fields' autocomplete: ${modes}`);
  await page.getByLabel(w.passphrase, { exact: true }).fill(passphrase);
  await page.getByLabel(w.again).fill(passphrase);
  await page.getByRole('button', { name: w.unlock }).click();
}

/**
 * A visitor in a phone page of the widget (`s`: the browser suite), queued with a first
 * message. The caller waits for the desk to list them before the next one arrives: each
 * solves a random proof-of-work, so a later visitor could otherwise be queued first.
 */
export async function queuedVisitor(s, first) {
  const { context, page } = await s.open('/help');
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByLabel('Your message').fill(first);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  return { context, page };
}
