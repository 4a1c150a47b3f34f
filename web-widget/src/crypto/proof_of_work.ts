// Proof-of-work (docs/protocol.md §7): SHA-256(labelled(POW_LABEL, seed || context ||
// BE64(nonce))) must start with `difficulty` zero bits. Mirrors src/crypto/proof_of_work.rs.
// Solvers search slices of nonces (pow-solver.ts: several workers, each its own slices); a
// difficulty above 28 is refused, never searched. Two ways to hash, the same tries and the
// same answer: the script's SHA-256, and the browser's own (WebCrypto), which a worker
// takes when it is faster there (with the JIT off, as in Tor Browser at "Safer").
import { sha256 } from '@noble/hashes/sha2.js';
import { labelled, utf8 } from './encoding';
import { POW_LABEL, POW_TIP_CONTEXT } from './labels';

export const MAX_DIFFICULTY = 28;
/** The context of a tip's or a follow-up's proof-of-work (§7). */
export const TIP_CONTEXT = utf8(POW_TIP_CONTEXT);

export function powInput(seed: Uint8Array, context: Uint8Array, nonce: number): Uint8Array {
  const input = labelled(POW_LABEL, seed, context, new Uint8Array(8));
  const view = new DataView(input.buffer);
  view.setBigUint64(input.length - 8, BigInt(nonce), false);
  return input;
}

export function leadingZeroBits(h: Uint8Array): number {
  let bits = 0;
  for (const b of h) {
    if (b === 0) bits += 8;
    else return bits + Math.clz32(b) - 24;
  }
  return bits;
}

/**
 * Searches nonces [from, from + count) and returns the first solution or -1. The input is
 * built once and only the nonce bytes change, so a phone spends its time hashing.
 */
export function searchPow(seed: Uint8Array, context: Uint8Array, difficulty: number, from: number, count: number): number {
  if (difficulty > MAX_DIFFICULTY) throw new Error('difficulty above 28 refused');
  const input = powInput(seed, context, 0);
  const view = new DataView(input.buffer);
  const at = input.length - 8;
  for (let n = from; n < from + count; n++) {
    view.setUint32(at, Math.floor(n / 0x100000000), false);
    view.setUint32(at + 4, n >>> 0, false);
    if (leadingZeroBits(sha256(input)) >= difficulty) return n;
  }
  return -1;
}

/** Digests asked of WebCrypto at once: one at a time spends most of its time waiting. */
const NATIVE_BATCH = 64;

/**
 * [searchPow] with the browser's own SHA-256 (`crypto.subtle.digest`): native code, as fast
 * with the JIT off as with it on, where the script's runs about 29 times slower
 * (docs/benchmarks.md, "Tor Browser at Safer"). The same tries in the same order: the same
 * first solution, or -1.
 */
export async function searchPowNative(subtle: SubtleCrypto, seed: Uint8Array, context: Uint8Array, difficulty: number, from: number, count: number): Promise<number> {
  if (difficulty > MAX_DIFFICULTY) throw new Error('difficulty above 28 refused');
  const base = powInput(seed, context, 0);
  const at = base.length - 8;
  for (let start = from; start < from + count; start += NATIVE_BATCH) {
    const digests: Promise<ArrayBuffer>[] = [];
    for (let n = start; n < Math.min(from + count, start + NATIVE_BATCH); n++) {
      const input = base.slice();
      const view = new DataView(input.buffer);
      view.setUint32(at, Math.floor(n / 0x100000000), false);
      view.setUint32(at + 4, n >>> 0, false);
      digests.push(subtle.digest('SHA-256', input));
    }
    const i = (await Promise.all(digests)).findIndex((h) => leadingZeroBits(new Uint8Array(h)) >= difficulty);
    if (i >= 0) return start + i;
  }
  return -1;
}
