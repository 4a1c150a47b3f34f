// Size buckets (docs/protocol.md §4.2): `kind u8 || length u32 || content || zeros`. Mirrors
// src/crypto/padding.rs; unpadding never accepts a size outside the buckets or non-zero fill.
export const CHAT_BUCKETS = [256, 1024, 4096, 16384];
export const TIP_BUCKETS = [1024, 4096, 16384, 65536, 262144];
export const HEADER_LEN = 5;

export function pad(kind: number, content: Uint8Array, buckets: number[]): Uint8Array | null {
  const bucket = buckets.find((b) => b >= HEADER_LEN + content.length);
  if (bucket === undefined) return null;
  const out = new Uint8Array(bucket);
  out[0] = kind;
  new DataView(out.buffer).setUint32(1, content.length, false);
  out.set(content, HEADER_LEN);
  return out;
}

export function unpad(padded: Uint8Array, buckets: number[]): { kind: number; content: Uint8Array } {
  if (!buckets.includes(padded.length)) throw new Error('padded size');
  const kind = padded[0];
  const len = new DataView(padded.buffer, padded.byteOffset, padded.length).getUint32(1, false);
  if (HEADER_LEN + len > padded.length) throw new Error('length');
  for (let i = HEADER_LEN + len; i < padded.length; i++) if (padded[i] !== 0) throw new Error('padding');
  return { kind, content: padded.subarray(HEADER_LEN, HEADER_LEN + len) };
}

export function maxContent(buckets: number[]): number {
  return buckets[buckets.length - 1] - HEADER_LEN;
}
