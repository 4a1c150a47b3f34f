#!/usr/bin/env python3
"""Writes the named seeds of the targets added in wave 4 (handover_note, noscript_form,
sealed_key_read, registry_load, resume_token) into fuzz/corpus/<target>/seed-*.

Real encodings, from the committed vectors (tests/vectors/*.json) and the fixed keys of
lifeline::crypto::vectors, re-derived here with python3-cryptography (Ed25519, Argon2id,
ChaCha20-Poly1305); the script checks what it derives against the vectors first. Run from
the repository root: python3 fuzz/seeds.py. A minimisation may later drop a seed whose
coverage others hold.
"""

import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

NOW = 1_790_000_000
DAY = 86_400
SESSION_ID = bytes([0x5E] * 16)
PASSPHRASE = b"correct horse battery staple"


def fixed(seed):
    return bytes((seed + i) % 256 for i in range(32))


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ed25519(seed):
    key = Ed25519PrivateKey.from_private_bytes(seed)
    raw = serialization.Encoding.Raw
    return key, key.public_key().public_bytes(raw, serialization.PublicFormat.Raw)


def write(target, name, data):
    folder = os.path.join("fuzz", "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def frame(frame_type, **fields):
    return json.dumps({"v": 1, "type": frame_type, **fields}, separators=(",", ":"))


def pad(kind, content, bucket=256):
    return bytes([kind]) + struct.pack(">I", len(content)) + content + bytes(bucket - 5 - len(content))


def certificate(org_key, serial, x25519, ed25519_public, alias):
    body = struct.pack(">BBQQQ", 1, 1, serial, NOW - DAY, NOW + 100 * 365 * DAY)
    body += x25519 + ed25519_public + bytes([len(alias)]) + alias.encode()
    return body + org_key.sign(b"lifeline v1 certificate\x00" + body)


def handover_note(vectors):
    note = vectors["handover-note"]
    org_key, org_public = ed25519(fixed(0x10))
    assert hashlib.sha256(org_public).hexdigest() == note["org_fingerprint"], "org key"
    _, coordinator_ed = ed25519(fixed(0x20))
    sealed = bytes.fromhex(note["sealed"])
    sender = bytes.fromhex(note["sender_public"])
    cert = certificate(org_key, 7, sender, coordinator_ed, "Amara (Lyon)")
    stranger = certificate(org_key, 8, bytes(32), coordinator_ed, "Amara (Lyon)")
    t = "handover_note"
    write(t, "sealed-genuine", b"\x00" + sealed)
    write(t, "sealed-truncated", b"\x00" + sealed[:-1])
    write(t, "sealed-flipped", b"\x00" + sealed[:100] + bytes([sealed[100] ^ 1]) + sealed[101:])
    text = note["text"].encode()
    write(t, "padded-note", b"\x01" + pad(3, text))
    write(t, "padded-other-kind", b"\x01" + pad(2, text))
    write(t, "padded-escape", b"\x01" + pad(3, b"\x1b[2J" + text))
    write(t, "padded-longest", b"\x01" + pad(3, "é".encode() * 120))
    write(t, "padded-short", b"\x01" + pad(3, text)[:255])
    claimed = dict(session=b64(SESSION_ID), handshake=b64(fixed(0x50)), kind="chat", next_seq=1)
    write(t, "claimed-genuine", "\x02" + frame("claimed", **claimed, transferred_from="Amara (Lyon)",
                                                note=b64(sealed), note_from=b64(cert)))
    write(t, "claimed-other-alias", "\x02" + frame("claimed", **claimed, transferred_from="Ben",
                                                    note=b64(sealed), note_from=b64(cert)))
    write(t, "claimed-foreign-key", "\x02" + frame("claimed", **claimed, transferred_from="Amara (Lyon)",
                                                    note=b64(sealed), note_from=b64(stranger)))
    write(t, "claimed-no-note", "\x02" + frame("claimed", **claimed, lang="fr"))
    write(t, "transfer", "\x02" + frame("transfer", session=b64(SESSION_ID), to=8, note=b64(sealed)))
    write(t, "transfer-no-note", "\x02" + frame("transfer", session=b64(SESSION_ID), to=8))


def noscript_form():
    t = "noscript_form"
    token = b64(struct.pack(">I", NOW + 7200) + b"\xf0abc" + bytes(8))
    write(t, "tip", f"token={token}&lang=fr&text=Il+y+a+des+gens+enferm%C3%A9s%0Arue+des+Lilas&category=labour")
    write(t, "replies", f"token={token}&lang=ar&code=7KQ4-XM2P-9TRH-W3NC-DF&text=")
    write(t, "markup", "lang=en&text=%3Cscript%3Ealert(1)%3C%2Fscript%3E+%26amp%3B+%22'&code=%3C%2Ftextarea%3E")
    write(t, "twice", "text=first&text=second&lang=de")
    write(t, "broken", "text=%ZZ%C3&&=x&lang&code=%E2%80%AE")


def seal(magic, plaintext, m_kib=8, t=1, p=1, salt=bytes([0x5A] * 16), nonce=bytes([0xA5] * 12)):
    header = struct.pack(">III", m_kib, t, p) + salt + nonce
    key = Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m_kib).derive(PASSPHRASE)
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, plaintext, magic.encode() + b"\n" + header)
    return f"{magic}\n{b64(header + ciphertext)}\n"


