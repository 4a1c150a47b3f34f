// The visitor's live chat: a state machine over the relay's visitor endpoint
// (docs/protocol.md §8.2, §8.4, §9.1, §9.3–§9.7). It mirrors src/client/visitor.rs and keeps
// every secret in memory only. The socket and the proof-of-work solver are injected so unit
// tests can drive it with a simulated relay.
import { b64url, fromB64url, wipe } from './crypto/encoding';
import { CertError, decodeRevocations, RevocationList, ROLE_COORDINATOR, verifyCertificate } from './crypto/certificate';
import { VisitorHandshake } from './crypto/handshake';
import { SessionCipher } from './crypto/session';
import { randomBytes } from './crypto/primitives';

export interface Socket {
  send(text: string): void;
  close(): void;
}
export interface SocketHandlers {
  onMessage(text: string): void;
  onClose(code: number): void;
}
export type Connect = (h: SocketHandlers) => Socket;
/** Finds a proof-of-work nonce; rejects once `signal` aborts, having stopped searching. */
export type Solver = (seed: Uint8Array, context: Uint8Array, difficulty: number, progress: (p: number) => void, signal?: AbortSignal) => Promise<number>;

export type ChatPhase = 'connecting' | 'pow' | 'waiting' | 'chatting' | 'reconnecting' | 'ended' | 'failed';
/** `undelivered`: the chat ended before a coordinator acknowledged it, so it reached no one. */
export type Mark = 'pending' | 'sent' | 'delivered' | 'undelivered';

export interface ChatMessage {
  id: number;
  from: 'me' | 'them' | 'system';
  text: string;
  mark?: Mark;
  /** seq of the frame carrying it, once encrypted */
  seq?: number;
}

export interface ChatView {
  phase: ChatPhase;
  powProgress: number;
  position: number;
  waitEstimate: number;
  onDuty: number | null;
  alias: string | null;
  messages: ChatMessage[];
  /** why it ended: 'ended' (orderly), 'truncated', 'expired', 'lost' (the server lost it, 4014), 'error', 'no_list' (no fresh revocation list) */
  endReason: string | null;
  transferring: boolean;
  /** The coordinator's connection dropped; the relay keeps the conversation while they reconnect (§9.6). */
  peerAway: boolean;
  /** A colleague's verified alias while the visitor is asked to accept a hand-over (§9.6). */
  offer: string | null;
  /** The relay said the line is full (close 4008): no one can take this chat now. */
  busy: boolean;
  /** Reconnecting has failed for `unreachableAfterMs`: the screen shows the numbers while we keep trying. */
  unreachable: boolean;
  /** The proof-of-work ran past `powMaxMs` and was given up: nothing was sent, no one can answer. */
  tooSlow: boolean;
  /** The store has refused our messages (`retry`) for `outageAfterMs`: they wait here; the next `stored` clears it. */
  outage: boolean;
}

export interface ChatOptions {
  connect: Connect;
  solve: Solver;
  org: Uint8Array;
  lang?: string;
  now?: () => number;
  revocationMaxAge?: number;
  /** The list verified with `/v1/config`: the chat never checks a coordinator without one. */
  revocations?: RevocationList | null;
  onChange: (v: ChatView, event?: { kind: 'message'; message: ChatMessage }) => void;
  keepToken?: (session: string, token: string) => void;
  dropToken?: () => void;
  /** reconnect delays in ms (tests shorten them) */
  backoff?: number[];
  pingMs?: number;
  /** How long reconnecting may fail before the view says no one can answer (20 s). */
  unreachableAfterMs?: number;
  /** How long a run of `retry` may keep a message waiting before the view says so (5 s). */
  outageAfterMs?: number;
  /** The longest a visitor's device works on the proof-of-work before giving up (POW_MAX_MS). */
  powMaxMs?: number;
  /** A chat ticket from `/v1/config` (§9.1), used once: solved while the socket opens. */
  ticket?: ChatTicket;
  /** How long a new socket may stay silent before it counts as failed (OPEN_MS). */
  openMs?: number;
}

