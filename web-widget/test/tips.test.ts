// The tip path against a simulated relay: /v1/config is checked against the pinned key, a tip
// is sealed to the certified inbox with a receipt-derived reply key, replies open only when
// sealed by the inbox, follow-ups are Auth-sealed from the receipt key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { forget, Relay, SEED_USABLE_MS, TipError } from '../src/tips';
import { TipWork } from '../src/tip-work';
import { b64url, concat, fromB64url, fromHex, hex, labelled } from '../src/crypto/encoding';
import { ed25519Sign, sha256, x25519Public } from '../src/crypto/primitives';
import { CERTIFICATE_LABEL } from '../src/crypto/labels';
import { openAsInbox, TIP_LABEL, FOLLOWUP_LABEL, REPLY_LABEL, encodeTip, tipInfo } from '../src/crypto/sealed_tip';
import { seal } from '../src/crypto/hpke';
import { deriveReceipt } from '../src/crypto/receipt';

const certs = JSON.parse(readFileSync(new URL('../../tests/vectors/certificates.json', import.meta.url), 'utf8'));
const H = fromHex;
const ORG = H(certs.org_public);
const NOW = certs.checks[0].now;
const INBOX_SECRET = H(certs.inbox.x25519_secret);
const INBOX_CERT = H(certs.inbox.certificate);
const INBOX_PUBLIC = INBOX_CERT.subarray(26, 58);

function fakeRelay(overrides: Record<string, unknown> = {}, solve = solveTip, conflicts = 0, stalls = 0) {
  const posts: { path: string; body: any }[] = [];
  const seeds: number[] = [];
  const replies: string[] = [];
  const fetcher = async (url: string, init?: { method?: string; body?: string }) => {
    const path = new URL(url).pathname;
    const reply = (status: number, body: unknown) => ({ status, text: async () => JSON.stringify(body) });
    if (path === '/v1/config')
      return reply(200, {
        v: 1,
        organisation: b64url(ORG),
        inbox_certificate: b64url(INBOX_CERT),
        revocations: b64url(H(certs.revocation_list.encoded)),
        emergency: [{ label: 'Emergency services', number: '112' }],
        tip_categories: ['labour'],
        neutral_url: 'https://www.wikipedia.org/',
        resume_in_session_storage: false,
        on_duty: 0,
        ...overrides,
      });
    if (path === '/v1/pow') return seeds.push(posts.length), reply(200, { v: 1, seed: b64url(new Uint8Array(16).fill(3)), difficulty: 2 });
    const body = JSON.parse(init!.body!);
    posts.push({ path, body });
    // An upload the line never carries through: no answer at all.
    if (path === '/v1/tips' && stalls-- > 0) return new Promise<never>(() => {});
    if (path === '/v1/tips') return conflicts-- > 0 ? reply(409, { v: 1, error: 'this receipt already has a tip' }) : reply(200, { v: 1, id: b64url(new Uint8Array(16)) });
    if (path === '/v1/receipt') return posts.filter((p) => p.path === '/v1/tips').some((p) => p.body.lookup === body.lookup) ? reply(200, { v: 1, replies }) : reply(404, { v: 1, error: 'no tip under this receipt' });
    if (path === '/v1/receipt/followup') return reply(200, { v: 1, error: '' });
    return reply(404, {});
  };
  const relay = new Relay('http://relay.test', ORG, fetcher, solve, () => NOW);
  return { relay, posts, replies, seeds };
}

async function solveTip(seed: Uint8Array, ctx: Uint8Array, difficulty: number, progress: (p: number) => void) {
  assert.equal(new TextDecoder().decode(ctx), 'tip', 'tip PoW context');
  assert.equal(difficulty, 2);
  assert.deepEqual(seed, new Uint8Array(16).fill(3));
  progress(1);
  return 7;
}

test('config: verified against the pinned key; a foreign organisation or a forged inbox is refused', async () => {
  const ok = await fakeRelay().relay.config();
  assert.equal(hex(ok.inbox), hex(INBOX_PUBLIC));
  assert.equal(ok.onDuty, 0);
  assert.deepEqual(ok.tipCategories, ['labour']);
  await assert.rejects(fakeRelay({ organisation: b64url(new Uint8Array(32).fill(1)) }).relay.config(), /pinned/);
  const forged = INBOX_CERT.slice();
  forged[30] ^= 1;
  await assert.rejects(fakeRelay({ inbox_certificate: b64url(forged) }).relay.config());
  // a coordinator certificate is not an inbox (role 2 required)
  await assert.rejects(fakeRelay({ inbox_certificate: certs.coordinator.certificate.length ? b64url(H(certs.coordinator.certificate)) : '' }).relay.config());
  // Without a revocation list nothing can be trusted: refused, and the reason is kept (§2.2).
  for (const revocations of [undefined, '']) {
    await assert.rejects(fakeRelay({ revocations }).relay.config(), (e: any) => e.code === 'missing_revocations');
  }
});

