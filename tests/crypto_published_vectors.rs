//! Published test vectors for every primitive Lifeline relies on, run through the exact
//! functions the protocol code calls.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use lifeline::crypto::keys::{DhPublicKey, DhSecret, SigningKey, hex};
use lifeline::crypto::primitives::hkdf_sha256;
use lifeline::crypto::sealed_tip::{hpke_open, hpke_seal};
use lifeline::crypto::vectors::FixedRng;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn arr(s: &str) -> [u8; 32] {
    unhex(s).try_into().unwrap()
}

#[test]
fn rfc7748_x25519() {
    // §5.2, first vector: scalar × u-coordinate.
    let scalar = DhSecret::from_bytes(arr(
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
    ));
    let u = DhPublicKey(arr(
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
    ));
    assert_eq!(
        hex(&scalar.agree(&u).unwrap()[..]),
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
    );
    // §6.1: Alice and Bob.
    let alice = DhSecret::from_bytes(arr(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    ));
    let bob = DhSecret::from_bytes(arr(
        "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    ));
    assert_eq!(
        hex(&alice.public().0),
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    );
    assert_eq!(
        hex(&bob.public().0),
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
    );
    let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    assert_eq!(hex(&alice.agree(&bob.public()).unwrap()[..]), shared);
    assert_eq!(hex(&bob.agree(&alice.public()).unwrap()[..]), shared);
    // A low-order point gives an all-zero secret, which Lifeline refuses.
    assert!(alice.agree(&DhPublicKey([0u8; 32])).is_none());
}

#[test]
fn rfc8439_chacha20_poly1305() {
    // §2.8.2.
    let key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    let nonce = unhex("070000004041424344454647");
    let aad = unhex("50515253c0c1c2c3c4c5c6c7");
    let pt = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let cipher = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&key).unwrap();
    let ct = cipher
        .encrypt(nonce.as_slice().into(), Payload { msg: pt, aad: &aad })
        .unwrap();
    assert_eq!(
        hex(&ct),
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116\
         1ae10b594f09e26a7e902ecbd0600691"
    );
    let mut tampered = ct.clone();
    tampered[0] ^= 1;
    assert!(
        cipher
            .decrypt(
                nonce.as_slice().into(),
                Payload {
                    msg: &tampered,
                    aad: &aad
                }
            )
            .is_err()
    );
}

#[test]
fn rfc5869_hkdf_sha256() {
    // Test case 1.
    let mut okm = [0u8; 42];
    hkdf_sha256(
        &unhex("000102030405060708090a0b0c"),
        &[0x0b; 22],
        &unhex("f0f1f2f3f4f5f6f7f8f9"),
        &mut okm,
    );
    assert_eq!(
        hex(&okm),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    );
    // Test case 3: empty salt and info.
    let mut okm = [0u8; 42];
    hkdf_sha256(&[], &[0x0b; 22], &[], &mut okm);
    assert_eq!(
        hex(&okm),
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    );
}

#[test]
fn rfc8032_ed25519() {
    // §7.1 TEST 1 (empty message).
    let key = SigningKey::from_seed(arr(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    ));
    assert_eq!(
        hex(&key.public().0),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    let sig = key.sign(b"");
    assert_eq!(
        hex(&sig),
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    );
    assert!(key.public().verify(b"", &sig));
    assert!(!key.public().verify(b"x", &sig));
}

#[test]
fn rfc9180_hpke_base_and_auth() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/rfc9180-hpke.json");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let vectors = file["vectors"].as_array().unwrap();
    let mut modes = Vec::new();
    for v in vectors {
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        let mode = v["mode"].as_u64().unwrap();
        assert_eq!(
            (
                v["kem_id"].as_u64(),
                v["kdf_id"].as_u64(),
                v["aead_id"].as_u64()
            ),
            (Some(32), Some(1), Some(3))
        );
        modes.push(mode);
        let recipient = DhSecret::from_bytes(arr(&s("skRm")));
        assert_eq!(hex(&recipient.public().0), s("pkRm"));
        let sender = (mode == 2).then(|| DhSecret::from_bytes(arr(&s("skSm"))));
        let info = unhex(&s("info"));
        // Single-shot seal is sequence 0: with the ephemeral derived from the published
        // ikmE it must give the published enc and first ciphertext, byte for byte.
        let first = &v["encryptions"][0];
        let pt = unhex(first["pt"].as_str().unwrap());
        let aad = unhex(first["aad"].as_str().unwrap());
        let sealed = hpke_seal(
            sender.as_ref(),
            &recipient.public(),
            &info,
            &aad,
            &pt,
            &mut FixedRng::new(&unhex(&s("ikmE"))),
        )
        .unwrap();
        assert_eq!(hex(&sealed[..32]), s("enc"), "mode {mode} enc");
        assert_eq!(
            hex(&sealed[32..]),
            first["ct"].as_str().unwrap(),
            "mode {mode} ct"
        );
        let sender_public = sender.as_ref().map(|k| k.public());
        let opened = hpke_open(sender_public.as_ref(), &recipient, &info, &aad, &sealed).unwrap();
        assert_eq!(&opened[..], &pt[..]);
        // A wrong sender key in Auth mode, or a flipped bit, is refused.
        let mut tampered = sealed.clone();
        tampered[40] ^= 1;
        assert!(hpke_open(sender_public.as_ref(), &recipient, &info, &aad, &tampered).is_err());
        if mode == 2 {
            assert!(
                hpke_open(Some(&recipient.public()), &recipient, &info, &aad, &sealed).is_err()
            );
        }
        // Later sequence numbers: open the published ciphertexts in order through a context.
        use hpke::{
            Deserializable, OpModeR, aead::ChaCha20Poly1305, kdf::HkdfSha256,
            kem::X25519HkdfSha256 as K,
        };
        let enc = <K as hpke::Kem>::EncappedKey::from_bytes(&unhex(&s("enc"))).unwrap();
        let sk = <K as hpke::Kem>::PrivateKey::from_bytes(&unhex(&s("skRm"))).unwrap();
        let mode_r = match &sender_public {
            Some(p) => OpModeR::Auth(<K as hpke::Kem>::PublicKey::from_bytes(&p.0).unwrap()),
            None => OpModeR::Base,
        };
        let mut ctx =
            hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, K>(&mode_r, &sk, &enc, &info)
                .unwrap();
        let mut checked = 0;
        for (seq, e) in v["encryptions"].as_array().unwrap().iter().enumerate() {
            if e.get("seq")
                .and_then(|x| x.as_u64())
                .is_some_and(|want| want != seq as u64)
            {
                break; // the file skips sequences here; a context can only open in order
            }
            let pt = ctx
                .open(
                    &unhex(e["ct"].as_str().unwrap()),
                    &unhex(e["aad"].as_str().unwrap()),
                )
                .unwrap();
            assert_eq!(hex(&pt), e["pt"].as_str().unwrap());
            checked += 1;
        }
        assert!(
            checked >= 3,
            "at least three published encryptions checked, got {checked}"
        );
    }
    modes.sort();
    assert_eq!(
        modes,
        vec![0, 2],
        "Base (A.2.1) and Auth (A.2.3) are both pinned"
    );
}