def sealed_key_read():
    t = "sealed_key_read"
    magic = "lifeline-sealed-key v1"
    sealed = seal(magic, fixed(0x40))
    write(t, "sealed-32", "\x00" + sealed)
    write(t, "sealed-31", "\x00" + seal(magic, fixed(0x40)[:31]))
    write(t, "sealed-as-identity", "\x00" + seal("lifeline-console-identity v1", fixed(0x40)))
    body = base64.urlsafe_b64decode(sealed.split("\n")[1] + "==")
    absurd = struct.pack(">I", 0xFFFFFFFF) + body[4:]
    write(t, "sealed-absurd-cost", f"\x00{magic}\n{b64(absurd)}\n")
    write(t, "sealed-truncated", "\x00" + sealed[:60] + "\n")
    write(t, "plain-32", "\x00" + b64(fixed(0x40)) + "\n")
    write(t, "fresh-32", b"\x01\x00\x07" + fixed(0x40))
    write(t, "fresh-31", b"\x01\x01\x00" + fixed(0x40)[:31])


def registry_load():
    t = "registry_load"
    issued = lambda serial, alias, expires: json.dumps({
        "event": "issued", "serial": serial, "alias": alias,
        "fingerprint": "04211 53390 11873 60021 39415", "issued": NOW, "expires": expires},
        separators=(",", ":"))
    revoked = lambda serial, at: json.dumps({"event": "revoked", "serial": serial, "at": at},
                                           separators=(",", ":"))
    write(t, "three-and-a-revocation", "\n".join([
        issued(100, "Amara (Lyon)", NOW + 90 * DAY), issued(101, "Ben", NOW + 30 * DAY),
        revoked(100, NOW + DAY), "", issued(102, "Chloé", NOW + 60 * DAY), revoked(100, NOW + 2 * DAY)]) + "\n")
    write(t, "revoked-before-issued", revoked(105, NOW) + "\n" + issued(105, "Dee", NOW) + "\n")
    write(t, "half-a-line", issued(100, "Amara (Lyon)", NOW)[:40])
    # FZ-3: the largest serial, given by hand, has no successor.
    write(t, "largest-serial", issued(2**64 - 1, "Eve", NOW) + "\n" + issued(100, "Amara (Lyon)", NOW) + "\n")
    write(t, "empty", "")


def resume_token():
    t = "resume_token"
    session = b64(SESSION_ID)
    token = struct.pack(">Q", 7) + bytes(range(24))
    write(t, "resume", struct.pack(">Q", 7) + b"\x20" + token
          + frame("resume", session=session, token=b64(token), last_seq=3).encode())
    write(t, "short-token-welcome", struct.pack(">Q", 0) + b"\x1f" + token[:31]
          + frame("welcome", session=session, token=b64(token), next_seq=1, delivered=0,
                  revocations=b64(b"\x01"), erase_after_idle_s=900).encode())
    write(t, "long-token", struct.pack(">Q", 2**64 - 1) + b"\x21" + token + b"\x00"
          + frame("resume", session=session, token=b64(token + b"\x00"), last_seq=0).encode())


def main():
    if not os.path.isdir("fuzz/corpus"):
        sys.exit("run from the repository root")
    vectors = {}
    for name in os.listdir("tests/vectors"):
        with open(os.path.join("tests/vectors", name)) as f:
            vectors[name.removesuffix(".json")] = json.load(f)
    handover_note(vectors)
    noscript_form()
    sealed_key_read()
    registry_load()
    resume_token()


if __name__ == "__main__":
    main()
