// Byte helpers shared by every protocol module (docs/protocol.md §1). Mirrors
// src/crypto/encoding.rs: decoding is strict and never accepts a second form of a value.

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

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function wipe(...arrays: (Uint8Array | undefined | null)[]): void {
  for (const a of arrays) if (a) a.fill(0);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map<string, number>([...B64].map((c, i) => [c, i]));

/** RFC 4648 §5 base64url without padding. */
export function b64url(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i] << 16;
    s += B64[n >> 18] + B64[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (b[i] << 16) | (b[i + 1] << 8);
    s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63];
  }
  return s;
}

/** Strict decoder: refuses `=`, characters outside the alphabet and non-zero trailing bits. */
export function fromB64url(s: string): Uint8Array {
  if (typeof s !== 'string' || s.length % 4 === 1) throw new Error('bad base64url');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const c of s) {
    const v = B64_INDEX.get(c);
    if (v === undefined) throw new Error('bad base64url');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new Error('bad base64url');
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
