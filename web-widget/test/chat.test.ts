// The chat state machine against a simulated relay and a coordinator built from the vectors:
// PoW then hello, queue, text typed before the handshake, marks, duplicates, resume with
// resend, rekey after `left` with re-encryption under new numbers, ends and failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Chat, ChatOptions, ChatView, OPEN_MS, SocketHandlers } from '../src/chat';
import { decodeRevocations } from '../src/crypto/certificate';
import { b64url, concat, fromB64url, fromHex, labelled } from '../src/crypto/encoding';
import { CERTIFICATE_LABEL } from '../src/crypto/labels';
import { ed25519Sign, sha256 } from '../src/crypto/primitives';
import { respondForTests } from '../src/crypto/handshake';
import { SessionCipher, DIR_C2V, DIR_V2C } from '../src/crypto/session';

const dir = new URL('../../tests/vectors/', import.meta.url);
const hs = JSON.parse(readFileSync(new URL('handshake.json', dir), 'utf8'));
const certs = JSON.parse(readFileSync(new URL('certificates.json', dir), 'utf8'));
const H = fromHex;
const ORG = H(hs.org_public);
const SESSION = H(hs.session_id);
const tick = () => new Promise((r) => setTimeout(r, 5));

class FakeRelay {
  sockets: { h: SocketHandlers; sent: any[]; closed: boolean }[] = [];
  connect = (h: SocketHandlers) => {
    const s = { h, sent: [] as any[], closed: false };
    this.sockets.push(s);
    return { send: (t: string) => s.sent.push(JSON.parse(t)), close: () => (s.closed = true) };
  };
  get current() {
    return this.sockets[this.sockets.length - 1];
  }
  push(frame: Record<string, unknown>) {
    this.current.h.onMessage(JSON.stringify({ v: 1, ...frame }));
  }
  sentOf(type: string) {
    return this.sockets.flatMap((s) => s.sent).filter((f) => f.type === type);
  }
}

function coordinatorAnswer(message1: Uint8Array, eph = H(hs.coordinator_ephemeral_secret)) {
  const r = respondForTests(SESSION, sha256(ORG), H(hs.coordinator_static_secret), H(hs.coordinator_ed25519_seed), ed25519Sign, H(hs.coordinator_certificate), eph, message1);
  return { message2: r.message2, cipher: new SessionCipher(SESSION, r.k2, r.k1, r.handshakeHash, DIR_C2V, DIR_V2C) };
}

function newChat(relay: FakeRelay, views: ChatView[] = [], extra: Partial<ChatOptions> = {}) {
  return new Chat({
    connect: relay.connect,
    solve: async (seed, ctx, difficulty, progress) => {
      assert.equal(difficulty, 3);
      assert.deepEqual(ctx, SESSION, 'PoW context is the session id');
      progress(0.5);
      return 42;
    },
    org: ORG,
    lang: 'en',
    now: () => hs.now,
    onChange: (v) => views.push(structuredClone({ ...v, messages: v.messages.map((m) => ({ ...m })) })),
    backoff: [10],
    pingMs: 60_000,
    ...extra,
  });
}

async function openedChat(extra: Partial<ChatOptions> = {}) {
  const relay = new FakeRelay();
  const views: ChatView[] = [];
  const chat = newChat(relay, views, extra);
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  const [hello] = relay.sentOf('hello');
  assert.equal(hello.pow_nonce, 42);
  assert.equal(hello.kind, 'chat');
  assert.equal(hello.lang, 'en');
  assert.equal(fromB64url(hello.handshake).length, 32);
  assert.ok(views.some((v) => v.phase === 'pow' && v.powProgress === 0.5), 'PoW progress shown');
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 1, delivered: 0, revocations: certs.revocation_list.encoded.length ? b64url(H(certs.revocation_list.encoded)) : '' });
  relay.push({ type: 'queue', position: 2, wait_estimate_s: 120, on_duty: 1 });
  return { relay, chat, views, message1: fromB64url(hello.handshake) };
}

