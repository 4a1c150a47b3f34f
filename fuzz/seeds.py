#!/usr/bin/env python3
"""Writes the named seeds of the targets added in wave 4 (handover_note, noscript_form,
sealed_key_read, registry_load, resume_token) and wave 5 (renewal_request, inbox_grant,
identity_grants, desk_page_message; and frame_decode's ticket_hello and resume_sessions)
into fuzz/corpus/<target>/seed-*.

Real encodings, from the committed vectors (tests/vectors/*.json) and the fixed keys of
lifeline::crypto::vectors, re-derived here with python3-cryptography (Ed25519, Argon2id,
ChaCha20-Poly1305); the script checks what it derives against the vectors first. Run from
the repository root: python3 fuzz/seeds.py [TARGET...] (all by default). A minimisation may
later drop a seed whose coverage others hold.
"""

import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
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
    renewed = lambda serial, expires: json.dumps({
        "event": "renewed", "serial": serial, "fingerprint": "11111 22222 33333 44444 55555",
        "issued": NOW + DAY, "expires": expires}, separators=(",", ":"))
    write(t, "renewed", "\n".join([
        renewed(100, NOW + 9 * DAY), issued(100, "Amara (Lyon)", NOW + 90 * DAY),
        renewed(100, NOW + 120 * DAY), revoked(100, NOW + 2 * DAY), renewed(100, NOW + 150 * DAY),
        renewed(404, NOW)]) + "\n")


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


def x25519_public(secret):
    raw = serialization.Encoding.Raw
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(raw, serialization.PublicFormat.Raw)


def renewal_request(vectors):
    coordinator = vectors["certificates"]["coordinator"]
    cert = bytes.fromhex(coordinator["certificate"])
    current, current_ed = ed25519(bytes.fromhex(coordinator["ed25519_seed"]))
    current_x = x25519_public(bytes.fromhex(coordinator["x25519_secret"]))
    assert cert.find(current_x + current_ed) > 0, "coordinator keys"

    def request(next_key, next_x, next_ed, version=1):
        body = bytes([version]) + struct.pack(">H", len(cert)) + cert + next_x + next_ed
        message = b"lifeline v1 renewal request\x00" + body
        return body + current.sign(message) + next_key.sign(message)

    t = "renewal_request"
    same = request(current, current_x, current_ed)
    new_key, new_ed = ed25519(fixed(0x60))
    new_keys = request(new_key, x25519_public(fixed(0x61)), new_ed)
    write(t, "same-keys", b"\x00" + same)
    write(t, "new-keys", b"\x00" + new_keys)
    write(t, "truncated", b"\x00" + new_keys[:-1])
    write(t, "version-2", b"\x00" + request(current, current_x, current_ed, version=2))
    write(t, "next-signature-flipped", b"\x00" + new_keys[:-1] + bytes([new_keys[-1] ^ 1]))
    args = lambda now, revoked, flip=0: (b"\x01" + fixed(0x60) + x25519_public(fixed(0x61))
                                         + struct.pack(">QQH", now, revoked, flip))
    write(t, "genuine-in-force", args(NOW, 8, 3000))
    write(t, "genuine-revoked", args(NOW, 7))
    write(t, "genuine-expired", args(coordinator["not_after"], 8))
    write(t, "genuine-not-yet", args(coordinator["not_before"] - 1, 8))


def inbox_grant(vectors):
    vector = vectors["inbox-grant"]
    grant = bytes.fromhex(vector["grant"])
    assert grant[1:9] == struct.pack(">Q", vector["serial"]), "grant serial"
    t = "inbox_grant"
    write(t, "genuine", b"\x00" + grant)
    write(t, "truncated", b"\x00" + grant[:-1])
    write(t, "until-flipped", b"\x00" + grant[:16] + bytes([grant[16] ^ 1]) + grant[17:])
    write(t, "other-serial", b"\x00" + grant[:8] + bytes([grant[8] ^ 1]) + grant[9:])
    write(t, "no-keys", b"\x00" + grant[:17] + b"\x00")
    secrets = b"".join(bytes.fromhex(s) for s in vector["inbox_secrets"])
    sealed = lambda count: (b"\x01" + struct.pack(">QH", vector["until"], 777) + bytes.fromhex(vector["ikmE"])
                            + (secrets * 9)[:32 * count])
    write(t, "seal-two", sealed(2))
    write(t, "seal-sixteen", sealed(16))
    write(t, "seal-seventeen", sealed(17))
    write(t, "seal-none", sealed(0))
    write(t, "file", b"\x02lifeline-inbox-grant v1\n" + b64(grant).encode() + b"\n")
    write(t, "file-other-magic", b"\x02lifeline-sealed-key v1\n" + b64(grant).encode() + b"\n")


