//! Criterion benchmarks of the crypto core: what one chat, one message, one tip, one
//! receipt and one proof-of-work check cost.
//!
//! `cargo bench --bench crypto` measures; `cargo bench --bench crypto -- --test` runs each
//! benchmark once as a smoke test.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lifeline::crypto::handshake::{CoordinatorHandshake, CoordinatorIdentity, VisitorHandshake};
use lifeline::crypto::keys::DhSecret;
use lifeline::crypto::proof_of_work;
use lifeline::crypto::receipt::ReceiptCode;
use lifeline::crypto::sealed_tip::{self, TipMessage};
use lifeline::crypto::vectors::{
    FixedRng, NOW, SESSION_ID, coordinator_certificate, coordinator_keys, fixed, inbox_key, org_key,
};
use lifeline::crypto::{Plaintext, SessionCipher};
use rand_core::OsRng;

const KIB: usize = 1024;

/// Both sides of one Noise NX handshake with fresh ephemerals, as in a real chat.
fn handshake(c: &mut Criterion) {
    let org = org_key().public();
    let org_fp = org.fingerprint();
    let (sign, static_key) = coordinator_keys();
    let cert = coordinator_certificate();
    let identity = CoordinatorIdentity {
        static_key: &static_key,
        signing_key: &sign,
        certificate: &cert,
    };
    c.bench_function("handshake/full (visitor + coordinator)", |b| {
        b.iter(|| {
            let (visitor, m1) = VisitorHandshake::start(SESSION_ID, org, DhSecret::generate());
            let (m2, coordinator) = CoordinatorHandshake::respond(
                SESSION_ID,
                &org_fp,
                &identity,
                DhSecret::generate(),
                &m1,
            )
            .expect("respond");
            let (visitor, _) = visitor.finish(&m2, NOW, None).expect("finish");
            black_box((visitor, coordinator))
        })
    });
}

fn session_pair() -> (SessionCipher, SessionCipher) {
    let org = org_key().public();
    let (sign, static_key) = coordinator_keys();
    let cert = coordinator_certificate();
    let identity = CoordinatorIdentity {
        static_key: &static_key,
        signing_key: &sign,
        certificate: &cert,
    };
    let (visitor, m1) = VisitorHandshake::start(SESSION_ID, org, DhSecret::generate());
    let (m2, coordinator) = CoordinatorHandshake::respond(
        SESSION_ID,
        &org.fingerprint(),
        &identity,
        DhSecret::generate(),
        &m1,
    )
    .expect("respond");
    let (visitor, _) = visitor.finish(&m2, NOW, None).expect("finish");
    (visitor, coordinator)
}

/// One 1 KiB chat message sealed by one side and opened by the other (it pads to the
/// 4 KiB bucket). Both chains ratchet on every iteration, as in a long conversation.
fn session(c: &mut Criterion) {
    let (mut visitor, mut coordinator) = session_pair();
    let text = "x".repeat(KIB);
    let mut group = c.benchmark_group("session");
    group.throughput(Throughput::Bytes(KIB as u64));
    group.bench_function("encrypt+decrypt 1 KiB", |b| {
        b.iter(|| {
            let envelope = visitor.encrypt_text(black_box(&text)).expect("encrypt");
            let opened = coordinator.decrypt(&envelope).expect("decrypt");
            debug_assert_eq!(opened, Plaintext::Text(text.clone()));
            black_box(opened)
        })
    });
    group.finish();
}

/// A 1 KiB tip sealed to the inbox (HPKE Base) and opened by it.
fn sealed_tip(c: &mut Criterion) {
    let org = org_key().public().fingerprint();
    let inbox = inbox_key();
    let inbox_public = inbox.public();
    let tip = TipMessage {
        reply_key: Some(DhSecret::from_bytes(fixed(0x70)).public()),
        category: Some("labour".into()),
        text: "x".repeat(KIB),
    };
    let mut group = c.benchmark_group("sealed_tip");
    group.throughput(Throughput::Bytes(KIB as u64));
    group.bench_function("seal+open 1 KiB", |b| {
        b.iter(|| {
            let sealed = sealed_tip::seal_tip(&org, &inbox_public, black_box(&tip), &mut OsRng)
                .expect("seal");
            black_box(sealed_tip::open_tip(&org, &inbox, &sealed).expect("open"))
        })
    });
    group.finish();
}

/// The deliberately slow receipt stretch: PBKDF2-HMAC-SHA256 at the real 600,000
/// iterations, then HKDF. Each run takes a noticeable fraction of a second, so few samples.
fn receipt(c: &mut Criterion) {
    let org = org_key().public().fingerprint();
    let code = ReceiptCode::generate(&mut FixedRng::new(&fixed(0xb0)));
    let mut group = c.benchmark_group("receipt");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("derive (600k PBKDF2 iterations)", |b| {
        b.iter(|| black_box(code.derive(black_box(&org))))
    });
    group.bench_function("parse typed code", |b| {
        let typed = code.display().to_lowercase();
        b.iter(|| black_box(ReceiptCode::parse(black_box(&typed)).expect("parse")))
    });
    group.finish();
}

/// What the relay pays to check a visitor's proof-of-work (one SHA-256), and, for scale,
/// what a visitor pays to solve one at a low difficulty.
fn proof_of_work(c: &mut Criterion) {
    let seed = [0x42u8; 16];
    let nonce = proof_of_work::solve(&seed, &SESSION_ID, 12);
    c.bench_function("proof_of_work/verify", |b| {
        b.iter(|| {
            assert!(proof_of_work::verify(
                black_box(&seed),
                black_box(&SESSION_ID),
                black_box(nonce),
                12
            ))
        })
    });
    let mut seeds = 0u8;
    c.bench_function("proof_of_work/solve difficulty 8", |b| {
        b.iter_batched(
            || {
                seeds = seeds.wrapping_add(1);
                [seeds; 16]
            },
            |seed| black_box(proof_of_work::solve(&seed, &SESSION_ID, 8)),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(
    benches,
    handshake,
    session,
    sealed_tip,
    receipt,
    proof_of_work
);
criterion_main!(benches);