test('a ticket is solved while the socket opens; its ticket_hello answers, the challenge is not solved again (§9.1)', async () => {
  const relay = new FakeRelay();
  const seed = new Uint8Array(16).fill(5);
  const searched: Uint8Array[] = [];
  const chat = newChat(relay, [], {
    ticket: { session: SESSION, seed, difficulty: 3 },
    solve: async (s, ctx, difficulty) => {
      searched.push(s);
      assert.equal(difficulty, 3);
      assert.deepEqual(ctx, SESSION);
      return 7;
    },
  });
  chat.start();
  assert.equal(searched.length, 1, 'the search starts before anything arrives');
  await tick();
  const [hello] = relay.sentOf('ticket_hello');
  assert.deepEqual([hello.session, hello.seed, hello.pow_nonce, hello.kind, hello.lang], [b64url(SESSION), b64url(seed), 7, 'chat', 'en']);
  assert.equal(fromB64url(hello.handshake).length, 32);
  relay.push({ type: 'challenge', session: b64url(new Uint8Array(16).fill(1)), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  assert.equal(searched.length, 1, "the socket's own challenge is not solved");
  assert.equal(relay.sentOf('hello').length, 0);
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 1, delivered: 0, revocations: '' });
  relay.push({ type: 'queue', position: 1, wait_estimate_s: 60, on_duty: 1 });
  assert.equal(chat.view.phase, 'waiting');
  assert.equal(chat.view.position, 1);
  // A dropped socket before anything else: the reconnect resumes with the token, no new search.
  relay.current.h.onClose(1006);
  await new Promise((r) => setTimeout(r, 30));
  relay.push({ type: 'challenge', session: b64url(new Uint8Array(16).fill(2)), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  assert.equal(relay.sentOf('resume').length, 1);
  assert.equal(searched.length, 1);
  chat.end();
});

test('a refused ticket (4005) is followed at once by the socket challenge, once', async () => {
  const relay = new FakeRelay();
  const chat = newChat(relay, [], { ticket: { session: SESSION, seed: new Uint8Array(16), difficulty: 3 } });
  chat.start();
  await tick();
  assert.equal(relay.sentOf('ticket_hello').length, 1);
  relay.current.h.onClose(4005);
  assert.equal(relay.sockets.length, 2, 'a new socket at once');
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  assert.equal(relay.sentOf('hello').length, 1, 'answered with hello');
  relay.current.h.onClose(4005);
  assert.equal(chat.view.phase, 'failed', 'a refused hello is not retried');
});

test('hello, queue, text typed before the handshake, alias, marks, duplicates', async () => {
  const { relay, chat, message1 } = await openedChat();
  assert.equal(chat.view.phase, 'waiting');
  assert.equal(chat.view.position, 2);
  assert.equal(chat.view.waitEstimate, 120);
  chat.send('typed early');
  assert.equal(relay.sentOf('msg').length, 0, 'nothing leaves before keys exist');
  const coord = coordinatorAnswer(message1);
  relay.push({ type: 'peer', event: 'joined' });
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coord.message2) });
  assert.equal(chat.view.phase, 'chatting');
  assert.equal(chat.view.alias, 'Amara (Lyon)');
  assert.deepEqual(relay.sentOf('ack').map((f) => f.seq), [1]);
  const [msg] = relay.sentOf('msg');
  assert.equal(msg.seq, 1);
  assert.deepEqual(coord.cipher.decrypt(fromB64url(msg.body)), { kind: 'text', text: 'typed early' });
  const mine = () => chat.view.messages.filter((m) => m.from === 'me');
  assert.equal(mine()[0].mark, 'pending');
  relay.push({ type: 'stored', seq: 1 });
  assert.equal(mine()[0].mark, 'sent');
  relay.push({ type: 'delivered', seq: 1 });
  assert.equal(mine()[0].mark, 'delivered');
  const hi = b64url(coord.cipher.encryptText('hello from the coordinator'));
  relay.push({ type: 'deliver', seq: 2, kind: 'data', body: hi });
  relay.push({ type: 'deliver', seq: 2, kind: 'data', body: hi }); // duplicate after a resume
  assert.deepEqual(chat.view.messages.filter((m) => m.from === 'them').map((m) => m.text), ['hello from the coordinator']);
  assert.deepEqual(relay.sentOf('ack').map((f) => f.seq), [1, 2]);
  // the coordinator's Close, then the end: an orderly end, not a truncation
  relay.push({ type: 'deliver', seq: 3, kind: 'data', body: b64url(coord.cipher.encryptClose()) });
  relay.push({ type: 'peer', event: 'ended' });
  assert.equal(chat.view.phase, 'ended');
  assert.equal(chat.view.endReason, 'ended');
  assert.ok(relay.current.closed);
});

