// The visitor side of the live-chat handshake (docs/protocol.md §3, Noise NX initiator).
// Mirrors src/crypto/handshake.rs. It must never accept a coordinator whose certificate,
// static key or signature over the handshake hash does not check (§3's table, in order).
import { be16, concat, equal, labelled, utf8, wipe } from './encoding';
import { Certificate, RevocationList, ROLE_COORDINATOR, verifyCertificate, CertError } from './certificate';
import { PROLOGUE_LABEL, PROTOCOL_NAME, SIGNATURE_LABEL } from './labels';
import { aeadOpen, aeadSeal, dh, ed25519Verify, hkdfExpand, hkdfExtract, noiseNonce, sha256, x25519Public } from './primitives';
import { SessionCipher } from './session';

export { PROTOCOL_NAME };
const MESSAGE2_MIN = 32 + 48 + 16 + 2 + 64;
const MESSAGE2_MAX = 1024;

export type HandshakeErrorCode = 'Malformed' | 'WeakKey' | 'Decrypt' | 'Certificate' | 'KeyMismatch' | 'BadSignature';

export class HandshakeError extends Error {
  constructor(
    readonly code: HandshakeErrorCode,
    readonly certificate?: string,
  ) {
    super(certificate ? `${code}(${certificate})` : code);
  }
}

export function prologue(sessionId: Uint8Array, orgFp: Uint8Array): Uint8Array {
  return concat(utf8(PROLOGUE_LABEL), sessionId, orgFp);
}

function hkdf2(ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const prk = hkdfExtract(ck, ikm);
  const out = hkdfExpand(prk, new Uint8Array(0), 64);
  wipe(prk);
  return [out.slice(0, 32), out.slice(32, 64)];
}

class Symmetric {
  h = utf8(PROTOCOL_NAME);
  ck = this.h.slice();
  k: Uint8Array | null = null;
  n = 0;
  constructor(prologueBytes: Uint8Array) {
    this.mixHash(prologueBytes);
  }
  mixHash(x: Uint8Array) {
    this.h = sha256(this.h, x);
  }
  mixKey(ikm: Uint8Array) {
    const [ck, k] = hkdf2(this.ck, ikm);
    wipe(this.ck, this.k);
    this.ck = ck;
    this.k = k;
    this.n = 0;
  }
  encryptAndHash(p: Uint8Array): Uint8Array {
    const c = this.k ? aeadSeal(this.k, noiseNonce(this.n++), this.h, p) : p;
    this.mixHash(c);
    return c;
  }
  decryptAndHash(c: Uint8Array): Uint8Array {
    let p: Uint8Array | null = c;
    if (this.k) {
      p = aeadOpen(this.k, noiseNonce(this.n), this.h, c);
      if (!p) throw new HandshakeError('Decrypt');
      this.n++;
    }
    this.mixHash(c);
    return p;
  }
}

export interface VerifiedCoordinator {
  alias: string;
  serial: bigint;
  certificate: Certificate;
}

/** The initiator: `start` gives message 1, `finish` checks message 2 and gives the cipher. */
export class VisitorHandshake {
  private state: Symmetric;
  private e: Uint8Array;
  readonly message1: Uint8Array;
  private used = false;

  constructor(
    readonly sessionId: Uint8Array,
    private readonly org: Uint8Array,
    ephemeralSecret: Uint8Array,
  ) {
    this.state = new Symmetric(prologue(sessionId, sha256(org)));
    this.e = ephemeralSecret.slice();
    const ePub = x25519Public(this.e);
    this.state.mixHash(ePub);
    this.state.encryptAndHash(new Uint8Array(0));
    this.message1 = ePub;
  }

  finish(
    message2: Uint8Array,
    now: number,
    revocations: RevocationList | null,
  ): { cipher: SessionCipher; coordinator: VerifiedCoordinator } {
    if (this.used) throw new HandshakeError('Malformed');
    this.used = true;
    try {
      if (message2.length < MESSAGE2_MIN || message2.length > MESSAGE2_MAX) throw new HandshakeError('Malformed');
      const s = this.state;
      const re = message2.subarray(0, 32);
      s.mixHash(re);
      const ee = dh(this.e, re);
      if (!ee) throw new HandshakeError('WeakKey');
      s.mixKey(ee);
      const rs = s.decryptAndHash(message2.subarray(32, 80));
      const es = dh(this.e, rs);
      if (!es) throw new HandshakeError('WeakKey');
      s.mixKey(es);
      const h7 = s.h.slice();
      const payload = s.decryptAndHash(message2.subarray(80));
      if (payload.length < 2) throw new HandshakeError('Malformed');
      const certLen = (payload[0] << 8) | payload[1];
      if (payload.length !== 2 + certLen + 64) throw new HandshakeError('Malformed');
      const certBytes = payload.subarray(2, 2 + certLen);
      const sig = payload.subarray(2 + certLen);
      let cert: Certificate;
      try {
        cert = verifyCertificate(certBytes, this.org, now, revocations, ROLE_COORDINATOR);
      } catch (e) {
        throw new HandshakeError('Certificate', e instanceof CertError ? e.code : 'malformed');
      }
      if (!equal(cert.x25519, rs)) throw new HandshakeError('KeyMismatch');
      if (!ed25519Verify(cert.ed25519, labelled(SIGNATURE_LABEL, h7), sig)) {
        throw new HandshakeError('BadSignature');
      }
      const [k1, k2] = hkdf2(s.ck, new Uint8Array(0));
      const cipher = new SessionCipher(this.sessionId, k1, k2, s.h.slice());
      return { cipher, coordinator: { alias: cert.alias, serial: cert.serial, certificate: cert } };
    } finally {
      wipe(this.e, this.state.k, this.state.ck);
    }
  }
}

/** The coordinator side, used only by tests (vectors) and never by the widget's UI. */
export function respondForTests(
  sessionId: Uint8Array,
  orgFp: Uint8Array,
  staticSecret: Uint8Array,
  signingSeed: Uint8Array,
  sign: (seed: Uint8Array, msg: Uint8Array) => Uint8Array,
  certificate: Uint8Array,
  ephemeralSecret: Uint8Array,
  message1: Uint8Array,
): { message2: Uint8Array; handshakeHash: Uint8Array; k1: Uint8Array; k2: Uint8Array } {
  const s = new Symmetric(prologue(sessionId, orgFp));
  s.mixHash(message1);
  s.encryptAndHash(new Uint8Array(0));
  const ePub = x25519Public(ephemeralSecret);
  s.mixHash(ePub);
  s.mixKey(dh(ephemeralSecret, message1)!);
  const cs = s.encryptAndHash(x25519Public(staticSecret));
  s.mixKey(dh(staticSecret, message1)!);
  const sig = sign(signingSeed, labelled(SIGNATURE_LABEL, s.h));
  const cp = s.encryptAndHash(concat(be16(certificate.length), certificate, sig));
  const [k1, k2] = hkdf2(s.ck, new Uint8Array(0));
  return { message2: concat(ePub, cs, cp), handshakeHash: s.h, k1, k2 };
}