/** A chat's session id and proof-of-work seed, handed out before the socket (§9.1). */
export interface ChatTicket {
  session: Uint8Array;
  seed: Uint8Array;
  difficulty: number;
}

const RETRYABLE = new Set([1001, 1005, 1006, 4008, 4012, 4013]);
// A visitor holding a session resumes after any close that does not end it (§8.5): a frame
// refused or a slow read cost that one connection, not the conversation. Not after these: the
// relay speaks another protocol version (every resume would meet the same), or another
// connection took this session over (taking it back would be a tug of war with no end).
const NEVER_RESUMED = new Set([4000, 4011]);
const BUSY = 4008;
const UNREACHABLE_AFTER_MS = 20_000;
/** Past a blip (the relay's store refusing for a second or three), long enough to be felt. */
const OUTAGE_AFTER_MS = 5_000;
/**
 * The longest the proof-of-work may keep a visitor waiting (docs/benchmarks.md, "Proof-of-work
 * on a slow phone"): past it the search stops, nothing is sent, and the screen offers the
 * tip path and the numbers instead of an endless bar.
 */
export const POW_MAX_MS = 20_000;
/**
 * How long a new socket may take to bring the relay's first frame (its challenge, sent as the
 * socket opens): a bad mobile line does it in a few seconds. A stalled one was noticed only by
 * the ping check, about 110 s later, with "Connecting securely…" all that time.
 */
export const OPEN_MS = 20_000;

/** A count or sequence number from the relay: a whole number from 0 to 2^53 − 1. */
function u64(x: unknown): number {
  if (!Number.isSafeInteger(x) || (x as number) < 0) throw new Error('u64 out of range');
  return x as number;
}

export class Chat {
  readonly view: ChatView = {
    phase: 'connecting',
    powProgress: 0,
    position: 0,
    waitEstimate: 0,
    onDuty: null,
    alias: null,
    messages: [],
    endReason: null,
    transferring: false,
    peerAway: false,
    offer: null,
    busy: false,
    unreachable: false,
    tooSlow: false,
    outage: false,
  };
  private socket: Socket | null = null;
  private session: Uint8Array | null = null;
  private token: Uint8Array | null = null;
  private revocations: RevocationList | null = null;
  private handshake: VisitorHandshake | null = null;
  private cipher: SessionCipher | null = null;
  private nextSeq = 1;
  private lastReceived = 0;
  private lastDelivered = 0;
  /** seq → envelope, sent but not yet stored by the relay */
  private unconfirmed = new Map<number, Uint8Array>();
  /** the highest seq the relay said it stored: a welcome below it means the store lost it (§9.5) */
  private storedUpTo = 0;
  private resendTimer: ReturnType<typeof setTimeout> | null = null;
  /** my messages waiting for keys (typed before the handshake, or to resend after a rekey) */
  private pending: ChatMessage[] = [];
  private nextId = 1;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Until the current socket's first frame: past it the socket is given up (OPEN_MS). */
  private openTimer: ReturnType<typeof setTimeout> | null = null;
  private unreachableTimer: ReturnType<typeof setTimeout> | null = null;
  /** Started by the first `retry` of a run of refusals; ended by `stored` or a welcome. */
  private outageTimer: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private powSearch: AbortController | null = null;
  /** The socket a ticket's hello is meant for: its own challenge is not needed. */
  private ticketSocket: Socket | null = null;
  private ticketSearch = false;
  private lastHeard = 0;
  /** The socket the relay welcomed: a ping before hello or resume is closed as unexpected (4004). */
  private welcomed: Socket | null = null;
  private readonly now: () => number;
  private readonly life = new AbortController();
  /** Aborted when the chat stops (ended, failed, cancelled, wiped): what listens for it goes too. */
  readonly signal = this.life.signal;