test('a tip: PoW with context "tip", sealed to the inbox with the receipt key; replies and follow-ups', async () => {
  const { relay, posts, replies } = fakeRelay();
  const config = await relay.config();
  const shown: number[] = [];
  const receipt = await new TipWork(relay).send(config.inbox, 'They are locked in at night.', 'labour', (p) => shown.push(p));
  assert.equal(shown[shown.length - 1], 1, 'progress ends full');
  const [filed] = posts;
  assert.equal(filed.path, '/v1/tips');
  assert.equal(filed.body.nonce, 7);
  assert.equal(fromB64url(filed.body.sealed).length, 32 + 1024 + 16, 'smallest tip bucket');
  const keys = await deriveReceipt(receipt, sha256(ORG));
  assert.equal(filed.body.lookup, b64url(keys.lookupId), 'filed under the receipt lookup id');
  const opened = openAsInbox(sha256(ORG), INBOX_SECRET, INBOX_PUBLIC, TIP_LABEL, fromB64url(filed.body.sealed));
  assert.equal(opened.text, 'They are locked in at night.');
  assert.equal(opened.category, 'labour');
  assert.equal(hex(opened.replyKey!), hex(keys.tipsterPublic));
  // a reply from the inbox opens; one sealed by someone else is dropped, never shown
  replies.push(b64url(seal(keys.tipsterPublic, tipInfo(REPLY_LABEL, sha256(ORG), INBOX_PUBLIC), new Uint8Array(0), encodeTip({ text: 'Thank you.' }), INBOX_SECRET)));
  replies.push(b64url(seal(keys.tipsterPublic, tipInfo(REPLY_LABEL, sha256(ORG), INBOX_PUBLIC), new Uint8Array(0), encodeTip({ text: 'forged' }), new Uint8Array(32).fill(9))));
  assert.deepEqual(await relay.replies([config.inbox], keys), ['Thank you.']);
  await relay.followUp(config.inbox, keys, 'More detail.', () => {});
  const fu = posts[posts.length - 1];
  assert.equal(fu.path, '/v1/receipt/followup');
  assert.equal(openAsInbox(sha256(ORG), INBOX_SECRET, INBOX_PUBLIC, FOLLOWUP_LABEL, fromB64url(fu.body.sealed), keys.tipsterPublic).text, 'More detail.');
  // an unknown receipt is "not found", not an error
  const other = await deriveReceipt(receipt, new Uint8Array(32));
  assert.equal(await relay.replies([config.inbox], other), null);
  assert.ok(new TipError(404, 'x') instanceof Error);
  // a store that cannot answer (503) is an error (the screen says so), never "not found"
  const down = async () => ({ status: 503, text: async () => JSON.stringify({ v: 1, error: 'tip store unavailable, retry later' }) });
  const unavailable = new Relay('http://relay.test', ORG, down, solveTip, () => NOW);
  await assert.rejects(unavailable.replies([config.inbox], keys), (e) => e instanceof TipError && e.status === 503);
});

test('config: labels per language for numbers and categories, malformed parts left out', async () => {
  const c = await fakeRelay({
    emergency: [{ label: 'Emergency services', number: '112', labels: { fr: "Services d'urgence", es: 7, ar: '' } }, { label: 'Help line', number: '211' }],
    tip_category_labels: { fr: { labour: 'travail', other: ['x'] }, es: 'not a map' },
  }).relay.config();
  assert.deepEqual(c.emergency, [
    { label: 'Emergency services', number: '112', labels: { fr: "Services d'urgence" } },
    { label: 'Help line', number: '211', labels: {} },
  ]);
  assert.deepEqual(c.tipCategoryLabels, { fr: { labour: 'travail' }, es: {} });
  assert.deepEqual((await fakeRelay().relay.config()).tipCategoryLabels, {}, 'absent: none');
});