test('resume after a dropped socket resends what was not stored, with the same numbers', async () => {
  const { relay, chat, message1 } = await openedChat();
  const coord = coordinatorAnswer(message1);
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coord.message2) });
  chat.send('first');
  assert.deepEqual(coord.cipher.decrypt(fromB64url(relay.sentOf('msg')[0].body)), { kind: 'text', text: 'first' });
  relay.push({ type: 'stored', seq: 1 });
  relay.push({ type: 'delivered', seq: 1 });
  relay.current.h.onClose(1006);
  assert.equal(chat.view.phase, 'reconnecting');
  chat.send('while offline');
  const before = relay.sockets.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(relay.sockets.length, before + 1, 'reconnected after the backoff');
  relay.push({ type: 'challenge', session: b64url(new Uint8Array(16).fill(1)), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  const [resume] = relay.current.sent;
  assert.deepEqual(resume, { v: 1, type: 'resume', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), last_seq: 1 });
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 2, delivered: 1, revocations: b64url(H(certs.revocation_list.encoded)) });
  const resent = relay.current.sent.filter((f) => f.type === 'msg');
  assert.deepEqual(resent.map((f) => f.seq), [2], 'only the unstored frame, same seq');
  assert.deepEqual(coord.cipher.decrypt(fromB64url(resent[0].body)), { kind: 'text', text: 'while offline' });
  assert.equal(chat.view.phase, 'chatting');
  // the relay ends the session without the coordinator's Close: a truncation
  relay.current.h.onClose(4010);
  assert.equal(chat.view.endReason, 'truncated');
});

test('peer reconnecting shows the calm line and keeps keys and numbers; back clears it', async () => {
  const { relay, chat, message1 } = await openedChat();
  const coord = coordinatorAnswer(message1);
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coord.message2) });
  chat.send('before');
  relay.push({ type: 'peer', event: 'reconnecting' });
  assert.equal(chat.view.peerAway, true);
  assert.equal(chat.view.phase, 'chatting', 'the conversation is kept');
  chat.send('while they reconnect');
  assert.equal(relay.sentOf('rekey').length, 0, 'no new handshake');
  const msgs = relay.sentOf('msg');
  assert.deepEqual(msgs.map((m) => m.seq), [1, 2], 'same keys, next number');
  assert.deepEqual(coord.cipher.decrypt(fromB64url(msgs[0].body)), { kind: 'text', text: 'before' });
  assert.deepEqual(coord.cipher.decrypt(fromB64url(msgs[1].body)), { kind: 'text', text: 'while they reconnect' });
  relay.push({ type: 'peer', event: 'back' });
  assert.equal(chat.view.peerAway, false);
  relay.push({ type: 'deliver', seq: 2, kind: 'data', body: b64url(coord.cipher.encryptText('I am back')) });
  assert.deepEqual(chat.view.messages.filter((m) => m.from === 'them').map((m) => m.text), ['I am back']);
});

test('after `left`, a rekey with a fresh ephemeral; undelivered text re-encrypted under new numbers', async () => {
  const { relay, chat, message1 } = await openedChat();
  const first = coordinatorAnswer(message1);
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(first.message2) });
  chat.send('delivered one');
  relay.push({ type: 'delivered', seq: 1 });
  chat.send('never delivered');
  relay.push({ type: 'stored', seq: 2 });
  relay.push({ type: 'peer', event: 'left' });
  const [rekey] = relay.sentOf('rekey');
  assert.ok(rekey, 'rekey sent');
  assert.notEqual(rekey.handshake, b64url(message1), 'fresh ephemeral');
  assert.equal(chat.view.phase, 'waiting');
  const second = coordinatorAnswer(fromB64url(rekey.handshake), new Uint8Array(32).fill(0x44));
  relay.push({ type: 'deliver', seq: 2, kind: 'handshake', body: b64url(second.message2) });
  const msgs = relay.sentOf('msg');
  assert.deepEqual(msgs.map((m) => m.seq), [1, 2, 3], 'a new number for the re-sent text');
  assert.deepEqual(second.cipher.decrypt(fromB64url(msgs[2].body)), { kind: 'text', text: 'never delivered' });
  chat.end();
  const sent = relay.current.sent;
  assert.equal(sent[sent.length - 1].type, 'end');
  assert.equal(second.cipher.decrypt(fromB64url(sent[sent.length - 2].body)).kind, 'close', 'authenticated Close before end');
  assert.equal(chat.view.phase, 'ended');
});

