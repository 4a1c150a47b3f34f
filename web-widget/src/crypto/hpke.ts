// RFC 9180 HPKE, single shot (sequence 0), suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
// ChaCha20-Poly1305, Base and Auth modes, built on noble (docs/protocol.md §5). Rust uses the
// `hpke` crate; this must never be used beyond sequence 0 nor with a low-order key.
import { concat, utf8, wipe } from './encoding';
import { aeadOpen, aeadSeal, dh, hkdfExpand, hkdfExtract, randomBytes, x25519Public } from './primitives';

const KEM_SUITE = concat(utf8('KEM'), new Uint8Array([0x00, 0x20]));
const HPKE_SUITE = concat(utf8('HPKE'), new Uint8Array([0x00, 0x20, 0x00, 0x01, 0x00, 0x03]));
const V1 = utf8('HPKE-v1');
export const MODE_BASE = 0;
export const MODE_AUTH = 2;

function labeledExtract(suite: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array) {
  return hkdfExtract(salt, concat(V1, suite, utf8(label), ikm));
}

function labeledExpand(suite: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, len: number) {
  return hkdfExpand(prk, concat(new Uint8Array([len >> 8, len & 0xff]), V1, suite, utf8(label), info), len);
}

/** RFC 9180 §7.1.3 DeriveKeyPair for X25519: the secret scalar (X25519 clamps it). */
export function deriveKeyPair(ikm: Uint8Array): { secret: Uint8Array; public: Uint8Array } {
  const prk = labeledExtract(KEM_SUITE, new Uint8Array(0), 'dkp_prk', ikm);
  const secret = labeledExpand(KEM_SUITE, prk, 'sk', new Uint8Array(0), 32);
  return { secret, public: x25519Public(secret) };
}

function extractAndExpand(dhBytes: Uint8Array, kemContext: Uint8Array): Uint8Array {
  const prk = labeledExtract(KEM_SUITE, new Uint8Array(0), 'eae_prk', dhBytes);
  return labeledExpand(KEM_SUITE, prk, 'shared_secret', kemContext, 32);
}

function keySchedule(mode: number, shared: Uint8Array, info: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const empty = new Uint8Array(0);
  const pskIdHash = labeledExtract(HPKE_SUITE, empty, 'psk_id_hash', empty);
  const infoHash = labeledExtract(HPKE_SUITE, empty, 'info_hash', info);
  const context = concat(new Uint8Array([mode]), pskIdHash, infoHash);
  const secret = labeledExtract(HPKE_SUITE, shared, 'secret', empty);
  const key = labeledExpand(HPKE_SUITE, secret, 'key', context, 32);
  const nonce = labeledExpand(HPKE_SUITE, secret, 'base_nonce', context, 12);
  wipe(secret);
  return { key, nonce };
}

function mustDh(sk: Uint8Array, pk: Uint8Array): Uint8Array {
  const out = dh(sk, pk);
  if (!out) throw new Error('hpke: weak key');
  return out;
}

/** Seal: returns `enc [32] || ciphertext`. `ikmE` is for vectors only. */
export function seal(
  recipient: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  senderSecret?: Uint8Array,
  ikmE: Uint8Array = randomBytes(32),
): Uint8Array {
  const eph = deriveKeyPair(ikmE);
  const enc = eph.public;
  let dhBytes = mustDh(eph.secret, recipient);
  let kemContext = concat(enc, recipient);
  if (senderSecret) {
    dhBytes = concat(dhBytes, mustDh(senderSecret, recipient));
    kemContext = concat(kemContext, x25519Public(senderSecret));
  }
  const shared = extractAndExpand(dhBytes, kemContext);
  const { key, nonce } = keySchedule(senderSecret ? MODE_AUTH : MODE_BASE, shared, info);
  const ct = aeadSeal(key, nonce, aad, plaintext);
  wipe(eph.secret, dhBytes, shared, key);
  return concat(enc, ct);
}

/** Open `enc || ciphertext`; `senderPublic` selects Auth mode. Throws on any failure. */
export function open(
  recipientSecret: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  senderPublic?: Uint8Array,
): Uint8Array {
  if (sealed.length < 32 + 16) throw new Error('hpke: malformed');
  const enc = sealed.subarray(0, 32);
  const pkR = x25519Public(recipientSecret);
  let dhBytes = mustDh(recipientSecret, enc);
  let kemContext = concat(enc, pkR);
  if (senderPublic) {
    dhBytes = concat(dhBytes, mustDh(recipientSecret, senderPublic));
    kemContext = concat(kemContext, senderPublic);
  }
  const shared = extractAndExpand(dhBytes, kemContext);
  const { key, nonce } = keySchedule(senderPublic ? MODE_AUTH : MODE_BASE, shared, info);
  const pt = aeadOpen(key, nonce, aad, sealed.subarray(32));
  wipe(dhBytes, shared, key);
  if (!pt) throw new Error('hpke: open failed');
  return pt;
}
