//! Opening sealed tips, follow-ups and replies on arbitrary bytes, and the tip plaintext
//! decoder on arbitrary (authentic) plaintext.
//!
//! Input: `mode u8 | rest`.
//! - Even mode: `rest` is opened as a tip, a follow-up and a reply with the fixed keys of
//!   `lifeline::crypto::vectors`. Only the committed vectors may open; anything else
//!   opening would be a forgery.
//! - Odd mode: `rest` is taken as a padded plaintext, sealed to the inbox exactly as a
//!   hostile tipster could, and opened: this reaches the padding and tip decoders, which
//!   the first mode cannot get past the AEAD tag. Whatever opens must seal and open again
//!   to the same message.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::keys::{DhPublicKey, DhSecret, Fingerprint};
use lifeline::crypto::sealed_tip::{
    TIP_LABEL, hpke_seal, info, open_followup, open_reply, open_tip, seal_tip,
};
use lifeline::crypto::vectors::{self, FixedRng, fixed, inbox_key, org_key};

struct Keys {
    org: Fingerprint,
    inbox: DhSecret,
    inbox_public: DhPublicKey,
    tipster: DhSecret,
    tipster_public: DhPublicKey,
    genuine: Vec<Vec<u8>>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let v = vectors::sealed_tip();
    let tipster = DhSecret::from_bytes(fixed(0x70));
    Keys {
        org: org_key().public().fingerprint(),
        inbox_public: inbox_key().public(),
        inbox: inbox_key(),
        tipster_public: tipster.public(),
        tipster,
        genuine: ["tip", "followup", "reply"]
            .iter()
            .map(|k| unhex(v[k]["sealed"].as_str().expect("hex string")))
            .collect(),
    }
});

fuzz_target!(|data: &[u8]| {
    let k = &*KEYS;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let opened = [
            open_tip(&k.org, &k.inbox, rest).is_ok(),
            open_followup(&k.org, &k.inbox, &k.tipster_public, rest).is_ok(),
            open_reply(&k.org, &k.inbox_public, &k.tipster, rest).is_ok(),
        ];
        for (i, ok) in opened.iter().enumerate() {
            if *ok {
                assert_eq!(rest, &k.genuine[i][..], "a forged sealed message opened");
            }
        }
        return;
    }
    let mut rng = FixedRng::new(&fixed(0x80));
    let sealed = hpke_seal(
        None,
        &k.inbox_public,
        &info(TIP_LABEL, &k.org, &k.inbox_public),
        &[],
        rest,
        &mut rng,
    )
    .expect("sealing to a valid key cannot fail");
    if let Ok(message) = open_tip(&k.org, &k.inbox, &sealed) {
        assert!(message.text.len() < rest.len());
        // Whatever opens obeys the sealing rules, so it can be sealed again.
        let again = seal_tip(&k.org, &k.inbox_public, &message, &mut rng)
            .expect("what opened can be sealed again");
        assert_eq!(
            open_tip(&k.org, &k.inbox, &again).expect("and opened again"),
            message
        );
    }
});
