//! Console identity files for the targets that reach a decoder through one: the plaintext of
//! an identity enrolled with the vectors' coordinator keys (`lifeline::crypto::vectors`),
//! sealed in the real file format at the cheapest cost, as someone who knows the passphrase
//! could write it. Never a real key, never a file on disk.
// Each target that includes it uses some of these helpers, not all.
#![allow(dead_code)]

use lifeline::console::identity::{Identity, IdentityError, KdfParams, MAGIC, MAGIC_V1};
use lifeline::crypto::certificate::Certificate;
use lifeline::crypto::vectors::{coordinator_keys, org_key};
use lifeline::sealed;

/// The passphrase every identity here is sealed under.
pub const PASSPHRASE: &str = "correct horse battery staple";
/// The cheapest cost Argon2 accepts with one lane: 8 KiB, one pass.
pub const CHEAP: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};

/// `signing seed | x25519 secret | alias | organisation | certificate` of the vectors'
/// coordinator holding `certificate` (which must be for its keys), then `tail`: where a
/// grant section goes (`docs/protocol.md` §2.5, `console/identity.rs`).
pub fn enrolled_plaintext(certificate: &Certificate, tail: &[u8]) -> Vec<u8> {
    let (signing, dh) = coordinator_keys();
    let alias = certificate.body().alias.as_bytes();
    let cert = certificate.as_bytes();
    let mut p = signing.seed().to_vec();
    p.extend_from_slice(&dh.to_bytes()[..]);
    p.push(u8::try_from(alias.len()).expect("an alias of at most 64 bytes"));
    p.extend_from_slice(alias);
    p.push(1);
    p.extend_from_slice(&org_key().public().0);
    p.extend_from_slice(
        &u16::try_from(cert.len())
            .expect("a short certificate")
            .to_be_bytes(),
    );
    p.extend_from_slice(cert);
    p.extend_from_slice(tail);
    p
}

/// The identity file text holding `plaintext`, in version 1's layout (the one
/// [`enrolled_plaintext`] builds, which still opens; a rewrite gives version 2).
pub fn seal(plaintext: &[u8]) -> String {
    sealed::seal(MAGIC_V1, plaintext, PASSPHRASE, CHEAP).expect("the cheapest cost seals")
}

/// `plaintext` sealed, then opened through `Identity::open`.
pub fn open(plaintext: &[u8]) -> Result<Identity, IdentityError> {
    Identity::open(&seal(plaintext), PASSPHRASE)
}

/// The plaintext `identity` seals to (what its file holds once rewritten: version 2).
pub fn plaintext_of(identity: &Identity) -> Vec<u8> {
    let text = identity.seal(PASSPHRASE, CHEAP).expect("an identity seals");
    sealed::open(MAGIC, &text, PASSPHRASE)
        .expect("and opens")
        .to_vec()
}
