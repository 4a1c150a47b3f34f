// Certificates and revocation lists (docs/protocol.md §2), read strictly and verified
// against the pinned organisation key. Mirrors src/crypto/certificate.rs. It never accepts a
// certificate or list it could not check, nor a list older than the embed's maximum age.
import { Reader, checkDisplayText, fromUtf8, labelled } from './encoding';
import { CERTIFICATE_LABEL, REVOCATION_LABEL } from './labels';
import { ed25519Verify } from './primitives';

export const ROLE_COORDINATOR = 1;
export const ROLE_INBOX = 2;

export interface Certificate {
  role: number;
  serial: bigint;
  notBefore: bigint;
  notAfter: bigint;
  x25519: Uint8Array;
  ed25519: Uint8Array;
  alias: string;
  bytes: Uint8Array;
}

export type CertificateError =
  | 'malformed'
  | 'wrong_signer'
  | 'not_yet_valid'
  | 'expired'
  | 'revoked'
  | 'wrong_role'
  | 'stale_revocations'
  | 'missing_revocations';

export class CertError extends Error {
  constructor(readonly code: CertificateError) {
    super(code);
  }
}

export function decodeCertificate(bytes: Uint8Array): Certificate {
  try {
    const r = new Reader(bytes);
    if (r.u8() !== 1) throw new Error('version');
    const role = r.u8();
    if (role !== 1 && role !== 2) throw new Error('role');
    const serial = r.u64();
    const notBefore = r.u64();
    const notAfter = r.u64();
    // §2.1: an empty or inverted validity window is malformed, whoever signed it.
    if (notAfter <= notBefore) throw new Error('window');
    const x25519 = r.take(32).slice();
    const ed25519 = r.take(32).slice();
    const aliasLen = r.u8();
    const alias = fromUtf8(r.take(aliasLen));
    if (!checkDisplayText(alias)) throw new Error('alias');
    r.take(64);
    r.finish();
    return { role, serial, notBefore, notAfter, x25519, ed25519, alias, bytes: bytes.slice() };
  } catch {
    throw new CertError('malformed');
  }
}

export interface RevocationList {
  issuedAt: bigint;
  serials: bigint[];
}

/** §2.2: decode and verify; `maxAge` (seconds) refuses a stale list. */
export function decodeRevocations(
  bytes: Uint8Array,
  org: Uint8Array,
  now: number,
  maxAge?: number,
): RevocationList {
  let list: RevocationList;
  try {
    const r = new Reader(bytes);
    if (r.u8() !== 1) throw new Error('version');
    const issuedAt = r.u64();
    const count = r.u32();
    if (count > 100_000 || r.remaining() !== 8 * count + 64) throw new Error('length');
    const serials: bigint[] = [];
    for (let i = 0; i < count; i++) {
      const s = r.u64();
      if (i > 0 && s <= serials[i - 1]) throw new Error('order');
      serials.push(s);
    }
    list = { issuedAt, serials };
  } catch {
    throw new CertError('malformed');
  }
  const bodyLen = bytes.length - 64;
  if (!ed25519Verify(org, labelled(REVOCATION_LABEL, bytes.subarray(0, bodyLen)), bytes.subarray(bodyLen))) {
    throw new CertError('wrong_signer');
  }
  if (maxAge !== undefined && BigInt(now) - list.issuedAt > BigInt(maxAge)) {
    throw new CertError('stale_revocations');
  }
  return list;
}

/** §2.4, in order: decode, signer, not before, not after, revoked, role. */
export function verifyCertificate(
  bytes: Uint8Array,
  org: Uint8Array,
  now: number,
  revocations: RevocationList | null,
  role: number,
): Certificate {
  const cert = decodeCertificate(bytes);
  const bodyLen = bytes.length - 64;
  if (!ed25519Verify(org, labelled(CERTIFICATE_LABEL, bytes.subarray(0, bodyLen)), bytes.subarray(bodyLen))) {
    throw new CertError('wrong_signer');
  }
  const t = BigInt(now);
  if (t < cert.notBefore) throw new CertError('not_yet_valid');
  if (t >= cert.notAfter) throw new CertError('expired');
  if (revocations && revocations.serials.includes(cert.serial)) throw new CertError('revoked');
  if (cert.role !== role) throw new CertError('wrong_role');
  return cert;
}