test('a tampered message 2 fails the chat; wipeNow forgets all', async () => {
  const { relay, chat, message1 } = await openedChat();
  const bad = coordinatorAnswer(message1).message2;
  bad[200] ^= 1;
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(bad) });
  assert.equal(chat.view.phase, 'failed');
  assert.equal(relay.current.sent[relay.current.sent.length - 1].type, 'end', 'the relay is told to erase it');
  assert.ok(relay.current.closed);

  const again = await openedChat();
  again.chat.send('secret');
  again.chat.wipeNow();
  assert.equal(again.chat.view.messages.length, 0);
  assert.equal(again.relay.current.sent[again.relay.current.sent.length - 1].type, 'end');
  assert.ok(again.relay.current.closed);
});

test('a message 2 sealed properly but carrying a certificate another organisation signed fails the chat', async () => {
  // The same coordinator certificate, its signature made with another organisation's key:
  // everything in message 2 decrypts and verifies except who vouched for the coordinator.
  const genuine = H(hs.coordinator_certificate);
  const body = genuine.slice(0, genuine.length - 64);
  const forged = concat(body, ed25519Sign(H(certs.other_org_seed), labelled(CERTIFICATE_LABEL, body)));
  assert.notDeepEqual(forged, genuine);
  const answer = (certificate: Uint8Array, message1: Uint8Array) =>
    respondForTests(SESSION, sha256(ORG), H(hs.coordinator_static_secret), H(hs.coordinator_ed25519_seed), ed25519Sign, certificate, H(hs.coordinator_ephemeral_secret), message1).message2;

  const control = await openedChat();
  control.relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(answer(genuine, control.message1)) });
  assert.equal(control.chat.view.phase, 'chatting', 'the same message 2 with the genuine certificate opens the chat');

  const { relay, chat, message1 } = await openedChat();
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(answer(forged, message1)) });
  assert.equal(chat.view.phase, 'failed');
  assert.equal(relay.current.sent[relay.current.sent.length - 1].type, 'end', 'the relay is told to erase it');
  assert.ok(relay.current.closed);
});

test('a welcome with a revocation list not signed by the pinned key fails', async () => {
  const relay = new FakeRelay();
  const chat = newChat(relay);
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  const forged = H(certs.revocation_list.encoded);
  forged[forged.length - 1] ^= 1;
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32)), next_seq: 1, delivered: 0, revocations: b64url(forged) });
  assert.equal(chat.view.phase, 'failed');
});

test('a full line (4008) says so at once; retries go on quietly and a welcome clears it', async () => {
  const relay = new FakeRelay();
  const chat = newChat(relay, [], { unreachableAfterMs: 60_000 });
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  relay.current.h.onClose(4008);
  assert.equal(chat.view.busy, true, 'busy at once, not after the 20 s');
  assert.equal(chat.view.phase, 'reconnecting');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(relay.sockets.length, 2, 'kept trying behind the notice');
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  assert.equal(relay.sentOf('hello').length, 2, 'a fresh hello (no token yet: a new proof-of-work)');
  assert.equal(chat.view.busy, true, 'still busy until the relay takes the chat');
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 1, delivered: 0, revocations: b64url(H(certs.revocation_list.encoded)) });
  assert.equal(chat.view.busy, false);
  chat.end();
});

test('a first socket that brings nothing in OPEN_MS fails as a refused one: the numbers and the tip path at once, retries behind them', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const relay = new FakeRelay();
  const views: ChatView[] = [];
  const chat = newChat(relay, views);
  chat.start();
  // a stalled line: the socket never opens, nothing comes and nothing closes it
  t.mock.timers.tick(OPEN_MS - 1);
  assert.deepEqual([relay.sockets.length, relay.current.closed, chat.view.phase, chat.view.unreachable], [1, false, 'connecting', false], 'still given its time');
  t.mock.timers.tick(1);
  assert.equal(relay.sockets[0].closed, true, 'given up at OPEN_MS, not at the ping check 110 s on');
  assert.equal(chat.view.phase, 'reconnecting');
  assert.equal(chat.view.unreachable, true, 'said now: the visitor has waited long enough');
  assert.ok(views.some((v) => v.unreachable && v.phase === 'reconnecting'), 'the screen was told');
  t.mock.timers.tick(10);
  assert.equal(relay.sockets.length, 2, 'tried again behind the notice');
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await new Promise((r) => setImmediate(r)); // its proof-of-work done and hello sent
  assert.equal(relay.sentOf('hello').length, 1);
  t.mock.timers.tick(2 * OPEN_MS);
  assert.deepEqual([relay.sockets.length, relay.current.closed], [2, false], 'a socket that answered has no deadline');
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 1, delivered: 0, revocations: b64url(H(certs.revocation_list.encoded)) });
  assert.equal(chat.view.unreachable, false, 'a welcome clears it');
  chat.end();
});

