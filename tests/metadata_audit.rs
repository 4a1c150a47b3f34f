//! The metadata audit, as a test: a scripted "day" of traffic against a real relay, every
//! request carrying a distinctive User-Agent and forwarding headers, then a scan of everything
//! the relay keeps or says about it: its logs at the most verbose level it allows, dumps of
//! the chat store (memory or Redis, by `LIFELINE_TEST_STORE`) taken during and after the day,
//! every file in the data folder (tips, keys), `/metrics`, and on Redis every file Redis
//! wrote (append-only file and snapshot), once the rewrite bound has passed: by then they
//! must hold nothing of the day's sessions either (ids, token hashes, handshakes, frames). Any IP address (IPv4 or IPv6, with or without a port), the
//! user agent, a forwarded value, a receipt code or lookup id, or any text typed during the
//! day fails it.
//!
//! The day: three coordinators on duty (one leaves mid-shift), four visitors (chats both ways,
//! a transfer between coordinators, a dropped connection and a resume, a requeue, an expiry,
//! ends from either side) and a tipster (tip, reply read back with the receipt code, a
//! follow-up read by the coordinator). A second test audits the no-script tip path (`/tip`).

use crate::common;
use crate::noscript;

use common::redis_disk::{DiskRedis, session_secrets, sessions_in};
use common::*;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::tipster::Tipster;
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::crypto::receipt::ReceiptCode;
use lifeline::crypto::sealed_tip;
use lifeline::protocol::frames::PeerEvent;
use lifeline::store::ChatStore;

const AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) MetadataAuditProbe/4.2 Gecko/20100101";
const XFF_V4: &str = "203.0.113.45";
const XFF_V6: &str = "2001:db8:77::45";
const REAL_IP: &str = "198.51.100.23";

fn identifying_headers() -> Vec<(&'static str, String)> {
    vec![
        ("user-agent", AGENT.to_owned()),
        ("x-forwarded-for", format!("{XFF_V4}, {XFF_V6}")),
        ("x-real-ip", REAL_IP.to_owned()),
        (
            "forwarded",
            format!("for={XFF_V4};proto=https, for=\"[{XFF_V6}]\""),
        ),
        ("referer", "https://audit-referrer.example/help".to_owned()),
    ]
}

/// Every distinct text typed during the day, by anyone.
const VISITOR_1: [&str; 2] = [
    "audit v1: he took my passport in March",
    "audit v1: I can talk after ten at night",
];
const COORDINATOR_TO_1: [&str; 2] = [
    "audit c1: you are safe to talk here",
    "audit c1: here is the hotline for your region",
];
const VISITOR_2: [&str; 3] = [
    "audit v2: I work on the farm near the river",
    "audit v2: typed while being handed over",
    "audit v2: thank you Bastien",
];
const COORDINATOR_TO_2: [&str; 2] = [
    "audit c2: passing you to my colleague who speaks Romanian",
    "audit c2: Bastien here, I have your messages",
];
const VISITOR_3: [&str; 2] = [
    "audit v3: the manager listens at the door",
    "audit v3: back again after losing signal",
];
const COORDINATOR_TO_3: [&str; 2] = [
    "audit c3: are you still there",
    "audit c3: written while you were offline",
];
const VISITOR_4: &str = "audit v4: a message to a coordinator who then left";
const TIP_TEXT: &str = "audit tip: twelve workers sleep in the container at the depot";
const TIP_REPLY: &str = "audit reply: we have informed the labour inspectorate";
const TIP_FOLLOWUP: &str = "audit follow-up: they moved them to the other site";

/// The rewrite bound on Redis (`store.redis_rewrite_s`), short for the test.
const REWRITE_BOUND_S: u64 = 2;

async fn coordinator(relay: &TestRelay, serial: u64, alias: &str) -> CoordinatorClient {
    let headers = identifying_headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let mut c = CoordinatorClient::connect_with_headers(
        &relay.coordinator_url(),
        relay.relay.keys.organisation.fingerprint(),
        relay.coordinator_keys(serial, alias),
        &headers,
    )
    .await
    .expect("coordinator connects");
    c.duty(true, 3, &["en", "ro"]).await.expect("duty");
    c.wait_for(|e| matches!(e, CoordinatorEvent::Queue(_)))
        .await
        .expect("queue");
    c
}