  constructor(private readonly o: ChatOptions) {
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
    this.revocations = o.revocations ?? null;
  }

  /**
   * A welcome's list replaces the one held only when newer. A list that is missing or merely
   * stale is passed over (the one held still counts); one that fails its signature throws.
   */
  private offerRevocations(encoded: unknown) {
    if (typeof encoded !== 'string' || encoded === '') return;
    let list: RevocationList;
    try {
      list = decodeRevocations(fromB64url(encoded), this.o.org, this.now(), this.o.revocationMaxAge);
    } catch (e) {
      if (e instanceof CertError && e.code === 'stale_revocations') return;
      throw e;
    }
    if (!this.revocations || list.issuedAt > this.revocations.issuedAt) this.revocations = list;
  }

  /** The newest verified list, if still within the embed's maximum age now (§2.2). */
  private freshRevocations(): RevocationList | null {
    const list = this.revocations;
    const maxAge = this.o.revocationMaxAge;
    if (!list || (maxAge !== undefined && BigInt(this.now()) - list.issuedAt > BigInt(maxAge))) return null;
    return list;
  }

  start(): void {
    this.open();
    const t = this.o.ticket;
    if (t) {
      // The search runs while the socket opens: the hello leaves as soon as both are done.
      this.ticketSocket = this.socket;
      this.ticketSearch = true;
      void this.solveAndHello(t.session, t.seed, t.difficulty, true).catch(() => this.fail('error'));
    }
    this.pinger = setInterval(() => this.tick(), this.o.pingMs ?? 30_000);
  }

  private changed(event?: { kind: 'message'; message: ChatMessage }) {
    if (!this.stopped || this.view.phase === 'ended' || this.view.phase === 'failed') this.o.onChange(this.view, event);
  }

  private open() {
    let sock: Socket | null = null;
    sock = this.o.connect({
      onMessage: (t) => {
        if (sock !== this.socket) return; // a socket we already gave up on
        this.opened();
        this.lastHeard = Date.now();
        try {
          this.onFrame(JSON.parse(t));
        } catch (e) {
          this.fail('error');
        }
      },
      onClose: (code) => {
        if (sock === this.socket) this.onClose(code);
      },
    });
    this.socket = sock;
    this.lastHeard = Date.now();
    this.opened();
    this.openTimer = setTimeout(() => this.openTimedOut(), this.o.openMs ?? OPEN_MS);
  }

  /** The socket's first frame came, or the socket is gone: its opening has no deadline now. */
  private opened() {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = null;
  }

  /**
   * The socket brought nothing in OPEN_MS: it failed, as a refused one does (retries go on
   * quietly). The visitor has waited that long already, so the numbers and the tip path
   * show now rather than after the next 20 s of retrying.
   */
  private openTimedOut() {
    this.networkLost();
    if (this.stopped) return;
    this.view.unreachable = true;
    this.changed();
  }

  /** The device says the network is gone (or the relay went silent): drop the socket now. */
  networkLost(): void {
    if (!this.socket || this.stopped) return;
    const dead = this.socket;
    this.socket = null;
    dead.close();
    this.onClose(1006);
  }