test('config: what the server keeps, all three counts or nothing (an old relay sends none)', async () => {
  const holds = { erase_after_idle_s: 1260, tip_retention_days: 9, max_waiting_messages: 33 };
  assert.deepEqual((await fakeRelay({ holds }).relay.config()).holds, { eraseAfterIdleS: 1260, tipRetentionDays: 9, maxWaitingMessages: 33 });
  assert.equal((await fakeRelay().relay.config()).holds, null, 'absent');
  assert.equal((await fakeRelay({ holds: { ...holds, tip_retention_days: '9' } }).relay.config()).holds, null, 'a count that is not a number');
  assert.equal((await fakeRelay({ holds: { ...holds, max_waiting_messages: 0 } }).relay.config()).holds, null, 'zero');
});

const settle = () => new Promise((r) => setTimeout(r, 50));

test('a tip is prepared while it is written: the seed fetched and solved before Send, only the tip itself after', async () => {
  const { relay, posts, seeds } = fakeRelay();
  const config = await relay.config();
  const work = new TipWork(relay);
  work.start();
  work.start();
  await settle();
  assert.deepEqual(seeds, [0], 'one seed, fetched before anything was sent');
  assert.equal(posts.length, 0, 'nothing of the tip leaves before Send');
  await work.send(config.inbox, 'Words written meanwhile.', undefined, () => {});
  assert.deepEqual(seeds, [0], 'Send fetched no seed: the one solved while writing is used');
  assert.deepEqual(posts.map((p) => p.path), ['/v1/tips']);
});

test('a seed older than four minutes is solved afresh at Send; a 409 draws another code and keeps the unspent seed', async () => {
  let clock = 0;
  const { relay, seeds } = fakeRelay();
  const config = await relay.config();
  const work = new TipWork(relay, () => clock);
  work.start();
  await settle();
  clock += SEED_USABLE_MS + 1;
  await work.send(config.inbox, 'Written slowly.', undefined, () => {});
  assert.equal(seeds.length, 2, 'a second seed for the stale one');

  const second = fakeRelay({}, solveTip, 1);
  const receipt = await new TipWork(second.relay).send((await second.relay.config()).inbox, 'Again.', undefined, () => {});
  const filed = second.posts.map((p) => p.body);
  assert.equal(filed.length, 2);
  assert.equal(filed[0].seed, filed[1].seed, 'the same seed: a 409 does not spend it');
  assert.notEqual(filed[0].lookup, filed[1].lookup, 'another receipt code');
  assert.equal(filed[1].lookup, b64url((await deriveReceipt(receipt, sha256(ORG))).lookupId), 'the code shown is the one filed');
  assert.equal(second.seeds.length, 1);
});

/** A relay that files each lookup once (409 after, §9.9), whose answers can be lost on the way back. */
function losingRelay() {
  const filed: string[] = [];
  const seeds: number[] = [];
  let lose = 0;
  const inner = fakeRelay();
  const fetcher = async (url: string, init?: { method?: string; body?: string }) => {
    const path = new URL(url).pathname;
    if (path !== '/v1/tips') {
      if (path === '/v1/pow') seeds.push(filed.length);
      return (inner.relay as any).fetcher(url, init);
    }
    const { lookup } = JSON.parse(init!.body!);
    if (filed.includes(lookup)) return { status: 409, text: async () => JSON.stringify({ v: 1, error: 'this receipt already has a tip; send a follow-up' }) };
    filed.push(lookup);
    if (lose-- > 0) throw new TypeError('Failed to fetch');
    return { status: 200, text: async () => JSON.stringify({ v: 1, id: b64url(new Uint8Array(16)) }) };
  };
  const relay = new Relay('http://relay.test', ORG, fetcher, solveTip, () => NOW);
  return { relay, filed, seeds, loseNext: () => (lose = 1) };
}