async fn visitor(relay: &TestRelay) -> VisitorClient {
    let headers = identifying_headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    relay.visitor_with(&headers).await
}

async fn tip_day(relay: &TestRelay, amara: &mut CoordinatorClient) -> ReceiptCode {
    let headers = identifying_headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let org = relay.relay.keys.organisation.fingerprint();
    let tipster = Tipster::new(&relay.addr.to_string()).with_headers(&headers);
    let (_, FirstTip { code, .. }) =
        file_first_tip(relay, &tipster, TIP_TEXT, Some("labour")).await;

    let id = listed_tips(amara).await[0].id;
    let (sealed, _) = open_tip(amara, id, 0).await;
    let inbox_key = relay.inbox_key();
    let opened = sealed_tip::open_tip(&org, &inbox_key, &sealed).unwrap();
    assert_eq!(opened.text, TIP_TEXT);
    reply_to_tip(relay, amara, id, &opened.reply_key.unwrap(), TIP_REPLY).await;

    // The tipster comes back with the typed code, reads the reply and answers.
    let (reply, again) = read_reply_and_follow_up(relay, &tipster, &code, TIP_FOLLOWUP).await;
    assert_eq!(reply, TIP_REPLY);
    let (_, followups) = open_tip(amara, id, 1).await;
    assert_eq!(
        sealed_tip::open_followup(&org, &inbox_key, &again.tipster_key.public(), &followups[0])
            .unwrap()
            .text,
        TIP_FOLLOWUP
    );
    code
}

