// Receipt codes (docs/protocol.md §6): 19 random symbols + 1 check symbol, stretched with
// PBKDF2-HMAC-SHA256 (600 000 iterations; WebCrypto, noble as a fallback) into the lookup id
// and the tipster's X25519 key. Mirrors src/crypto/receipt.rs. A code is never stored or
// logged; callers wipe it when the visitor leaves.
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { labelled, utf8, wipe } from './encoding';
import { RECEIPT_KEY_INFO, RECEIPT_LOOKUP_INFO, RECEIPT_SALT_LABEL } from './labels';
import { hkdfExpand, randomBytes, x25519Public } from './primitives';

export const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const ITERATIONS = 600_000;
const SYMBOLS = 20;

function checkValue(values: number[]): number {
  let sum = 0;
  for (let i = 0; i < 19; i++) sum += (i + 1) * values[i];
  return ((((31 - (sum % 31)) % 31) * 14) % 31);
}

export type ReceiptError = { kind: 'length'; count: number } | { kind: 'character'; position: number } | { kind: 'check' };

export class Receipt {
  private constructor(private readonly values: number[]) {}

  /** `next` yields random bytes (vectors pass a cyclic generator). */
  static generate(next: () => number = byteSource()): Receipt {
    const values: number[] = [];
    while (values.length < 19) {
      const b = next();
      if (b < 248) values.push(b % 31);
    }
    values.push(checkValue(values));
    return new Receipt(values);
  }

  static parse(typed: string): Receipt | ReceiptError {
    const chars = [...typed].filter((c) => !/\s/.test(c) && c !== '-');
    if (chars.length !== SYMBOLS) return { kind: 'length', count: chars.length };
    const values: number[] = [];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      const v = /^[a-z]$/.test(c) ? ALPHABET.indexOf(c.toUpperCase()) : ALPHABET.indexOf(c);
      if (v < 0) return { kind: 'character', position: i + 1 };
      values.push(v);
    }
    if (checkValue(values) !== values[19]) return { kind: 'check' };
    return new Receipt(values);
  }

  canonical(): string {
    return this.values.map((v) => ALPHABET[v]).join('');
  }

  display(): string {
    return this.canonical().match(/.{4}/g)!.join('-');
  }

  wipe(): void {
    this.values.fill(0);
  }
}

function byteSource(): () => number {
  let buf = randomBytes(64);
  let i = 0;
  return () => {
    if (i >= buf.length) {
      buf = randomBytes(64);
      i = 0;
    }
    return buf[i++];
  };
}

export function isReceipt(x: Receipt | ReceiptError): x is Receipt {
  return x instanceof Receipt;
}

export interface ReceiptKeys {
  master: Uint8Array;
  lookupId: Uint8Array;
  tipsterSecret: Uint8Array;
  tipsterPublic: Uint8Array;
}

export function receiptSalt(orgFp: Uint8Array): Uint8Array {
  return labelled(RECEIPT_SALT_LABEL, orgFp);
}

async function pbkdf2(password: Uint8Array, salt: Uint8Array, iterations: number, forceNoble: boolean): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle && !forceNoble) {
    try {
      const key = await subtle.importKey('raw', password as BufferSource, 'PBKDF2', false, ['deriveBits']);
      const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, key, 256);
      return new Uint8Array(bits);
    } catch {
      // fall through to noble (e.g. an insecure context without WebCrypto)
    }
  }
  return pbkdf2Async(nobleSha256, password, salt, { c: iterations, dkLen: 32 });
}

/** Slow on purpose (§6): PBKDF2 then HKDF-Expand into the lookup id and the tipster key. */
export async function deriveReceipt(r: Receipt, orgFp: Uint8Array, iterations = ITERATIONS, forceNoble = false): Promise<ReceiptKeys> {
  const password = utf8(r.canonical());
  const salt = receiptSalt(orgFp);
  const master = await pbkdf2(password, salt, iterations, forceNoble);
  wipe(password);
  const lookupId = hkdfExpand(master, utf8(RECEIPT_LOOKUP_INFO), 32);
  const tipsterSecret = hkdfExpand(master, utf8(RECEIPT_KEY_INFO), 32);
  return { master, lookupId, tipsterSecret, tipsterPublic: x25519Public(tipsterSecret) };
}