  /** The network is back: reconnect at once rather than at the next backoff step. */
  networkBack(): void {
    if (this.stopped || this.socket || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.open();
  }

  private tick() {
    const ms = this.o.pingMs ?? 30_000;
    // Nothing heard for two ping periods (not even a pong): the connection is dead.
    if (this.socket && Date.now() - this.lastHeard > 2 * ms + 1000) return this.networkLost();
    if (this.welcomed === this.socket) this.sendFrame({ type: 'ping' });
  }

  private sendFrame(frame: Record<string, unknown>) {
    if (!this.socket || this.stopped) return;
    this.socket.send(JSON.stringify({ v: 1, ...frame }));
  }

  private async onChallenge(f: { session: string; seed: string; difficulty: number }) {
    if (this.session && this.token) {
      // A reconnect: the token is the proof, no PoW (§9.5).
      this.sendFrame({ type: 'resume', session: b64url(this.session), token: b64url(this.token), last_seq: this.lastReceived });
      return;
    }
    // Answered (or about to be) with the ticket instead.
    if (this.ticketSearch) this.ticketSocket = this.socket;
    if (this.socket === this.ticketSocket) return;
    await this.solveAndHello(fromB64url(f.session), fromB64url(f.seed), f.difficulty, false);
  }

  private async solveAndHello(session: Uint8Array, seed: Uint8Array, difficulty: number, ticket: boolean) {
    if (session.length !== 16 || seed.length !== 16) throw new Error('challenge');
    if (difficulty > 28) return this.fail('error');
    this.view.phase = 'pow';
    this.changed();
    const search = (this.powSearch = new AbortController());
    const limit = setTimeout(() => this.giveUpPow(), this.o.powMaxMs ?? POW_MAX_MS);
    let nonce: number;
    try {
      nonce = await this.o.solve(
        seed,
        session,
        difficulty,
        (p) => {
          this.view.powProgress = p;
          this.changed();
        },
        search.signal,
      );
    } catch (e) {
      if (search.signal.aborted) return; // cancelled or given up: already handled
      throw e;
    } finally {
      clearTimeout(limit);
      // A reconnect's search may have begun meanwhile: its handle is not ours to clear.
      if (this.powSearch === search) this.powSearch = null;
      this.ticketSearch = false;
    }
    if (this.stopped) return;
    this.session = session;
    this.handshake = new VisitorHandshake(session, this.o.org, randomBytes(32));
    const hello: Record<string, unknown> = { type: 'hello', pow_nonce: nonce, kind: 'chat', handshake: b64url(this.handshake.message1) };
    if (ticket) Object.assign(hello, { type: 'ticket_hello', session: b64url(session), seed: b64url(seed) });
    if (this.o.lang && /^[A-Za-z0-9-]{1,16}$/.test(this.o.lang)) hello.lang = this.o.lang;
    this.view.powProgress = 1;
    this.view.phase = 'waiting';
    this.changed();
    this.sendFrame(hello);
  }

  private onFrame(f: Record<string, any>) {
    if (f.v !== 1 || typeof f.type !== 'string') throw new Error('frame');
    switch (f.type) {
      case 'challenge':
        void this.onChallenge(f as any).catch(() => this.fail('error'));
        return;
      case 'welcome': {
        const session = fromB64url(f.session);
        if (this.session && b64url(session) !== b64url(this.session)) throw new Error('welcome for another session');
        this.session = session;
        this.token = fromB64url(f.token);
        this.welcomed = this.socket;
        this.offerRevocations(f.revocations);
        this.o.keepToken?.(b64url(session), b64url(this.token));
        const next = u64(f.next_seq);
        const delivered = u64(f.delivered);
        if (next <= this.storedUpTo) {
          // never re-based on a store that forgot what it confirmed (§9.5)
          this.sendFrame({ type: 'end' });
          return this.finish('lost');
        }
        this.attempts = 0;
        this.reachable();
        this.storeAnswers();
        this.markDelivered(delivered);
        // resend what the relay never stored, with the same numbers (§9.5)
        for (const [seq, body] of [...this.unconfirmed].sort((a, b) => a[0] - b[0])) {
          if (seq >= next) this.sendFrame({ type: 'msg', seq, body: b64url(body) });
          else this.unconfirmed.delete(seq);
        }
        if (this.view.phase === 'reconnecting') this.view.phase = this.cipher ? 'chatting' : 'waiting';
        this.changed();
        return;
      }
      case 'queue':
        this.view.position = u64(f.position);
        this.view.waitEstimate = u64(f.wait_estimate_s);
        this.view.onDuty = u64(f.on_duty);
        this.changed();
        return;
      case 'deliver':
        this.onDeliver(u64(f.seq), f.kind, fromB64url(f.body));
        return;
      case 'stored': {
        const seq = u64(f.seq);
        if (seq > this.storedUpTo) this.storedUpTo = seq;
        for (const s of [...this.unconfirmed.keys()]) if (s <= seq) this.unconfirmed.delete(s);
        for (const m of this.view.messages) if (m.from === 'me' && m.seq !== undefined && m.seq <= seq && m.mark === 'pending') m.mark = 'sent';
        this.storeAnswers();
        this.changed();
        return;
      }
      case 'delivered':
        this.markDelivered(u64(f.seq));
        this.changed();
        return;
      case 'peer':
        this.onPeer(f.event);
        return;
      case 'retry':
        // one resend, in order, for a burst of refusals (§9.4)
        this.resendTimer ??= setTimeout(() => {
          this.resendTimer = null;
          for (const [seq, body] of [...this.unconfirmed].sort((a, b) => a[0] - b[0])) this.sendFrame({ type: 'msg', seq, body: b64url(body) });
        }, u64(f.after_s) * 1000);
        this.outageTimer ??= setTimeout(() => this.storeRefusing(), this.o.outageAfterMs ?? OUTAGE_AFTER_MS);
        return;
      case 'transfer_offer':
        return this.onOffer(fromB64url(f.certificate));
      case 'transfer_withdrawn':
        this.view.offer = null;
        this.addMessage({ from: 'system', text: 'consent_stayed' });
        this.changed();
        return;
      case 'pong':
        return;
      default:
        throw new Error('unexpected frame');
    }
  }

  /** §9.6: the colleague's certificate is checked exactly as a handshake's; one that fails is declined. */
  private onOffer(cert: Uint8Array) {
    try {
      this.view.offer = verifyCertificate(cert, this.o.org, this.now(), this.revocations, ROLE_COORDINATOR).alias;
    } catch {
      this.view.offer = null;
      this.sendFrame({ type: 'transfer_answer', accept: false });
    }
    this.changed();
  }

  /** The visitor's choice: go to the offered colleague, or stay. */
  answerTransfer(accept: boolean): void {
    if (this.view.offer === null) return;
    this.view.offer = null;
    this.sendFrame({ type: 'transfer_answer', accept });
    if (!accept) this.addMessage({ from: 'system', text: 'consent_stayed' });
    this.changed();
  }

  private markDelivered(seq: number) {
    if (seq > this.lastDelivered) this.lastDelivered = seq;
    for (const m of this.view.messages) if (m.from === 'me' && m.seq !== undefined && m.seq <= this.lastDelivered) m.mark = 'delivered';
  }

  private onDeliver(seq: number, kind: string, body: Uint8Array) {
    if (seq <= this.lastReceived) return; // a duplicate after a resume
    if (kind === 'handshake') {
      if (!this.handshake) throw new Error('unexpected handshake');
      // Never skip revocation: without a fresh verified list no coordinator is trusted.
      const revocations = this.freshRevocations();
      if (!revocations) return this.fail('no_list');
      const { cipher, coordinator } = this.handshake.finish(body, this.now(), revocations);
      this.handshake = null;
      this.cipher?.wipe();
      this.cipher = cipher;
      this.view.alias = coordinator.alias;
      this.view.phase = 'chatting';
      this.view.transferring = false;
      this.addMessage({ from: 'system', text: 'joined:' + coordinator.alias });
      this.lastReceived = seq;
      this.sendFrame({ type: 'ack', seq });
      this.flushPending();
    } else if (kind === 'data') {
      if (!this.cipher) throw new Error('data before handshake');
      const p = this.cipher.decrypt(body);
      this.lastReceived = seq;
      this.sendFrame({ type: 'ack', seq });
      if (p.kind === 'text') this.addMessage({ from: 'them', text: p.text });
      else this.addMessage({ from: 'system', text: 'closed' });
    } else throw new Error('payload kind');
    this.changed();
  }

  private onPeer(event: string) {
    // §9.6: same keys, same numbers; what we write meanwhile waits at the relay.
    const away = event === 'reconnecting';
    if (this.view.peerAway !== away) {
      this.view.peerAway = away;
      this.changed();
    }
    if (event === 'left' || event === 'transferring') {
      // §9.6: a new handshake with a fresh ephemeral; undelivered text is re-encrypted under
      // the new keys with new numbers once the next coordinator answers.
      const undelivered = this.view.messages.filter((m) => m.from === 'me' && m.seq !== undefined && m.seq > this.lastDelivered);
      for (const m of undelivered) {
        this.unconfirmed.delete(m.seq!);
        m.seq = undefined;
        m.mark = 'pending';
        this.pending.push(m);
      }
      this.handshake = new VisitorHandshake(this.session!, this.o.org, randomBytes(32));
      this.view.transferring = event === 'transferring';
      this.view.offer = null;
      if (event === 'left') this.view.phase = 'waiting';
      this.addMessage({ from: 'system', text: event });
      this.sendFrame({ type: 'rekey', handshake: b64url(this.handshake.message1) });
      this.changed();
    } else if (event === 'ended') {
      this.finish(this.cipher?.finish() ? 'ended' : 'truncated');
    } else if (event === 'joined') {
      this.addMessage({ from: 'system', text: 'joining' });
      this.changed();
    }
  }

  private addMessage(m: Omit<ChatMessage, 'id'>): ChatMessage {
    const msg = { id: this.nextId++, ...m };
    this.view.messages.push(msg);
    this.o.onChange(this.view, { kind: 'message', message: msg });
    return msg;
  }

  /** Sends now if keys exist; otherwise waits in the widget until they do (§9.3 step 4). */
  send(text: string): void {
    if (this.stopped || text.length === 0) return;
    const m = this.addMessage({ from: 'me', text, mark: 'pending' });
    if (this.cipher && !this.handshake) this.encryptAndSend(m);
    else this.pending.push(m);
    this.changed();
  }

  private flushPending() {
    const list = this.pending;
    this.pending = [];
    for (const m of list) this.encryptAndSend(m);
  }

  private encryptAndSend(m: ChatMessage) {
    const body = this.cipher!.encryptText(m.text);
    const seq = this.nextSeq++;
    m.seq = seq;
    this.unconfirmed.set(seq, body);
    this.sendFrame({ type: 'msg', seq, body: b64url(body) });
  }

  private onClose(code: number) {
    this.socket = null;
    this.opened();
    if (this.stopped) return;
    if (code === 4010) return this.finish(this.cipher?.finish() ? 'ended' : 'truncated');
    if (code === 4007) return this.finish('expired');
    if (code === 4014) return this.finish('lost');
    if (code === 4005 && this.ticketSocket && !this.token) {
      // The ticket was refused (expired, say): once, at once, the socket's own challenge instead.
      this.ticketSocket = this.session = null;
      return this.open();
    }
    const canResume = this.session && this.token && !NEVER_RESUMED.has(code);
    if (canResume || RETRYABLE.has(code) || (!this.session && code === 1006)) {
      // The search for this socket's challenge is of no use now; a ticket's goes on.
      if (!this.ticketSearch) this.powSearch?.abort();
      this.view.phase = 'reconnecting';
      if (code === BUSY) this.view.busy = true;
      // Retries go on quietly; after a while the visitor is told no one can answer and gets
      // the numbers, rather than a spinner for minutes.
      this.unreachableTimer ??= setTimeout(() => {
        this.view.unreachable = true;
        this.changed();
      }, this.o.unreachableAfterMs ?? UNREACHABLE_AFTER_MS);
      this.changed();
      const backoff = this.o.backoff ?? [500, 1000, 2000, 4000, 8000];
      const delay = backoff[Math.min(this.attempts, backoff.length - 1)];
      this.attempts++;
      if (this.attempts > 60) return this.fail('error');
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.stopped) this.open();
      }, delay);
      return;
    }
    this.fail('error');
  }

  /** The visitor ends: authenticated Close, then `end` (the relay erases the session). */
  end(): void {
    if (this.stopped) return;
    if (this.cipher && !this.cipher.sendClosed && this.socket) {
      const body = this.cipher.encryptClose();
      this.sendFrame({ type: 'msg', seq: this.nextSeq++, body: b64url(body) });
    }
    this.sendFrame({ type: 'end' });
    this.finish('ended');
  }

  /**
   * The visitor went back during the proof-of-work: stop the search and close the socket
   * without a frame (no hello was sent: the relay holds nothing of this visitor), and forget
   * what was typed ahead.
   */
  cancel(): void {
    if (this.stopped) return;
    this.powSearch?.abort();
    this.teardown();
    this.forgetMessages();
  }

  /** The proof-of-work ran past its maximum: as `cancel`, but the screen says no one can answer. */
  private giveUpPow() {
    if (this.stopped) return;
    this.cancel();
    this.view.tooSlow = true;
    this.o.onChange(this.view);
  }

  private finish(reason: string) {
    this.markUndelivered();
    this.view.phase = 'ended';
    this.view.endReason = reason;
    this.teardown();
    this.o.onChange(this.view);
  }

  private fail(reason: string) {
    // Erase the session at the relay too: a chat that could not be verified must not linger.
    if (!this.stopped) this.sendFrame({ type: 'end' });
    this.markUndelivered();
    this.view.phase = 'failed';
    this.view.endReason = reason;
    this.teardown();
    this.o.onChange(this.view);
  }

  /**
   * The chat is over: what no coordinator acknowledged reached no one, stored or not. Said
   * plainly, so the visitor knows to say it again (in a new chat, or by phone).
   */
  private markUndelivered() {
    for (const m of this.view.messages) if (m.from === 'me' && m.mark !== 'delivered') m.mark = 'undelivered';
  }

  /** A run of `retry` has lasted `outageAfterMs`: if a message still waits, the visitor is told (§9.4). */
  private storeRefusing() {
    if (this.unconfirmed.size === 0) return this.storeAnswers();
    this.view.outage = true;
    this.changed();
  }

  /** The store took a frame (`stored`, a welcome): the run of refusals is over. */
  private storeAnswers() {
    if (this.outageTimer) clearTimeout(this.outageTimer);
    this.outageTimer = null;
    this.view.outage = false;
  }

  /** A welcome arrived: the relay answers again. */
  private reachable() {
    if (this.unreachableTimer) clearTimeout(this.unreachableTimer);
    this.unreachableTimer = null;
    this.view.busy = false;
    this.view.unreachable = false;
  }

  private teardown() {
    this.stopped = true;
    this.life.abort();
    this.powSearch?.abort();
    this.reachable();
    this.storeAnswers();
    if (this.timer) clearTimeout(this.timer);
    this.opened();
    if (this.resendTimer) clearTimeout(this.resendTimer);
    if (this.pinger) clearInterval(this.pinger);
    this.socket?.close();
    this.socket = null;
    this.cipher?.wipe();
    this.cipher = null;
    this.handshake = null;
    wipe(this.token, this.session);
    this.token = null;
    this.unconfirmed.clear();
    this.pending = [];
    this.o.dropToken?.();
  }

  /** Quick exit: best-effort `end`, then forget everything at once. */
  wipeNow(): void {
    if (!this.stopped) this.sendFrame({ type: 'end' });
    this.teardown();
    this.forgetMessages();
  }

  /**
   * An ended chat stays readable (the coordinator's last words must not vanish) until the
   * visitor leaves or asks for this.
   */
  forgetMessages(): void {
    for (const m of this.view.messages) m.text = '';
    this.view.messages.length = 0;
    this.view.alias = null;
  }
}