#[tokio::test]
async fn a_day_of_traffic_leaves_no_address_header_plaintext_or_receipt_behind() {
    let logs = capture_logs();
    // On Redis: one that persists as production does, rewritten within a short bound.
    let disk = (store_under_test() == "redis").then(|| DiskRedis::start(true));
    let relay = TestRelay::start_with(|c| {
        if let Some(disk) = &disk {
            c.store.redis_url = disk.url.clone();
            c.store.redis_rewrite_s = REWRITE_BOUND_S;
        }
    })
    .await;
    let mut amara = coordinator(&relay, 700, "Amara").await;
    let mut bastien = coordinator(&relay, 701, "Bastien").await;

    // Visitor 1: a chat both ways with Amara.
    let mut v1 = visitor(&relay).await;
    claim_and_connect(&mut amara, &mut v1).await;
    exchange(&mut amara, &mut v1, VISITOR_1[0], COORDINATOR_TO_1[0]).await;
    exchange(&mut amara, &mut v1, VISITOR_1[1], COORDINATOR_TO_1[1]).await;

    // Visitor 2: starts with Amara, transferred to Bastien, typing during the hand-over.
    let mut v2 = visitor(&relay).await;
    claim_and_connect(&mut amara, &mut v2).await;
    exchange(&mut amara, &mut v2, VISITOR_2[0], COORDINATOR_TO_2[0]).await;
    amara.transfer(v2.session, 701).await.unwrap();
    let s2 = v2.session;
    // The visitor is asked first (this client accepts), then told it goes ahead.
    v2.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Transferring)))
        .await
        .unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == s2))
        .await
        .unwrap();
    v2.send_text(VISITOR_2[1]).await.unwrap();
    bastien
        .wait_for(|e| matches!(e, CoordinatorEvent::Claimed { session, .. } if *session == s2))
        .await
        .unwrap();
    assert_eq!(
        v2.wait_for(|e| matches!(e, VisitorEvent::Connected(_)))
            .await
            .unwrap(),
        VisitorEvent::Connected("Bastien".into())
    );
    assert_eq!(next_text_coordinator(&mut bastien).await.1, VISITOR_2[1]);
    bastien.send_text(s2, COORDINATOR_TO_2[1]).await.unwrap();
    assert_eq!(next_text_visitor(&mut v2).await, COORDINATOR_TO_2[1]);
    v2.send_text(VISITOR_2[2]).await.unwrap();
    assert_eq!(next_text_coordinator(&mut bastien).await.1, VISITOR_2[2]);

    // Visitor 3: chats with Bastien, loses signal, Bastien writes meanwhile, it resumes.
    let mut v3 = visitor(&relay).await;
    claim_and_connect(&mut bastien, &mut v3).await;
    exchange(&mut bastien, &mut v3, VISITOR_3[0], COORDINATOR_TO_3[0]).await;
    v3.drop_connection();
    let s3 = v3.session;
    bastien
        .wait_for(|e| {
            matches!(e, CoordinatorEvent::Peer { session, event: PeerEvent::Away } if *session == s3)
        })
        .await
        .unwrap();
    bastien.send_text(s3, COORDINATOR_TO_3[1]).await.unwrap();
    v3.resume().await.unwrap();
    assert_eq!(next_text_visitor(&mut v3).await, COORDINATOR_TO_3[1]);
    v3.send_text(VISITOR_3[1]).await.unwrap();
    assert_eq!(next_text_coordinator(&mut bastien).await.1, VISITOR_3[1]);

    // Visitor 4: claimed by a third coordinator who then leaves; requeued, it idles out.
    let mut chidi = coordinator(&relay, 702, "Chidi").await;
    let mut v4 = visitor(&relay).await;
    claim_and_connect(&mut chidi, &mut v4).await;
    v4.send_text(VISITOR_4).await.unwrap();
    assert_eq!(next_text_coordinator(&mut chidi).await.1, VISITOR_4);
    drop(chidi);
    v4.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .unwrap();

    // The tip line, the same day.
    let code = tip_day(&relay, &mut amara).await;
    let keys_lookup = code
        .derive(&relay.relay.keys.organisation.fingerprint())
        .lookup_id;

    // What the relay holds in the middle of the day.
    let midday_store = relay.relay.store.dump().await;
    assert!(
        !midday_store.is_empty(),
        "the audit must see live sessions in the store"
    );
    let midday_tips = relay.tip_state().await;
    assert!(!midday_tips.is_empty(), "the audit must see tip files");
    assert!(
        midday_tips.contains("Amara"),
        "the audit must see who holds the tip (the reply took it)"
    );

    // Sessions end: by the visitor, by the coordinator, and by expiry.
    v1.end().await.unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == v1.session))
        .await
        .unwrap();
    bastien.end(s2).await.unwrap();
    v2.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Ended)))
        .await
        .unwrap();
    v3.end().await.unwrap();
    bastien
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == s3))
        .await
        .unwrap();
    // The tip is handled: who held and who answered it goes with it.
    let tip = listed_tips(&mut amara).await[0].id;
    amara.close_tip(tip).await.unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.is_empty()))
        .await
        .unwrap();
    relay.relay.store.touch(&v4.session, 0).await.unwrap();
    relay.relay.sweep().await;
    assert_eq!(
        v4.wait_for(|_| false).await.unwrap_err().close_code(),
        Some(4007),
        "the idle session expired"
    );

    let evening_store = relay.relay.store.dump().await;
    let evening_tips = relay.tip_state().await;
    let data_folder = every_file_below(&relay.data_dir);
    // Tips are files on the memory store, Redis keys (in the store dump) on Redis.
    let tips_on_disk = relay.relay.config.store.kind != lifeline::config::StoreKind::Redis;
    assert!(
        data_folder.contains("keys/") && (data_folder.contains("tips/") || !tips_on_disk),
        "the audit must see the whole data folder"
    );
    assert!(!evening_tips.is_empty(), "the audit must see the tips");
    let (status, metrics) =
        lifeline::client::tipster::request(&relay.addr.to_string(), "GET", "/metrics", None, &[])
            .await
            .unwrap();
    assert_eq!(status, 200);
    // Redis's files, once the rewrite bound has passed: nothing of the ended sessions.
    let redis_files = match &disk {
        Some(disk) => {
            let secrets = session_secrets(&midday_store, &sessions_in(&midday_store));
            assert!(
                secrets.len() > 8,
                "the audit must know the sessions' values"
            );
            disk.wait_until_files_forget(
                &secrets,
                std::time::Duration::from_secs(REWRITE_BOUND_S + 8),
            )
            .await
        }
        None => String::new(),
    };
    drop((amara, bastien));
    let _dir = relay.stop().await;

    let log_text = logs.text();
    for event in [
        "visitor session opened",
        "visitor session resumed",
        "coordinator authenticated",
        "session claimed",
        "session transferred",
        "coordinator disconnected",
        "sealed tip received",
        "session ended",
        "expired idle sessions",
    ] {
        assert!(
            log_text.contains(event),
            "the day was logged ({event:?} missing):\n{log_text}"
        );
    }

    let mut forbidden: Vec<String> = vec![
        AGENT.into(),
        "MetadataAuditProbe".into(),
        "Mozilla".into(),
        XFF_V4.into(),
        XFF_V6.into(),
        REAL_IP.into(),
        "audit-referrer".into(),
        "127.0.0.1".into(),
        code.canonical().to_string(),
        code.display().to_string(),
        lifeline::protocol::b64::encode(&keys_lookup),
        lifeline::crypto::keys::hex(&keys_lookup),
    ];
    forbidden.extend(
        VISITOR_1
            .iter()
            .chain(&COORDINATOR_TO_1)
            .chain(&VISITOR_2)
            .chain(&COORDINATOR_TO_2)
            .chain(&VISITOR_3)
            .chain(&COORDINATOR_TO_3)
            .chain(&[VISITOR_4, TIP_TEXT, TIP_REPLY, TIP_FOLLOWUP])
            .map(|s| s.to_string()),
    );
    // Even a fragment of typed text is a leak.
    forbidden.push("audit ".into());

    let mut leaks = leaks_in(
        &[
            ("logs", &log_text),
            ("store at midday", &midday_store),
            ("store in the evening", &evening_store),
            ("tip files at midday", &midday_tips),
            ("tip files in the evening", &evening_tips),
            ("the data folder", &data_folder),
            ("metrics", &metrics),
            ("Redis's files", &redis_files),
        ],
        &forbidden,
    );
    // Coordinators' aliases are for coordinators' frames only: never in the logs nor in the
    // aggregate metrics, and nothing of a handled tip's holder or authors stays.
    for (name, text) in [
        ("logs", &log_text),
        ("metrics", &metrics),
        ("tip files in the evening", &evening_tips),
    ] {
        for alias in ["Amara", "Bastien"] {
            if text.contains(alias) {
                leaks.push(format!("{name} name the coordinator {alias:?}"));
            }
        }
    }
    assert!(leaks.is_empty(), "metadata leaks:\n{}", leaks.join("\n"));
}