test('a tip whose answer was lost, sent again with the same words, is filed once and shows the one code filed (F-57)', async () => {
  const { relay, filed, seeds, loseNext } = losingRelay();
  const config = await relay.config();
  const work = new TipWork(relay);
  loseNext();
  await assert.rejects(work.send(config.inbox, 'Sent on a dropping line.', 'labour', () => {}), /Failed to fetch/);
  assert.equal(filed.length, 1, 'the relay had it');
  assert.equal(work.filing, false, 'Back is offered again');
  const receipt = await work.send(config.inbox, 'Sent on a dropping line.', 'labour', () => {});
  assert.equal(filed.length, 1, 'not filed a second time');
  assert.equal(b64url((await deriveReceipt(receipt, sha256(ORG))).lookupId), filed[0], 'the code shown is the one filed');
  assert.equal(seeds.length, 2, 'a fresh seed was solved after the failure (the first may be spent)');

  // Other words after a lost answer are another tip: another code, the earlier one not shown as theirs.
  const other = losingRelay();
  const again = new TipWork(other.relay);
  other.loseNext();
  await assert.rejects(again.send(config.inbox, 'First words.', undefined, () => {}));
  const second = await again.send(config.inbox, 'First words, and more.', undefined, () => {});
  assert.equal(other.filed.length, 2);
  assert.equal(b64url((await deriveReceipt(second, sha256(ORG))).lookupId), other.filed[1]);

  // A refusal the relay did answer (503): the same code files when sent again.
  const { relay: refusing, posts } = fakeRelay();
  let down = true;
  const flaky = new Relay('http://relay.test', ORG, async (url, init) => (down && url.endsWith('/v1/tips') ? ((down = false), { status: 503, text: async () => '{"v":1,"error":"tip store unavailable, retry later"}' }) : (refusing as any).fetcher(url, init)), solveTip, () => NOW);
  const retried = new TipWork(flaky);
  await assert.rejects(retried.send(config.inbox, 'Store was down.', undefined, () => {}), (e) => e instanceof TipError && e.status === 503);
  const kept = await retried.send(config.inbox, 'Store was down.', undefined, () => {});
  assert.equal(posts.length, 1);
  assert.equal(posts[0].body.lookup, b64url((await deriveReceipt(kept, sha256(ORG))).lookupId));
});

test('a follow-up whose answer was lost is sent again as it was, seed included (the relay keeps it once); other words, or an answer, start afresh (F-57)', async () => {
  const posted: string[] = [];
  const answers: (number | 'lost')[] = ['lost', 200, 'lost', 409, 502, 200];
  const inner = fakeRelay();
  let seeds = 0;
  const relay = new Relay('http://relay.test', ORG, async (url, init) => {
    if (url.endsWith('/v1/pow')) seeds++;
    if (!url.endsWith('/v1/receipt/followup')) return (inner.relay as any).fetcher(url, init);
    posted.push(init!.body!);
    const answer = answers.shift();
    if (answer === 'lost') throw new TypeError('Failed to fetch');
    return { status: answer!, text: async () => JSON.stringify({ v: 1, error: answer === 200 ? undefined : 'this tip has all the follow-ups it can hold until a coordinator answers it' }) };
  }, solveTip, () => NOW);
  const config = await relay.config();
  const keys = await deriveReceipt(await new TipWork(relay).send(config.inbox, 'The tip.', undefined, () => {}), sha256(ORG));
  seeds = 0;
  await assert.rejects(relay.followUp(config.inbox, keys, 'More.', () => {}), /Failed to fetch/);
  await relay.followUp(config.inbox, keys, 'More.', () => {});
  assert.equal(posted[1], posted[0], 'the same body again: the same seed, the same sealed words');
  assert.equal(seeds, 1, 'no second search');
  // lost again, then other words: a new body
  await assert.rejects(relay.followUp(config.inbox, keys, 'And more.', () => {}));
  await assert.rejects(relay.followUp(config.inbox, keys, 'And more, edited.', () => {}), (e) => e instanceof TipError && e.status === 409);
  assert.notEqual(JSON.parse(posted[3]).sealed, JSON.parse(posted[2]).sealed);
  // the 409 was the relay's answer: the same words next time are sealed and solved afresh
  await assert.rejects(relay.followUp(config.inbox, keys, 'And more, edited.', () => {}), (e) => e instanceof TipError && e.status === 502);
  assert.notEqual(JSON.parse(posted[4]).sealed, JSON.parse(posted[3]).sealed);
  assert.equal(seeds, 4);
  // a 502 may be a proxy's page for a lost answer: sent again as it was
  await relay.followUp(config.inbox, keys, 'And more, edited.', () => {});
  assert.equal(posted[5], posted[4]);
  assert.equal(seeds, 4);
});

test('a follow-up whose search ends after its keys were forgotten (Home during the search) is not sent', async () => {
  let solved: (n: number) => void = () => {};
  const slow = (_s: Uint8Array, _c: Uint8Array, _d: number, _p: (p: number) => void) => new Promise<number>((r) => (solved = r));
  const { relay, posts } = fakeRelay({}, slow);
  const config = await relay.config();
  const keys = await deriveReceipt((await new TipWork(fakeRelay().relay).send(config.inbox, 'The tip.', undefined, () => {})), sha256(ORG));
  const sending = relay.followUp(config.inbox, keys, 'More.', () => {});
  await settle();
  forget(keys);
  solved(7);
  await assert.rejects(sending, /cancelled/);
  assert.equal(posts.length, 0, 'nothing sent');
});

