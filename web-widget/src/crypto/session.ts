// The ratcheting session cipher of a live chat (docs/protocol.md §4). Mirrors
// src/crypto/session.rs. It must never reuse a message key, accept a replayed or reordered
// envelope, or take anything after the peer's authenticated Close.
import { be64, concat, fromUtf8, labelled, utf8, wipe } from './encoding';
import { MESSAGE_LABEL } from './labels';
import { CHAT_BUCKETS, pad, unpad } from './padding';
import { aeadOpen, aeadSeal, hmac, noiseNonce } from './primitives';

export const DIR_V2C = 1;
export const DIR_C2V = 2;

export type SessionErrorCode = 'Malformed' | 'Replay' | 'Reorder' | 'Closed' | 'Tamper' | 'TooLong';
export class SessionError extends Error {
  constructor(readonly code: SessionErrorCode) {
    super(code);
  }
}

export type Plaintext = { kind: 'text'; text: string } | { kind: 'close' };

interface Chain {
  key: Uint8Array;
  next: number;
  closed: boolean;
}

/** §4.1: two one-way chains; every message key is used once and the chain key replaced. */
export class SessionCipher {
  private send: Chain;
  private recv: Chain;
  constructor(
    private readonly sessionId: Uint8Array,
    sendKey: Uint8Array,
    recvKey: Uint8Array,
    readonly handshakeHash: Uint8Array,
    private readonly sendDir = DIR_V2C,
    private readonly recvDir = DIR_C2V,
  ) {
    this.send = { key: sendKey, next: 0, closed: false };
    this.recv = { key: recvKey, next: 0, closed: false };
  }

  private ad(dir: number, n: number): Uint8Array {
    return labelled(MESSAGE_LABEL, this.sessionId, new Uint8Array([dir]), be64(n));
  }

  get sendClosed(): boolean {
    return this.send.closed;
  }

  encryptText(text: string): Uint8Array {
    return this.encrypt(1, utf8(text));
  }

  encryptClose(): Uint8Array {
    const out = this.encrypt(2, new Uint8Array(0));
    this.send.closed = true;
    return out;
  }

  private encrypt(kind: number, content: Uint8Array): Uint8Array {
    if (this.send.closed) throw new SessionError('Closed');
    const padded = pad(kind, content, CHAT_BUCKETS);
    if (!padded) throw new SessionError('TooLong');
    const n = this.send.next;
    const mk = hmac(this.send.key, new Uint8Array([1]));
    const nextKey = hmac(this.send.key, new Uint8Array([2]));
    wipe(this.send.key);
    this.send.key = nextKey;
    const ct = aeadSeal(mk, noiseNonce(n), this.ad(this.sendDir, n), padded);
    wipe(mk, padded);
    this.send.next = n + 1;
    return concat(be64(n), ct);
  }

  decrypt(envelope: Uint8Array): Plaintext {
    if (envelope.length < 24) throw new SessionError('Malformed');
    const n64 = new DataView(envelope.buffer, envelope.byteOffset, 8).getBigUint64(0, false);
    if (n64 < BigInt(this.recv.next)) throw new SessionError('Replay');
    if (n64 > BigInt(this.recv.next)) throw new SessionError('Reorder');
    if (this.recv.closed) throw new SessionError('Closed');
    const n = this.recv.next;
    const mk = hmac(this.recv.key, new Uint8Array([1]));
    const pt = aeadOpen(mk, noiseNonce(n), this.ad(this.recvDir, n), envelope.subarray(8));
    wipe(mk);
    if (!pt) throw new SessionError('Tamper');
    let result: Plaintext;
    try {
      const { kind, content } = unpad(pt, CHAT_BUCKETS);
      if (kind === 1) result = { kind: 'text', text: fromUtf8(content) };
      else if (kind === 2 && content.length === 0) result = { kind: 'close' };
      else throw new Error('kind');
    } catch {
      throw new SessionError('Malformed');
    } finally {
      wipe(pt);
    }
    const nextKey = hmac(this.recv.key, new Uint8Array([2]));
    wipe(this.recv.key);
    this.recv.key = nextKey;
    this.recv.next = n + 1;
    if (result.kind === 'close') this.recv.closed = true;
    return result;
  }

  /** True only if the peer's authenticated Close arrived; otherwise the chat was truncated. */
  finish(): boolean {
    return this.recv.closed;
  }

  wipe(): void {
    wipe(this.send.key, this.recv.key);
  }
}
