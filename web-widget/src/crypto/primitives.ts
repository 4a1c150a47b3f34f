// Thin wrappers over the audited noble libraries: SHA-256, HMAC, HKDF, X25519, Ed25519,
// ChaCha20-Poly1305 (docs/protocol.md §1). Only wrappers: a primitive is never written here.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { extract, expand } from '@noble/hashes/hkdf.js';
import { x25519, ed25519 } from '@noble/curves/ed25519.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concat, le64 } from './encoding';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  return nobleSha256(parts.length === 1 ? parts[0] : concat(...parts));
}

export function hmac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  return nobleHmac(nobleSha256, key, msg);
}

export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(nobleSha256, ikm, salt);
}

export function hkdfExpand(prk: Uint8Array, info: Uint8Array, len: number): Uint8Array {
  return expand(nobleSha256, prk, info, len);
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export function x25519Public(secret: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secret);
}

/** X25519 that refuses an all-zero result (low-order peer key): returns null. */
export function dh(secret: Uint8Array, peer: Uint8Array): Uint8Array | null {
  let out: Uint8Array;
  try {
    out = x25519.getSharedSecret(secret, peer);
  } catch {
    return null;
  }
  let acc = 0;
  for (const b of out) acc |= b;
  return acc === 0 ? null : out;
}

export function ed25519Verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    return ed25519.verify(sig, msg, pub);
  } catch {
    return false;
  }
}

export function ed25519Sign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  return ed25519.sign(msg, seed);
}

export function ed25519Public(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

/** Noise / session nonce: 4 zero bytes then LE64(n). */
export function noiseNonce(n: number | bigint): Uint8Array {
  return concat(new Uint8Array(4), le64(n));
}

export function aeadSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, pt: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce, ad).encrypt(pt);
}

/** Returns null when the tag does not verify. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ct: Uint8Array): Uint8Array | null {
  try {
    return chacha20poly1305(key, nonce, ad).decrypt(ct);
  } catch {
    return null;
  }
}