/// The no-script path (`/tip`, issue 19): the relay sees the text and the receipt code for
/// an instant, so nothing of either, nor the lookup id, may be left in its logs, its store,
/// its files or its metrics; nor any address or header, as everywhere.
#[tokio::test]
async fn the_no_script_tip_path_leaves_no_text_code_or_lookup_id_behind() {
    const NS_TIP: &str = "noscript audit: the van comes on Tuesdays";
    const NS_REPLY: &str = "noscript audit: thank you, we will look";
    const NS_FOLLOWUP: &str = "noscript audit: it is a white van";
    let logs = capture_logs();
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let headers = identifying_headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let org = relay.relay.keys.organisation.fingerprint();
    let mut amara = coordinator(&relay, 702, "Amara").await;

    let (_, _, token) = noscript::get_form(&addr, "/tip").await;
    let fields = [("token", token.as_str()), ("text", NS_TIP)];
    let (status, receipt) = noscript::post_form(&addr, "/tip", &fields, &headers).await;
    assert_eq!(status, 200);
    let code = ReceiptCode::parse(&noscript::shown_code(&receipt)).expect("code shown");
    let keys = code.derive(&org);
    let id = listed_tips(&mut amara).await[0].id;
    reply_to_tip(&relay, &mut amara, id, &keys.tipster_key.public(), NS_REPLY).await;
    let (_, _, token) = noscript::get_form(&addr, "/tip/replies").await;
    let shown = code.display();
    let fields = [
        ("token", token.as_str()),
        ("code", shown.as_str()),
        ("text", NS_FOLLOWUP),
    ];
    let (status, page) = noscript::post_form(&addr, "/tip/replies", &fields, &headers).await;
    assert_eq!(status, 200);
    assert!(page.contains(NS_REPLY), "the reply was read back");
    let (_, followups) = open_tip(&mut amara, id, 1).await;
    assert_eq!(followups.len(), 1);

    let store = relay.relay.store.dump().await;
    let tips = relay.tip_state().await;
    let data_folder = every_file_below(&relay.data_dir);
    let (_, metrics) = lifeline::client::tipster::request(&addr, "GET", "/metrics", None, &[])
        .await
        .unwrap();
    drop(amara);
    let _dir = relay.stop().await;
    let log_text = logs.text();
    assert!(
        log_text.contains("sealed tip received (no-script path)"),
        "{log_text}"
    );
    assert!(!tips.is_empty(), "the audit must see the tip");

    let mut forbidden: Vec<String> = vec![
        AGENT.into(),
        XFF_V4.into(),
        XFF_V6.into(),
        REAL_IP.into(),
        "audit-referrer".into(),
        "127.0.0.1".into(),
        code.canonical().to_string(),
        code.display().to_string(),
        lifeline::protocol::b64::encode(&keys.lookup_id),
        lifeline::crypto::keys::hex(&keys.lookup_id),
        "noscript audit".into(),
    ];
    forbidden.extend([NS_TIP, NS_REPLY, NS_FOLLOWUP].map(String::from));
    let leaks = leaks_in(
        &[
            ("logs", &log_text),
            ("store", &store),
            ("tips", &tips),
            ("the data folder", &data_folder),
            ("metrics", &metrics),
        ],
        &forbidden,
    );
    assert!(leaks.is_empty(), "metadata leaks:\n{}", leaks.join("\n"));
}