test('a reconnect failing for unreachableAfterMs marks the chat unreachable, still retrying; a welcome clears it', async () => {
  const { relay, chat, views } = await openedChat({ unreachableAfterMs: 40 });
  relay.current.h.onClose(1006);
  assert.equal(chat.view.unreachable, false, 'a short drop is not "no one can answer"');
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 12));
    if (!relay.current.closed) relay.current.h.onClose(1006);
  }
  assert.equal(chat.view.unreachable, true);
  assert.ok(views.some((v) => v.unreachable && v.phase === 'reconnecting'), 'the screen was told');
  const tries = relay.sockets.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(relay.sockets.length > tries, 'still retrying behind the numbers');
  relay.push({ type: 'challenge', session: b64url(new Uint8Array(16).fill(1)), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 1, delivered: 0, revocations: b64url(H(certs.revocation_list.encoded)) });
  assert.equal(chat.view.unreachable, false);
  assert.equal(chat.view.phase, 'waiting');
  chat.end();
});

/** A chat that reached its coordinator's message 2 after a welcome carrying `revocations` (`null`: no welcome at all). */
async function handshakeWith(welcomeRevocations: string | undefined | null, extra: Partial<ChatOptions>) {
  const relay = new FakeRelay();
  const chat = newChat(relay, [], extra);
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  const [hello] = relay.sentOf('hello');
  if (welcomeRevocations !== null) relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 1, delivered: 0, revocations: welcomeRevocations });
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coordinatorAnswer(fromB64url(hello.handshake)).message2) });
  return { relay, chat };
}

const LIST_3_9 = b64url(H(certs.revocation_list.encoded));
const REVOKING_7 = H(certs.revocation_list_revoking_7); // the handshake coordinator's serial is 7
const configList = (bytes: Uint8Array) => decodeRevocations(bytes, ORG, hs.now);

test('no revocation list held (none from config, none in welcome): refused, said why, erased at the relay', async () => {
  for (const welcome of [null, undefined, '']) {
    const { relay, chat } = await handshakeWith(welcome, {});
    assert.equal(chat.view.phase, 'failed');
    assert.equal(chat.view.endReason, 'no_list');
    assert.equal(chat.view.alias, null, 'no alias shown for an unchecked coordinator');
    assert.equal(relay.current.sent[relay.current.sent.length - 1].type, 'end');
  }
});

test('a relay that skips welcome or its list: the config list still revokes the coordinator', async () => {
  for (const welcome of [null, undefined]) {
    const { chat } = await handshakeWith(welcome, { revocations: configList(REVOKING_7) });
    assert.equal(chat.view.phase, 'failed');
    assert.equal(chat.view.endReason, 'error');
    assert.equal(chat.view.alias, null);
  }
});

test('a welcome list no newer than the held one does not replace it', async () => {
  const { chat } = await handshakeWith(LIST_3_9, { revocations: configList(REVOKING_7) });
  assert.equal(chat.view.phase, 'failed', 'serial 7 stays revoked');
  const fresh = await handshakeWith(undefined, { revocations: configList(H(certs.revocation_list.encoded)) });
  assert.equal(fresh.chat.view.phase, 'chatting', 'the config list alone suffices');
  fresh.chat.wipeNow();
});

test('a held list past the maximum age by the time the coordinator answers: refused', async () => {
  // issued at now - 3600: fresh for a 4000 s maximum age at first, stale 401 s later
  let now = hs.now;
  const list = configList(H(certs.revocation_list.encoded));
  const relay = new FakeRelay();
  const chat = newChat(relay, [], { revocations: list, revocationMaxAge: 4000, now: () => now });
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  const [hello] = relay.sentOf('hello');
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 1, delivered: 0, revocations: LIST_3_9 });
  now += 401;
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coordinatorAnswer(fromB64url(hello.handshake)).message2) });
  assert.equal(chat.view.endReason, 'no_list');
});

/** A solver that searches until called off, and records that it was. */
function endlessSolver(seen: { aborted: boolean }) {
  return (_seed: Uint8Array, _ctx: Uint8Array, _d: number, progress: (p: number) => void, signal?: AbortSignal) =>
    new Promise<number>((_, reject) => {
      progress(0.1);
      signal?.addEventListener('abort', () => {
        seen.aborted = true;
        reject(new Error('cancelled'));
      });
    });
}