test('a follow-up kept for sending again is forgotten with its keys (leaving the replies, the quick exit)', async () => {
  const posted: string[] = [];
  let lose = true;
  const inner = fakeRelay();
  const relay = new Relay('http://relay.test', ORG, async (url, init) => {
    if (!url.endsWith('/v1/receipt/followup')) return (inner.relay as any).fetcher(url, init);
    posted.push(init!.body!);
    if (lose) throw new TypeError('Failed to fetch');
    return { status: 200, text: async () => '{"v":1}' };
  }, solveTip, () => NOW);
  const config = await relay.config();
  const receipt = await new TipWork(relay).send(config.inbox, 'The tip.', undefined, () => {});
  const keys = await deriveReceipt(receipt, sha256(ORG));
  await assert.rejects(relay.followUp(config.inbox, keys, 'More.', () => {}));
  forget(keys);
  lose = false;
  // Asked again with the same (now wiped) keys: the kept body went with them, so it is not
  // what is sent (the wiped keys seal something else, or nothing).
  await relay.followUp(config.inbox, keys, 'More.', () => {}).catch(() => {});
  assert.ok(!posted.slice(1).includes(posted[0]), 'the kept body was forgotten');
  // the code opened again: its follow-up goes, sealed afresh
  await relay.followUp(config.inbox, await deriveReceipt(receipt, sha256(ORG)), 'More.', () => {});
  assert.notEqual(posted[posted.length - 1], posted[0]);
});

test('leaving the form, or Back after Send, calls the search off and sends nothing', async () => {
  let aborted = false;
  const endless = (_s: Uint8Array, _c: Uint8Array, _d: number, _p: (p: number) => void, signal?: AbortSignal) =>
    new Promise<number>((_, reject) => signal?.addEventListener('abort', () => ((aborted = true), reject(new Error('pow cancelled')))));
  const { relay, posts } = fakeRelay({}, endless);
  const work = new TipWork(relay);
  work.start();
  await settle();
  work.cancel();
  await settle();
  assert.ok(aborted, 'the search stopped');
  assert.equal(posts.length, 0);
  // Back while waiting after Send: the same, and the send says so
  aborted = false;
  const waiting = new TipWork(relay);
  const sending = waiting.send((await relay.config()).inbox, 'Never sent.', undefined, () => {});
  await settle();
  assert.equal(waiting.filing, false);
  waiting.cancel();
  await assert.rejects(sending, /pow cancelled/);
  assert.ok(aborted, 'the search stopped');
  assert.equal(posts.length, 0, 'nothing filed');
});