/// Each of `places` (named) that holds a `forbidden` value, as written or encoded (see
/// [`disguises`]), or any IP address: one line per leak, naming the place and what it holds.
fn leaks_in(places: &[(&str, &String)], forbidden: &[String]) -> Vec<String> {
    let mut leaks = Vec::new();
    for (name, text) in places {
        for needle in forbidden {
            for (how, form) in disguises(needle) {
                if text.contains(form.as_str()) {
                    leaks.push(format!("{name} contain {needle:?} ({how})"));
                }
            }
        }
        for address in find_addresses(text) {
            leaks.push(format!("{name} contain the address {address:?}"));
        }
    }
    leaks
}

/// Every file below `dir` (keys, tips, anything else the relay might have written), each
/// as its path and its content (lossy UTF-8).
fn every_file_below(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("data folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out += &every_file_below(&path);
        } else {
            let relative = path
                .strip_prefix(dir.parent().unwrap_or(dir))
                .unwrap_or(&path);
            out += &format!("{}\n", relative.display());
            out += &String::from_utf8_lossy(&std::fs::read(&path).expect("file"));
        }
    }
    out
}

/// The scanner itself: it must find every address form and nothing else, or the audit
/// above proves nothing.
#[test]
fn the_address_scanner_finds_addresses_and_only_addresses() {
    for leak in [
        "peer=127.0.0.1:51234 connected",
        "from 203.0.113.45",
        "addr=[::1]:8080",
        "x ::1 y",
        "client \"2001:db8:77::45\"",
        "for=\"[2001:db8::7]:443\"",
        "mapped ::ffff:192.0.2.1 here",
        "fe80::1%eth0",
    ] {
        assert!(
            !find_addresses(leak).is_empty(),
            "missed an address in {leak:?}"
        );
    }
    for clean in [
        "2026-11-23T10:32:55.123456Z  INFO lifeline::relay::visitor: visitor session opened",
        "lifeline=trace,warn version 0.0.4 and 1.2.3.4.5",
        "ll:{5e5e5e5e}:buffer:c [{\"seq\":1,\"body\":\"q83v-_AA\"}]",
        "# TYPE lifeline_frames_relayed_total counter\nlifeline_frames_relayed_total 42",
        "1.5 seconds, 10:30, Vec::new and fn::new are paths",
    ] {
        assert_eq!(find_addresses(clean), Vec::<String>::new(), "{clean:?}");
    }
}