test('going back during the proof-of-work stops the search and sends nothing at all', async () => {
  const relay = new FakeRelay();
  const seen = { aborted: false };
  const chat = newChat(relay, [], { solve: endlessSolver(seen) });
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  assert.equal(chat.view.phase, 'pow');
  chat.send('typed ahead');
  chat.cancel();
  await tick();
  assert.ok(seen.aborted, 'the search was called off');
  assert.deepEqual(relay.current.sent, [], 'no hello, no end, no message');
  assert.ok(relay.current.closed);
  assert.deepEqual(chat.view.messages, [], 'what was typed ahead is forgotten');
  assert.equal(chat.view.tooSlow, false);
});

test('a proof-of-work past its maximum is given up: nothing sent, the view says so', async () => {
  const relay = new FakeRelay();
  const views: ChatView[] = [];
  const seen = { aborted: false };
  const chat = newChat(relay, views, { solve: endlessSolver(seen), powMaxMs: 20 });
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(seen.aborted);
  assert.equal(chat.view.tooSlow, true);
  assert.equal(views[views.length - 1].tooSlow, true, 'the screen was told');
  assert.deepEqual(relay.current.sent, []);
  assert.ok(relay.current.closed);
});

test('a solver that finishes in time is not given up', async () => {
  const { chat } = await openedChat({ powMaxMs: 20 });
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(chat.view.tooSlow, false);
  assert.equal(chat.view.phase, 'waiting');
});

test('a hand-over is asked first: a verified colleague is offered, the answer sent, nothing re-keyed until told', async () => {
  const { relay, chat, message1 } = await openedChat();
  const coord = coordinatorAnswer(message1);
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coord.message2) });
  const valid = certs.checks.find((c: any) => c.expect === 'ok');
  relay.push({ type: 'transfer_offer', certificate: b64url(H(valid.certificate)), answer_within_s: 60 });
  assert.equal(chat.view.offer, 'Amara (Lyon)', 'the alias from the verified certificate');
  assert.equal(relay.sentOf('transfer_answer').length, 0, 'the visitor chooses');
  chat.answerTransfer(false);
  assert.deepEqual(relay.sentOf('transfer_answer'), [{ v: 1, type: 'transfer_answer', accept: false }]);
  assert.equal(chat.view.offer, null);
  assert.equal(relay.sentOf('rekey').length, 0, 'declined: same keys');
  assert.equal(chat.view.messages[chat.view.messages.length - 1].text, 'consent_stayed');
  // offered again, no answer: the relay withdraws it
  relay.push({ type: 'transfer_offer', certificate: b64url(H(valid.certificate)), answer_within_s: 60 });
  relay.push({ type: 'transfer_withdrawn' });
  assert.equal(chat.view.offer, null);
  assert.equal(chat.view.phase, 'chatting');
  // accepted: re-keyed only once the relay says the hand-over goes ahead
  relay.push({ type: 'transfer_offer', certificate: b64url(H(valid.certificate)), answer_within_s: 60 });
  chat.answerTransfer(true);
  assert.equal(relay.sentOf('transfer_answer')[1].accept, true);
  assert.equal(relay.sentOf('rekey').length, 0);
  relay.push({ type: 'peer', event: 'transferring' });
  assert.equal(relay.sentOf('rekey').length, 1);
});

test('an offered colleague whose certificate does not verify is declined without asking', async () => {
  const { relay, chat, message1 } = await openedChat();
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coordinatorAnswer(message1).message2) });
  // (the time- and list-dependent checks are the vectors' own `now`s and lists, not this chat's)
  for (const c of certs.checks.filter((c: any) => ['wrong_signer', 'malformed', 'wrong_role'].includes(c.expect))) {
    relay.push({ type: 'transfer_offer', certificate: b64url(H(c.certificate)), answer_within_s: 60 });
    assert.equal(chat.view.offer, null, c.why);
  }
  const answers = relay.sentOf('transfer_answer');
  assert.ok(answers.length === 4 && answers.every((a) => a.accept === false));
  assert.equal(chat.view.phase, 'chatting', 'the chat goes on');
});

