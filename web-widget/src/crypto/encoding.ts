// Byte helpers shared by every protocol module (docs/protocol.md §1). Mirrors
// src/crypto/encoding.rs: decoding is strict and never accepts a second form of a value.

// Compares in constant time: noble's, which the bundle carries anyway. Imported here, it also
// places noble's cipher utilities near its hash utilities in the bundle, within gzip's reach
// of the code they share (about 300 bytes gzipped).
export { equalBytes as equal } from '@noble/ciphers/utils.js';

export const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** Strict UTF-8 decode: throws on invalid input. */
export function fromUtf8(b: Uint8Array): string {
  return dec.decode(b);
}

/** `ASCII(label) || 0x00 || parts…` — every label starts `lifeline v1 `. */
export function labelled(label: string, ...parts: Uint8Array[]): Uint8Array {
  return concat(utf8(label), new Uint8Array([0]), ...parts);
}

export function be64(n: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false);
  return out;
}

export function le64(n: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

export function be16(n: number): Uint8Array {
  return new Uint8Array([(n >> 8) & 0xff, n & 0xff]);
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || /[^0-9a-f]/i.test(s)) throw new Error('bad hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function wipe(...arrays: (Uint8Array | undefined | null)[]): void {
  for (const a of arrays) if (a) a.fill(0);
}

/** RFC 4648 §5 base64url without padding. */
export function b64url(b: Uint8Array): string {
  let binary = '';
  for (const x of b) binary += String.fromCharCode(x);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Strict decoder: refuses `=`, characters outside the alphabet and non-zero trailing bits,
 * so a value has one form only: what decodes must encode back to exactly the same text.
 */
export function fromB64url(s: string): Uint8Array {
  if (typeof s !== 'string' || s.length % 4 === 1 || /[^\w-]/.test(s)) throw new Error('bad base64url');
  const out = Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  if (b64url(out) !== s) throw new Error('bad base64url');
  return out;
}

/** A strict reader for canonical encodings (§2, §5). */
export class Reader {
  private o = 0;
  constructor(private readonly b: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.o + n > this.b.length) throw new Error('short input');
    const out = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0];
  }
  u32(): number {
    const t = this.take(4);
    return ((t[0] << 24) >>> 0) + (t[1] << 16) + (t[2] << 8) + t[3];
  }
  u64(): bigint {
    return new DataView(this.take(8).slice().buffer).getBigUint64(0, false);
  }
  remaining(): number {
    return this.b.length - this.o;
  }
  finish(): void {
    if (this.o !== this.b.length) throw new Error('trailing bytes');
  }
}

/** A display text: 1–max bytes of UTF-8 with no control character (Unicode Cc). */
export function checkDisplayText(s: string, max = 64): boolean {
  const len = utf8(s).length;
  // eslint-disable-next-line no-control-regex
  return len >= 1 && len <= max && !/[\u0000-\u001f\u007f-\u009f]/.test(s);
}