def identity_grants():
    t = "identity_grants"
    now = struct.pack(">Q", NOW)
    entry = lambda until, seed: struct.pack(">Q", until) + fixed(seed)
    write(t, "no-grant", now)
    write(t, "one-key", now + b"\x01" + entry(NOW + DAY, 0x40))
    write(t, "two-keys-one-over", now + b"\x02" + entry(NOW + DAY, 0x40) + entry(NOW, 0xD0))
    write(t, "sixteen-keys", now + b"\x10" + b"".join(entry(NOW + i, i) for i in range(16)))
    write(t, "seventeen-keys", now + b"\x11" + b"".join(entry(NOW + i, i) for i in range(17)))
    write(t, "zero-keys", now + b"\x00")
    write(t, "half-an-entry", now + b"\x01" + entry(NOW, 0x40)[:20])


def desk_page_message():
    t = "desk_page_message"
    session, tip = b64(SESSION_ID), b64(bytes(range(16)))
    messages = {
        "unlock": dict(passphrase="correct horse battery staple", inbox_passphrase="another one"),
        "touch": {}, "lock": {}, "duty": dict(on=True),
        "select_queue": dict(session=session), "select_conversation": dict(session=session),
        "show": dict(screen="tips"), "claim": dict(session=session), "claim_next": {},
        "draft": dict(target={"conversation": session}, text="Bonjour, je suis là.\nOn peut parler."),
        "resource": dict(target={"tip": tip}, index=2), "send": dict(target={"tip": tip}),
        "transfer": dict(session=session, to=8), "end": dict(session=session),
        "tips_refresh": {}, "tip_open": dict(id=tip), "tip_handled": dict(id=tip),
        "tip_take": dict(id=tip, over=True), "quit": {},
    }
    for kind, fields in messages.items():
        write(t, kind, json.dumps({"type": kind, **fields}, ensure_ascii=False))
    write(t, "lock-extra-field", '{"type":"lock","extra":1}')
    write(t, "duty-extra-field", '{"type":"duty","on":true,"extra":1}')
    write(t, "unknown-type", '{"type":"raw_frame","frame":"x"}')
    write(t, "type-twice", '{"type":"lock","type":"quit"}')


def frame_decode(vectors):
    handshake, pow_vector = vectors["handshake"], vectors["proof-of-work"]
    t = "frame_decode"
    session = b64(bytes.fromhex(handshake["session_id"]))
    write(t, "ticket-hello", frame("ticket_hello", session=session,
                                        seed=b64(bytes.fromhex(pow_vector["seed"])),
                                        pow_nonce=pow_vector["nonce"], kind="chat", lang="fr",
                                        handshake=b64(bytes.fromhex(handshake["message1"]))))
    write(t, "ticket-hello-tip", frame("ticket_hello", session=session, seed=b64(bytes(16)),
                                            pow_nonce=0, kind="tip",
                                            handshake=b64(bytes.fromhex(handshake["message1"]))))
    write(t, "resume-sessions", frame("resume_sessions", sessions=[
        {"session": session, "last_seq": 3}, {"session": b64(bytes(range(16))), "last_seq": 0}]))
    write(t, "resume-sessions-seventeen", frame("resume_sessions", sessions=[
        {"session": b64(bytes([i]) * 16), "last_seq": i} for i in range(17)]))


def main():
    if not os.path.isdir("fuzz/corpus"):
        sys.exit("run from the repository root")
    vectors = {}
    for name in os.listdir("tests/vectors"):
        with open(os.path.join("tests/vectors", name)) as f:
            vectors[name.removesuffix(".json")] = json.load(f)
    seeders = {
        "handover_note": lambda: handover_note(vectors),
        "noscript_form": noscript_form,
        "sealed_key_read": sealed_key_read,
        "registry_load": registry_load,
        "resume_token": resume_token,
        "renewal_request": lambda: renewal_request(vectors),
        "inbox_grant": lambda: inbox_grant(vectors),
        "identity_grants": identity_grants,
        "desk_page_message": desk_page_message,
        "frame_decode": lambda: frame_decode(vectors),
    }
    # Only the targets named (all by default): a seed a minimisation dropped stays dropped.
    for target in sys.argv[1:] or seeders:
        if target not in seeders:
            sys.exit(f"no seeds for {target}: one of {', '.join(seeders)}")
        seeders[target]()


if __name__ == "__main__":
    main()