test('store faults (§9.4, §9.5): a burst of retry is one resend in order; 4014 and a welcome below stored are "lost"', async () => {
  const { relay, chat, message1 } = await openedChat();
  const coord = coordinatorAnswer(message1);
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coord.message2) });
  for (const text of ['one', 'two', 'three']) chat.send(text);
  relay.push({ type: 'stored', seq: 1 });
  for (let i = 0; i < 2; i++) relay.push({ type: 'retry', after_s: 0 });
  await tick();
  const msgs = relay.current.sent.filter((f) => f.type === 'msg').map((f) => f.seq);
  assert.deepEqual(msgs, [1, 2, 3, 2, 3], 'the unstored frames once more, in order, for two retries');
  relay.push({ type: 'stored', seq: 3 });
  // a resume whose welcome is below what the relay had confirmed: lost, never re-based
  relay.current.h.onClose(1006);
  await new Promise((r) => setTimeout(r, 30));
  relay.push({ type: 'challenge', session: b64url(new Uint8Array(16).fill(1)), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 2, delivered: 1, revocations: b64url(H(certs.revocation_list.encoded)) });
  assert.equal(chat.view.endReason, 'lost');
  assert.equal(relay.sentOf('end').length, 1, 'the coordinator is told by the end');
  // and the relay's own 4014
  const other = await openedChat();
  other.relay.current.h.onClose(4014);
  assert.equal(other.chat.view.phase, 'ended');
  assert.equal(other.chat.view.endReason, 'lost');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(other.relay.sockets.length, 1, 'no resume after 4014');
});

test('a long store outage (§9.4): a run of retry past outageAfterMs is said; a shorter blip is not; the next stored clears it', async (t) => {
  const { relay, chat, message1, views } = await openedChat();
  const coord = coordinatorAnswer(message1);
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coord.message2) });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  // The relay refuses every frame for `seconds`, as it does while Redis is down; the
  // widget resends each second.
  const refuse = (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      relay.push({ type: 'retry', after_s: 1 });
      t.mock.timers.tick(1000);
    }
  };
  const said = () => views.filter((v) => v.outage).length;
  chat.send('one');
  refuse(3);
  assert.deepEqual(relay.sentOf('msg').map((f) => f.seq), [1, 1, 1, 1], 'resent each second');
  assert.equal(said(), 0, 'a 3-s blip says nothing');
  relay.push({ type: 'stored', seq: 1 });
  chat.send('two');
  refuse(4);
  assert.equal(said(), 0, 'the clock starts again with each run: 4 s into this one, nothing yet');
  refuse(1);
  assert.equal(chat.view.outage, true, 'said at 5 s');
  refuse(10);
  assert.equal(chat.view.outage, true, 'and kept while refusals go on');
  chat.send('three');
  assert.equal(relay.sentOf('msg').at(-1).seq, 3, 'typing still works meanwhile');
  relay.push({ type: 'stored', seq: 3 });
  assert.equal(chat.view.outage, false, 'gone at the next stored');
  assert.deepEqual(chat.view.messages.filter((m) => m.from === 'me').map((m) => m.mark), ['sent', 'sent', 'sent']);
  refuse(3);
  assert.equal(chat.view.outage, false, 'a refusal with nothing waiting says nothing');
  chat.end();
});

test('every ending turns what no coordinator acknowledged into "undelivered"; delivered stays', async () => {
  const endings: [string, (relay: FakeRelay) => void][] = [
    ['lost (4014)', (r) => r.current.h.onClose(4014)],
    ['truncated (4010)', (r) => r.current.h.onClose(4010)],
    ['expired (4007)', (r) => r.current.h.onClose(4007)],
    ['ended by the coordinator', (r) => r.push({ type: 'peer', event: 'ended' })],
    ['failed', (r) => r.push({ type: 'nonsense' })],
  ];
  for (const [name, end] of endings) {
    const { relay, chat, message1, views } = await openedChat();
    chat.send('typed early');
    const coord = coordinatorAnswer(message1);
    relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coord.message2) });
    chat.send('stored only');
    chat.send('never stored');
    relay.push({ type: 'stored', seq: 2 });
    relay.push({ type: 'delivered', seq: 1 });
    assert.deepEqual(chat.view.messages.filter((m) => m.from === 'me').map((m) => m.mark), ['delivered', 'sent', 'pending'], name);
    end(relay);
    assert.ok(chat.view.phase === 'ended' || chat.view.phase === 'failed', name);
    const shown = views.at(-1)!.messages.filter((m) => m.from === 'me').map((m) => [m.text, m.mark]);
    assert.deepEqual(shown, [['typed early', 'delivered'], ['stored only', 'undelivered'], ['never stored', 'undelivered']], `${name}: as the ended screen draws it`);
  }
  // Typed before anyone joined, then the chat ended: it never left the widget.
  const { relay, chat } = await openedChat();
  chat.send('waiting for keys');
  relay.current.h.onClose(4014);
  assert.equal(chat.view.messages.find((m) => m.from === 'me')?.mark, 'undelivered');
});