test('a tip upload that stalls gives up with an error after the upload deadline', async (t) => {
  const { relay, posts } = fakeRelay({}, solveTip, 0, 1);
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let failed: unknown = null;
  const filing = relay.fileTip({ seed: b64url(new Uint8Array(16).fill(3)), nonce: 1 }, new Uint8Array(32).fill(4), new Uint8Array(64)).catch((e) => (failed = e));
  await new Promise((r) => setImmediate(r));
  assert.equal(posts.length, 1, 'the upload went out');
  t.mock.timers.tick(89_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(failed, null, 'still waiting within the upload deadline');
  t.mock.timers.tick(2_000);
  await filing;
  assert.ok(failed instanceof Error && !(failed instanceof TipError), `gave up: ${failed}`);
});

test('Back while the seed is on its way: no search starts, and no fresh seed is fetched later', async (t) => {
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  let seeds = 0;
  const fetcher = async (url: string) => {
    const path = new URL(url).pathname;
    if (path !== '/v1/pow') return { status: 404, text: async () => '{}' };
    seeds++;
    await gate;
    return { status: 200, text: async () => JSON.stringify({ v: 1, seed: b64url(new Uint8Array(16).fill(3)), difficulty: 2 }) };
  };
  // A search that ignores an abort that fired before it began, as workers started late did.
  let searches = 0;
  const deaf = async () => (searches++, 42);
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const work = new TipWork(new Relay('http://relay.test', ORG, fetcher as never, deaf, () => NOW));
  work.start();
  await Promise.resolve();
  work.cancel();
  release();
  for (let i = 0; i < 20; i++) await Promise.resolve();
  assert.equal(searches, 0, 'no search for a seed that came after Back');
  t.mock.timers.tick(SEED_USABLE_MS * 3);
  for (let i = 0; i < 20; i++) await Promise.resolve();
  assert.equal(seeds, 1, 'no fresh seed fetched for a form the visitor left');
  assert.equal(searches, 0);
});

test('after an inbox rotation: a reply sealed from a retired inbox key opens; a "previous" certificate the organisation did not sign is refused', async () => {
  // The retired key's certificate: the inbox certificate's body with another key, signed by the organisation (§2.1).
  const certified = (x25519Secret: Uint8Array, signer: Uint8Array) => {
    const body = INBOX_CERT.slice(0, INBOX_CERT.length - 64);
    body.set(x25519Public(x25519Secret), 26);
    return concat(body, ed25519Sign(signer, labelled(CERTIFICATE_LABEL, body)));
  };
  const RETIRED = new Uint8Array(32).fill(5);
  const FORGER = new Uint8Array(32).fill(6);
  const previous = [certified(RETIRED, H(certs.org_seed)), certified(FORGER, H(certs.other_org_seed))].map(b64url);
  const { relay, replies } = fakeRelay({ previous_inbox_certificates: [...previous, 'not a certificate'] });
  const config = await relay.config();
  assert.equal(hex(config.inbox), hex(INBOX_PUBLIC), 'tips are still sealed to the current key only');
  assert.deepEqual(config.previousInboxes.map(hex), [hex(x25519Public(RETIRED))], 'the forged and malformed ones are left out');
  const receipt = await new TipWork(relay).send(config.inbox, 'Before the rotation.', 'labour', () => {});
  const keys = await deriveReceipt(receipt, sha256(ORG));
  const replyFrom = (secret: Uint8Array, text: string) => b64url(seal(keys.tipsterPublic, tipInfo(REPLY_LABEL, sha256(ORG), x25519Public(secret)), new Uint8Array(0), encodeTip({ text }), secret));
  replies.push(replyFrom(RETIRED, 'Sent before the rotation.'), replyFrom(INBOX_SECRET, 'Sent after it.'), replyFrom(FORGER, 'forged'));
  assert.deepEqual(await relay.replies([config.inbox, ...config.previousInboxes], keys), ['Sent before the rotation.', 'Sent after it.']);
  assert.deepEqual(await relay.replies([config.inbox], keys), ['Sent after it.'], 'without the retired key, its reply stays unread');
  // A relay too old to send the list: none, and the current key still reads its replies.
  assert.deepEqual((await fakeRelay().relay.config()).previousInboxes, []);
});

/** Keys of a receipt, for requests that never reach the point of opening anything. */
const someKeys = () => ({ master: new Uint8Array(32).fill(1), tipsterSecret: new Uint8Array(32).fill(2), tipsterPublic: x25519Public(new Uint8Array(32).fill(2)), lookupId: new Uint8Array(32).fill(4) });

test('a follow-up called off during its proof-of-work (the quick exit, the page left) is never sent, even if the search finishes', async () => {
  let answer: ((n: number) => void) | null = null;
  let told: AbortSignal | undefined;
  // a search that finishes whatever it is told (a worker's answer already on its way)
  const late = (_s: Uint8Array, _c: Uint8Array, _d: number, _p: (p: number) => void, signal?: AbortSignal) => ((told = signal), new Promise<number>((r) => (answer = r)));
  const { relay, posts } = fakeRelay({}, late);
  const keys = someKeys();
  const life = new AbortController();
  const sending = relay.followUp(INBOX_PUBLIC, keys, 'More detail.', () => {}, life.signal);
  while (!answer) await settle();
  life.abort();
  assert.equal(told?.aborted, true, 'the search was told to stop');
  keys.lookupId.fill(0); // the wipe forgets the keys
  answer!(7);
  await assert.rejects(sending);
  assert.deepEqual(posts, [], 'nothing posted, no zeroed lookup id above all');
});

test('the config and opening a code give up after 20 s on a connection that never answers (then the numbers, a way back)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const relay = new Relay('http://relay.test', ORG, () => new Promise(() => {}), solveTip, () => NOW);
  const outcome = (p: Promise<unknown>) => {
    const o = { done: false };
    p.then(() => {}, () => (o.done = true));
    return o;
  };
  const config = relay.config();
  const replies = relay.replies([INBOX_PUBLIC], someKeys());
  const [c, r] = [outcome(config), outcome(replies)];
  t.mock.timers.tick(19_999);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([c.done, r.done], [false, false], 'still waiting before 20 s');
  t.mock.timers.tick(1);
  await assert.rejects(config);
  await assert.rejects(replies);
});