/// Coordinator resume (§9.6): while a dropped coordinator's conversation is held, the store
/// says only that (the owner's serial and a grace marker), the logs and the frames carry no
/// address or text, and once the conversation ends nothing of the hold is left.
#[tokio::test]
async fn a_held_and_resumed_conversation_leaves_nothing_identifying_and_nothing_after_its_end() {
    let logs = capture_logs();
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 60).await;
    let mut amara = coordinator(&relay, 790, "Amara").await;
    let mut v = visitor(&relay).await;
    let session = v.session;
    let sid = lifeline::crypto::keys::hex(&session.0);
    claim_and_connect(&mut amara, &mut v).await;
    const HELD_UP: &str = "audit hold: written while my coordinator reconnects";
    const HELD_DOWN: &str = "audit hold: back, I have your message";
    amara.wire().cut().await;
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Reconnecting)))
        .await
        .unwrap();
    v.send_text(HELD_UP).await.unwrap();
    let during = relay.visitor_state().await;
    if relay.relay.config.store.kind == lifeline::config::StoreKind::Redis {
        let owner = format!("ll:{{{sid}}}:owner");
        let grace = format!("ll:{{{sid}}}:grace");
        assert!(
            during
                .lines()
                .any(|l| l.starts_with(&owner) && l.contains("h790")),
            "held for serial 790: {during}"
        );
        assert!(during.lines().any(|l| l.starts_with(&grace)), "{during}");
    }
    let headers = identifying_headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let challenge = CoordinatorClient::challenge_with(&relay.coordinator_url(), &headers)
        .await
        .expect("challenge");
    amara.resume_on(challenge).await.expect("resumed");
    assert_eq!(next_text_coordinator(&mut amara).await.1, HELD_UP);
    amara.send_text(session, HELD_DOWN).await.unwrap();
    assert_eq!(next_text_visitor(&mut v).await, HELD_DOWN);
    v.end().await.unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();
    let after = relay.visitor_state().await;
    assert!(
        !after.contains(&sid),
        "nothing of the session after its end: {after}"
    );
    for text in [during.as_str(), after.as_str(), logs.text().as_str()] {
        assert!(
            find_addresses(text).is_empty(),
            "{:?}",
            find_addresses(text)
        );
        for secret in [
            AGENT,
            XFF_V4,
            XFF_V6,
            REAL_IP,
            HELD_UP,
            HELD_DOWN,
            "audit-referrer",
        ] {
            assert!(!text.contains(secret), "{secret} found");
        }
    }
}

/// `needle` as written, and as the store and the files encode bytes: base64url and standard
/// base64 at each of the three alignments it may start at inside a longer value (frames
/// are kept base64url, tips as files of bytes), and hex. A relay that stored a message's
/// words inside a frame's body would hide them from a search for the words alone. Encoded
/// forms of needles under 8 bytes are left out: too short to tell from random ciphertext.
fn disguises(needle: &str) -> Vec<(&'static str, String)> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut forms = vec![("as written", needle.to_owned())];
    let bytes = needle.as_bytes();
    if bytes.len() < 8 {
        return forms;
    }
    for (how, engine) in [
        ("base64url", &URL_SAFE_NO_PAD),
        ("base64", &STANDARD_NO_PAD),
    ] {
        for offset in 0..3 {
            // `offset` bytes before it: the groups that hold only its own bytes are the same
            // whatever came before and after.
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(bytes);
            let encoded = engine.encode(&shifted);
            let first = if offset == 0 { 0 } else { 4 };
            let last = shifted.len() / 3 * 4;
            if last > first {
                forms.push((how, encoded[first..last].to_owned()));
            }
        }
    }
    forms.push(("hex", lifeline::crypto::keys::hex(bytes)));
    forms
}

#[test]
fn the_scan_finds_words_hidden_in_an_encoded_value() {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let words = "Hello, I need help.".to_owned();
    for prefix in ["", "x", "xy", "xyz"] {
        let framed = format!("{prefix}{words} and more after it");
        for stored in [
            URL_SAFE_NO_PAD.encode(&framed),
            STANDARD.encode(&framed),
            lifeline::crypto::keys::hex(framed.as_bytes()),
        ] {
            let place = format!("{{\"body\":\"{stored}\"}}");
            let leaks = leaks_in(&[("store", &place)], std::slice::from_ref(&words));
            assert!(!leaks.is_empty(), "not found in {place}");
        }
    }
    let sealed = URL_SAFE_NO_PAD.encode(lifeline::crypto::keys::random_bytes::<256>());
    let place = format!("{{\"body\":\"{sealed}\"}}");
    assert!(
        leaks_in(&[("store", &place)], &[words]).is_empty(),
        "random bytes hold no words"
    );
}