/** A solver the test answers by hand; each call kept with its abort signal. */
function manualSolver() {
  const calls: { seed: Uint8Array; signal?: AbortSignal; resolve: (n: number) => void }[] = [];
  const solve: ChatOptions['solve'] = (seed, _ctx, _d, _p, signal) => new Promise((resolve, reject) => {
    calls.push({ seed, signal, resolve });
    signal?.addEventListener('abort', () => reject(new Error('cancelled')));
  });
  return { calls, solve };
}

test("a socket dropped during the chat's own proof-of-work: that search stops, the new challenge is solved, one hello on the new socket", async () => {
  const relay = new FakeRelay();
  const { calls, solve } = manualSolver();
  const chat = newChat(relay, [], { solve });
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16).fill(1)), difficulty: 3 });
  await tick();
  assert.equal(calls.length, 1);
  relay.current.h.onClose(1006);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(relay.sockets.length, 2, 'reconnected');
  assert.ok(calls[0].signal?.aborted, "the dropped socket's search is stopped");
  relay.push({ type: 'challenge', session: b64url(new Uint8Array(16).fill(9)), seed: b64url(new Uint8Array(16).fill(2)), difficulty: 3 });
  await tick();
  assert.equal(calls.length, 2);
  calls[0].resolve(1); // a late answer for the old challenge
  await tick();
  assert.deepEqual(relay.sentOf('hello'), [], 'no hello for a challenge of a socket gone');
  calls[1].resolve(2);
  await tick();
  assert.deepEqual(relay.sockets[1].sent.map((f) => [f.type, f.pow_nonce]), [['hello', 2]]);
  // the search handle is the live one: Back stops nothing else, and sends nothing
  chat.cancel();
  assert.equal(relay.sentOf('hello').length, 1);
});

test('a session taken over on another connection (4011) or a relay of another version (4000) is not resumed; a slow read (4009) is (§8.5)', async () => {
  for (const code of [4011, 4000]) {
    const { relay, chat, message1 } = await openedChat();
    relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coordinatorAnswer(message1).message2) });
    relay.current.h.onClose(code);
    assert.equal(chat.view.phase, 'failed', `${code}`);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(relay.sockets.length, 1, `no resume after ${code}`);
  }
  const { relay, chat, message1 } = await openedChat();
  relay.push({ type: 'deliver', seq: 1, kind: 'handshake', body: b64url(coordinatorAnswer(message1).message2) });
  relay.current.h.onClose(4009);
  assert.equal(chat.view.phase, 'reconnecting');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(relay.sockets.length, 2, 'resumed after 4009');
  relay.push({ type: 'challenge', session: b64url(new Uint8Array(16).fill(1)), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  assert.equal(relay.current.sent[0].type, 'resume');
  chat.end();
});

test('no ping before the relay welcomed this socket (it would close 4004), pings after; again after a reconnect until the resume is welcomed', async () => {
  const relay = new FakeRelay();
  const { calls, solve } = manualSolver();
  const chat = newChat(relay, [], { solve, pingMs: 10 });
  chat.start();
  relay.push({ type: 'challenge', session: b64url(SESSION), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(relay.sentOf('ping'), [], 'none during the search');
  calls[0].resolve(42);
  await tick();
  relay.push({ type: 'welcome', session: b64url(SESSION), token: b64url(new Uint8Array(32).fill(7)), next_seq: 1, delivered: 0, revocations: '' });
  await new Promise((r) => setTimeout(r, 40));
  assert.ok(relay.sockets[0].sent.some((f) => f.type === 'ping'), 'pings once welcomed');
  relay.current.h.onClose(1006);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(relay.sockets.length, 2);
  assert.deepEqual(relay.sockets[1].sent.filter((f) => f.type === 'ping'), [], 'none on the new socket before its welcome');
  relay.push({ type: 'challenge', session: b64url(new Uint8Array(16).fill(2)), seed: b64url(new Uint8Array(16)), difficulty: 3 });
  await tick();
  assert.equal(relay.sockets[1].sent[0].type, 'resume', 'the resume is the first frame');
  chat.end();
});
