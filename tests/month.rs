//! Issue 16 item 8: forty days of operation, lived in seconds on the injected clock, on the
//! store `LIFELINE_TEST_STORE` names (on Redis: two relay nodes sharing one redis-server).
//!
//! Day 0 goes through the real `lifeline keys` binary (organisation key, inbox, three
//! enrolments with the fingerprint check, grants), all sealed under a passphrase. Then,
//! every day: every node restarts on the organisation's production keys; the coordinators
//! sign in from their sealed console identities and the console's shift core says what it
//! would warn; honest visitors (who check the served list as the widget does) chat with
//! Amara; a tipster leaves a tip. The organisation's dated work runs through the library
//! functions `lifeline keys` calls (`lifeline::keys_tool`, `grants::grant_inbox_at`) on the
//! test's clock: the list re-signed weekly, Amara renewed to new keys on day 10 (on her
//! live connection; her old certificate is refused on every node afterwards) and for the
//! same keys whenever her console warns, Bo revoked on day 12 while chatting (cut off on every
//! node within seconds, his visitor requeued to Amara), the inbox rotated on day 20 (every
//! coordinator granted the old and the new key; every node adopts the new certificate
//! within seconds and serves the retired one in `/v1/config`; tips from day 21 on are sealed
//! to it). Chen ignores his warnings and is
//! locked out on day 21, which proves the warning rule is checked, not assumed.
//!
//! Asserted: no honest visitor refused on any day; nobody locked out without three days of
//! console warnings first; tips sealed before the rotation open after it, and on the last
//! day every tip within retention opens, sealed to either key; the
//! relay never warned of a stale list; and no file the tooling, the consoles or the relays
//! wrote holds a private key unsealed (`common/key_scan.rs` says what that means per format,
//! and the scan is itself tested on planted keys).

use crate::common;
use crate::key_scan;
use crate::keys_tool as keys_binary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use keys_binary::{keys, last_line, printed};
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::reach::Reach;
use lifeline::client::tipster::Tipster;
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::clock::Clock;
use lifeline::config::{Config, StoreKind};
use lifeline::console::identity::{Identity, KdfParams};
use lifeline::console::lock::PassphraseLock;
use lifeline::console::resources::Resources;
use lifeline::console::shift::{Me, Notice, Settings, Shift};
use lifeline::crypto::certificate::{Certificate, RevocationList};
use lifeline::crypto::keys::{DhSecret, OrgPublicKey, SigningKey};
use lifeline::crypto::receipt::{ReceiptCode, ReceiptKeys};
use lifeline::crypto::sealed_tip;
use lifeline::grants::{self, Opener};
use lifeline::inbox_keys::Retention;
use lifeline::keyfile::{self, KeyPaths};
use lifeline::protocol::frames::{ConversationKind, PeerEvent};
use lifeline::protocol::{TipId, b64};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

const DAY: u64 = 86_400;
const DAYS: u64 = 40;
const ORG_PASSPHRASE: &str = "organisation passphrase, kept offline";
const CONSOLE_PASSPHRASE: &str = "a coordinator's own passphrase";
/// The widget's maximum list age (the relay's default `widget.revocations_max_age_days`).
const MAX_AGE_S: u64 = 30 * DAY;
/// Identities are sealed cheaply here: the scan checks that they are sealed, not the cost.
const CHEAP: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};

/// The organisation's offline key folder, and its key opened once for the dated work.
struct Organisation {
    paths: KeyPaths,
    passphrase_file: PathBuf,
    key: SigningKey,
    public: OrgPublicKey,
}

impl Organisation {
    fn opener(&self) -> Opener {
        Opener(Some(Zeroizing::new(ORG_PASSPHRASE.to_owned())))
    }

    /// What the organisation copies to a relay node: the retired inbox certificates (the
    /// `.cert` files of `keys/inbox/`, never its sealed keys), the inbox certificate and the
    /// list. The retired ones go first: a node reads its folder again when `inbox.cert`
    /// changes.
    fn copy_public_files_to(&self, node_dir: &Path) {
        let to = KeyPaths::new(node_dir);
        std::fs::create_dir_all(to.kept_inbox_folder()).expect("keys folders");
        let kept = std::fs::read_dir(self.paths.kept_inbox_folder())
            .into_iter()
            .flatten();
        for file in kept.map(|entry| entry.expect("entry").path()) {
            if file.extension().is_some_and(|e| e == "cert") {
                let name = file.file_name().expect("a file name");
                std::fs::copy(&file, to.kept_inbox_folder().join(name)).expect("retired cert");
            }
        }
        std::fs::copy(self.paths.inbox_certificate(), to.inbox_certificate()).expect("cert");
        self.copy_list_to(node_dir);
    }

    fn copy_list_to(&self, node_dir: &Path) {
        std::fs::copy(
            self.paths.revocations(),
            KeyPaths::new(node_dir).revocations(),
        )
        .expect("list copied");
    }

    fn list(&self) -> Vec<u8> {
        keyfile::read_key(&self.paths.revocations()).expect("list")
    }
}

/// A coordinator: their sealed console identity, and what the month did to them.
struct Coordinator {
    alias: &'static str,
    identity: PathBuf,
    serial: u64,
    /// The node they sign in on.
    node: usize,
    /// Days their console warned that the certificate expires soon.
    warned: BTreeSet<u64>,
    /// Days their sign-in was refused, with the close code.
    refused: BTreeMap<u64, Option<u16>>,
    revoked_on: Option<u64>,
}

impl Coordinator {
    fn open(&self) -> Identity {
        Identity::read_file(&self.identity, CONSOLE_PASSPHRASE).expect("identity opens")
    }
}

/// Day 0, through the binary: the organisation key, the inbox, and each coordinator's
/// identity, enrolment (fingerprint read out and checked) and grant.
fn day_zero(folder: &Path) -> (Organisation, Vec<Coordinator>) {
    let dir = folder.join("org-keys");
    let passphrase_file = folder.join("passphrase");
    std::fs::write(&passphrase_file, format!("{ORG_PASSPHRASE}\n")).expect("passphrase");
    let public_key = last_line(keys(&passphrase_file, &dir, &["init-organisation"]));
    let public = OrgPublicKey(
        b64::decode(&public_key)
            .and_then(|k| k.try_into().ok())
            .expect("public key"),
    );
    printed(keys(&passphrase_file, &dir, &["create-inbox"]));
    let paths = KeyPaths { dir };
    let key = keyfile::read_signing_key_with(&paths.organisation_key(), Some(ORG_PASSPHRASE))
        .expect("organisation key");
    let org = Organisation {
        paths,
        passphrase_file,
        key,
        public,
    };
    let consoles = folder.join("consoles");
    let people = [("Amara", 14, 0), ("Bo", 14, 1), ("Chen", 21, 1)];
    let coordinators = people
        .into_iter()
        .map(|(alias, days, node)| enrol(&org, &consoles, alias, days, node))
        .collect();
    (org, coordinators)
}

fn enrol(
    org: &Organisation,
    consoles: &Path,
    alias: &'static str,
    days: u64,
    node: usize,
) -> Coordinator {
    let path = consoles.join(alias).join("console.identity");
    let mut identity = Identity::generate(alias).expect("identity");
    identity
        .create_file(&path, CONSOLE_PASSPHRASE, CHEAP)
        .expect("sealed identity");
    let request = identity.enrolment_request().expect("request");
    let heard = identity.short_fingerprint();
    let days = days.to_string();
    let enrol = ["enrol", "--request", &request, "--fingerprint", &heard];
    let certificate = last_line(keys(
        &org.passphrase_file,
        &org.paths.dir,
        &[&enrol[..], &["--days", &days]].concat(),
    ));
    identity
        .install_certificate(&certificate, org.public, Clock::system().unix_s())
        .expect("installed");
    let serial = identity.certificate().expect("enrolled").body().serial;
    let to = serial.to_string();
    printed(keys(
        &org.passphrase_file,
        &org.paths.dir,
        &["grant-inbox", "--to", &to],
    ));
    import_grant(org, &mut identity, serial);
    identity
        .write_file(&path, CONSOLE_PASSPHRASE, CHEAP)
        .expect("identity written");
    Coordinator {
        alias,
        identity: path,
        serial,
        node,
        warned: BTreeSet::new(),
        refused: BTreeMap::new(),
        revoked_on: None,
    }
}

fn import_grant(org: &Organisation, identity: &mut Identity, serial: u64) {
    let grant = grants::read_grant(&org.paths.grant(serial)).expect("grant file");
    identity.import_grant(&grant).expect("grant opens");
}

/// The organisation grants `c` the inbox keys again (sealed to the key it certified last),
/// and `c`'s console imports the grant into `identity` and rewrites its sealed file.
fn grant_again(org: &Organisation, c: &Coordinator, mut identity: Identity, clock: &Clock) {
    grants::grant_inbox_at(
        &org.opener(),
        &org.paths,
        c.serial,
        14,
        Retention::DEFAULT,
        clock,
    )
    .expect("granted");
    import_grant(org, &mut identity, c.serial);
    identity
        .write_file(&c.identity, CONSOLE_PASSPHRASE, CHEAP)
        .expect("identity rewritten");
}

/// The relay nodes of the deployment, on one clock.
struct Deployment {
    clock: Clock,
    organisation_public: String,
    redis: Option<RedisServer>,
    dirs: Vec<tempfile::TempDir>,
    /// Each node's address, kept across restarts.
    listen: Vec<String>,
    nodes: Vec<TestRelay>,
}

impl Deployment {
    fn new(org: &Organisation, clock: Clock) -> Self {
        let redis = (store_under_test() == "redis").then(RedisServer::start);
        let count = if redis.is_some() { 2 } else { 1 };
        let dirs: Vec<tempfile::TempDir> = (0..count)
            .map(|_| tempfile::tempdir().expect("node folder"))
            .collect();
        for dir in &dirs {
            org.copy_public_files_to(dir.path());
        }
        Self {
            clock,
            organisation_public: b64::encode(&org.public.0),
            redis,
            dirs,
            listen: vec!["127.0.0.1:0".into(); count],
            nodes: Vec::new(),
        }
    }

    async fn start(&mut self) {
        for (i, dir) in self.dirs.iter().enumerate() {
            let organisation = self.organisation_public.clone();
            let redis = self.redis.as_ref().map(|r| r.url.clone());
            let adjust = move |c: &mut Config| {
                c.keys.organisation_public = organisation;
                if let Some(url) = redis {
                    c.store.kind = StoreKind::Redis;
                    c.store.redis_url = url;
                }
            };
            let node = TestRelay::start_clocked(
                dir.path().to_path_buf(),
                &self.listen[i],
                self.clock.clone(),
                adjust,
            )
            .await;
            self.listen[i] = node.addr.to_string();
            self.nodes.push(node);
        }
    }

    async fn stop(&mut self) {
        for node in self.nodes.drain(..) {
            node.stop().await;
        }
    }
}

/// What `node` serves in `/v1/config`.
async fn served_config(node: &TestRelay) -> serde_json::Value {
    let addr = node.addr.to_string();
    let (status, body) = lifeline::client::tipster::request(&addr, "GET", "/v1/config", None, &[])
        .await
        .expect("config");
    assert_eq!(status, 200);
    serde_json::from_str(&body).expect("json")
}

/// The bytes of the list `node` serves in `/v1/config`.
async fn served_list(node: &TestRelay) -> Vec<u8> {
    let v = served_config(node).await;
    b64::decode(v["revocations"].as_str().expect("list")).expect("b64")
}

/// Waits until every node serves `list` (a restarted node takes the newest within seconds).
async fn all_serve(nodes: &[TestRelay], list: &[u8], day: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for node in nodes {
        while served_list(node).await != list {
            assert!(
                tokio::time::Instant::now() < deadline,
                "day {day}: node {} never served the newest list",
                node.addr
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A visitor as the widget behaves: the served list must verify under the pinned key and be
/// younger than the maximum age, then the chat opens. Any refusal fails the month.
async fn honest_visitor(node: &TestRelay, org: OrgPublicKey, day: u64) -> VisitorClient {
    let clock = &node.relay.clock;
    let list = served_list(node).await;
    if let Err(e) = RevocationList::decode_verified(&list, &org, clock.unix_s(), Some(MAX_AGE_S)) {
        panic!("day {day}: a widget would refuse the served list: {e}");
    }
    VisitorClient::connect(
        &node.visitor_url(),
        org,
        ConversationKind::Chat,
        Some("en"),
        Reach {
            clock: clock.clone(),
            ..Reach::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("day {day}: an honest visitor was refused: {e}"))
}

/// What the console's shift core shows at sign-in: the days left when it warns.
fn console_warning(c: &Coordinator, not_after: u64, now: u64) -> Option<u64> {
    let me = Me {
        alias: c.alias.into(),
        serial: c.serial,
        not_after,
    };
    let lock = PassphraseLock::with_cost(CONSOLE_PASSPHRASE, 64, 1);
    let mut shift = Shift::new(
        me,
        Settings::default(),
        lock,
        Resources::default(),
        None,
        std::time::Instant::now(),
    );
    shift.wall_clock(now);
    match shift.status {
        Notice::CertificateExpiring { days_left } => Some(days_left),
        _ => None,
    }
}

/// Signs `c` in from their identity; records a console warning or a refusal.
async fn sign_in(
    c: &mut Coordinator,
    node: &TestRelay,
    org: &Organisation,
    day: u64,
) -> Option<CoordinatorClient> {
    let files = c.open().coordinator_files().expect("enrolled");
    match CoordinatorClient::connect(&node.coordinator_url(), org.public.fingerprint(), files).await
    {
        Ok(client) => {
            if console_warning(c, client.not_after, node.relay.clock.unix_s()).is_some() {
                c.warned.insert(day);
            }
            Some(client)
        }
        Err(e) => {
            c.refused.insert(day, e.close_code());
            None
        }
    }
}

/// The renewal as a coordinator lives it: the console prints a request (for new keys with
/// `new_keys`, kept sealed in the identity until certified), the organisation renews and
/// grants again, the console installs both into its sealed identity, and the certificate
/// (with the new keys) goes on the live connection without a sign-out.
async fn renew_from_console(
    c: &Coordinator,
    client: &mut CoordinatorClient,
    org: &Organisation,
    clock: &Clock,
    new_keys: bool,
) {
    let mut identity = c.open();
    let request = if new_keys {
        let asked = identity.new_keys_request().expect("new keys request");
        identity
            .write_file(&c.identity, CONSOLE_PASSPHRASE, CHEAP)
            .expect("identity written with the new keys waiting");
        asked.request
    } else {
        identity.renewal_request().expect("renewal request")
    };
    let renewed = lifeline::keys_tool::renew(&org.key, &org.paths, &request, 14, clock)
        .expect("renewed by the organisation");
    assert_eq!(renewed.new_keys, new_keys);
    let certificate = renewed.certificate;
    identity
        .install_certificate(
            &b64::encode(certificate.as_bytes()),
            org.public,
            clock.unix_s(),
        )
        .expect("installed");
    let keys = identity.coordinator_files().expect("enrolled");
    grant_again(org, c, identity, clock);
    client.renew_to(keys).await.expect("renewal sent");
    let expected = CoordinatorEvent::Renewed {
        not_after: certificate.body().not_after,
    };
    let got = client
        .wait_for(|e| matches!(e, CoordinatorEvent::Renewed { .. }))
        .await
        .expect("renewed on the live connection");
    assert_eq!(got, expected);
}

/// A tip left on `node` for day `day`, sealed to the inbox certificate the node serves,
/// filed under `lookup` (a receipt's) or a random lookup id.
async fn leave_tip(node: &TestRelay, day: u64, lookup: Option<[u8; 32]>) -> TipId {
    let org = node.relay.keys.organisation.fingerprint();
    let inbox = node.relay.inbox_certificate().body().x25519_public;
    let tip = plain_tip(&format!("tip of day {day}"));
    let sealed = sealed_tip::seal_tip(&org, &inbox, &tip, &mut OsRng).expect("sealed");
    // The lookup id only files the tip; a random one spares forty slow receipt derivations.
    let lookup = lookup.unwrap_or_else(|| {
        let mut random = [0u8; 32];
        OsRng.fill_bytes(&mut random);
        random
    });
    Tipster::new(&node.addr.to_string())
        .submit(lookup, sealed)
        .await
        .unwrap_or_else(|e| panic!("day {day}: a tip was refused: {e}"))
}

/// Day 19: a tipster leaves a tip with a receipt, and Amara replies, sealed from the inbox
/// key in use (the one day 20 retires). Returns the tipster's receipt keys.
async fn tip_answered_before_the_rotation(
    node: &TestRelay,
    amara: &Coordinator,
    client: &mut CoordinatorClient,
    now: u64,
) -> ReceiptKeys {
    let org = node.relay.keys.organisation.fingerprint();
    let receipt = ReceiptCode::generate(&mut OsRng).derive(&org);
    let id = leave_tip(node, 19, Some(receipt.lookup_id)).await;
    let inbox = amara.open().inbox_keys(now).swap_remove(0);
    let reply = plain_tip("a reply sealed before the rotation");
    let tipster = receipt.tipster_key.public();
    let sealed = sealed_tip::seal_reply(&org, &inbox, &tipster, &reply, &mut OsRng).expect("seal");
    client.reply_tip(id, sealed).await.expect("reply");
    client
        .wait_for(|e| matches!(e, CoordinatorEvent::Tips(t) if t.iter().any(|t| t.id == id && t.replies == 1)))
        .await
        .expect("reply listed");
    receipt
}

/// After the rotation the tipster reads that reply: it opens under a retired certificate
/// the node serves in `/v1/config`, not under the current one.
async fn tipster_reads_the_reply_after_the_rotation(node: &TestRelay, receipt: &ReceiptKeys) {
    let org = node.relay.keys.organisation.fingerprint();
    let replies = Tipster::new(&node.addr.to_string())
        .replies(receipt.lookup_id)
        .await
        .expect("replies");
    assert_eq!(replies.len(), 1);
    let opens = |inbox: &lifeline::crypto::keys::DhPublicKey| {
        sealed_tip::open_reply(&org, inbox, &receipt.tipster_key, &replies[0]).ok()
    };
    assert!(opens(&node.relay.inbox_certificate().body().x25519_public).is_none());
    let served = served_config(node).await;
    let opened = served["previous_inbox_certificates"]
        .as_array()
        .expect("previous_inbox_certificates")
        .iter()
        .filter_map(|c| b64::decode(c.as_str()?))
        .filter_map(|c| Certificate::decode(&c).ok())
        .find_map(|c| opens(&c.body().x25519_public))
        .expect("the reply opens under a retired certificate");
    assert_eq!(opened.text, "a reply sealed before the rotation");
}

/// Opens each tip with the inbox keys the coordinator's identity was granted.
async fn assert_tips_open(
    c: &Coordinator,
    client: &mut CoordinatorClient,
    org: &Organisation,
    tips: &[(u64, TipId)],
    now: u64,
) {
    let keys = c.open().inbox_keys(now);
    assert!(!keys.is_empty(), "{} holds no inbox key on {now}", c.alias);
    let org = org.public.fingerprint();
    for (day, id) in tips {
        let (sealed, _) = open_tip(client, *id, 0).await;
        let opened = keys
            .iter()
            .find_map(|k: &DhSecret| sealed_tip::open_tip(&org, k, &sealed).ok())
            .unwrap_or_else(|| panic!("the tip of day {day} no longer opens"));
        assert_eq!(opened.text, format!("tip of day {day}"));
    }
}

/// Day 20: the inbox is rotated as operations.md says: `rotate-inbox` (a new key and
/// certificate, the old key kept sealed), a new grant for every coordinator still enrolled
/// (it carries the old key, retired within retention, and the new one), imported into their
/// identities, and then the new `inbox.cert` copied to every node. The nodes adopt it within
/// 2 s; from day 21 on, tips are sealed to it. Returns the new inbox public key.
async fn rotate_inbox_on_day_20(
    org: &Organisation,
    people: &[Coordinator],
    d: &Deployment,
    clock: &Clock,
) -> lifeline::crypto::keys::DhPublicKey {
    let retired = b64::encode(&keyfile::read_key(&org.paths.inbox_certificate()).expect("cert"));
    let rotated = lifeline::inbox_keys::rotate_inbox(&org.opener(), &org.paths, 365, clock)
        .expect("inbox rotated");
    for c in people.iter().filter(|c| c.revoked_on.is_none()) {
        grant_again(org, c, c.open(), clock);
    }
    let amara = people[0].open().inbox_keys(clock.unix_s());
    assert_eq!(
        amara.len(),
        2,
        "the grant carries the old and the new inbox key"
    );
    for dir in &d.dirs {
        org.copy_public_files_to(dir.path());
    }
    let new_public = rotated.certificate.body().x25519_public;
    for node in &d.nodes {
        let adopted = async {
            while node.relay.inbox_certificate().body().x25519_public != new_public {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), adopted)
            .await
            .expect("every node serves the rotated inbox certificate within seconds");
    }
    // Every node serves the retired certificate in `/v1/config`: a tipster's browser checks
    // replies sealed before the rotation against it.
    for node in &d.nodes {
        let served = served_config(node).await;
        let previous = served["previous_inbox_certificates"]
            .as_array()
            .expect("previous_inbox_certificates");
        assert!(
            previous
                .iter()
                .any(|c| c.as_str() == Some(retired.as_str())),
            "node {} does not serve the retired inbox certificate: {previous:?}",
            node.addr
        );
    }
    new_public
}

/// Day 12: Bo is revoked mid-chat; the list is copied to one node only.
async fn revoke_bo(
    bo: &mut Coordinator,
    bo_client: &mut CoordinatorClient,
    amara: &mut CoordinatorClient,
    d: &Deployment,
    org: &Organisation,
) {
    let node = &d.nodes[bo.node % d.nodes.len()];
    bo_client.duty(true, 1, &["en"]).await.expect("duty");
    let mut visitor = honest_visitor(node, org.public, 12).await;
    assert_eq!(claim_and_connect(bo_client, &mut visitor).await, "Bo");
    round_trip(bo_client, &mut visitor, "day 12, before").await;

    lifeline::keys_tool::revoke(&org.key, &org.paths, &[bo.serial], &d.clock).expect("revoked");
    let started = std::time::Instant::now();
    org.copy_list_to(d.dirs[0].path());
    assert_eq!(cut_off(bo_client).await, Some(4006), "Bo cut off");
    all_serve(&d.nodes, &org.list(), 12).await;
    let mut queued = false;
    for _ in 0..100 {
        queued = is_queued(&d.nodes[0], &visitor.session).await;
        if queued {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(queued, "Bo's visitor is back in the queue");
    println!(
        "day 12: Bo cut off and every node serving the new list after {:?}",
        started.elapsed()
    );
    // The visitor hears that Bo left (and sends a fresh handshake), then Amara answers.
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .expect("the visitor is told Bo left");
    assert_eq!(claim_requeued(amara, &mut visitor).await, "Amara");
    round_trip(amara, &mut visitor, "day 12, after").await;
    bo.revoked_on = Some(12);
    for node in &d.nodes {
        let files = bo.open().coordinator_files().expect("enrolled");
        let again =
            CoordinatorClient::connect(&node.coordinator_url(), org.public.fingerprint(), files)
                .await;
        assert_eq!(
            again.err().and_then(|e| e.close_code()),
            Some(4006),
            "Bo refused on node {}",
            node.addr
        );
    }
}

/// The private keys the test knows, to look for in every file.
fn known_secrets(org: &Organisation, coordinators: &[Coordinator]) -> Vec<(String, [u8; 32])> {
    let inbox = keyfile::read_dh_secret_with(&org.paths.inbox_key(), Some(ORG_PASSPHRASE))
        .expect("inbox key");
    let mut known = vec![
        ("the organisation key".to_owned(), *org.key.seed()),
        ("the inbox key".to_owned(), *inbox.to_bytes()),
    ];
    for c in coordinators {
        let files = c.open().coordinator_files().expect("enrolled");
        known.push((format!("{}'s signing key", c.alias), *files.signing.seed()));
        known.push((format!("{}'s X25519 key", c.alias), *files.dh.to_bytes()));
    }
    known
}

#[tokio::test]
async fn forty_days_of_operation_on_the_injected_clock() {
    let began = std::time::Instant::now();
    let logs = capture_logs();
    let folder = tempfile::tempdir().expect("folder");
    let (org, mut people) = day_zero(folder.path());
    // Day 0 starts a minute after the enrolments (the tool signs on the system clock), so
    // day N is always a little past N days after them: a certificate for D days has ended
    // by day D's sign-in, and its console warned on the three days before.
    let clock = Clock::manual(Clock::system().unix_s() + 60);
    let mut d = Deployment::new(&org, clock.clone());
    let mut tips: Vec<(u64, TipId)> = Vec::new();
    let mut visitors_served = 0;
    let mut rotated_to = None;
    let mut retired_keys: Vec<(String, [u8; 32])> = Vec::new();
    let mut answered = None;

    for day in 0..DAYS {
        if day > 0 && day % 7 == 0 {
            lifeline::keys_tool::republish(&org.key, &org.paths, &clock).expect("re-signed");
            org.copy_list_to(d.dirs[0].path());
        }
        d.start().await;
        all_serve(&d.nodes, &org.list(), day).await;
        for node in &d.nodes {
            let (status, body) = lifeline::client::tipster::request(
                &node.addr.to_string(),
                "GET",
                "/readyz",
                None,
                &[],
            )
            .await
            .expect("readyz");
            assert_eq!(status, 200, "day {day}: {body}");
            assert!(node.relay.revocations_seconds_left() > (MAX_AGE_S - 7 * DAY) as i64);
        }

        let mut clients = Vec::new();
        for c in people.iter_mut() {
            clients.push(sign_in(c, &d.nodes[c.node % d.nodes.len()], &org, day).await);
        }
        let [amara_client, bo_client, _chen_client] = &mut clients[..] else {
            unreachable!()
        };
        let amara = amara_client
            .as_mut()
            .unwrap_or_else(|| panic!("day {day}: Amara locked out"));
        amara.duty(true, 4, &["en"]).await.expect("duty");
        amara
            .wait_for(|e| matches!(e, CoordinatorEvent::Queue(_)))
            .await
            .expect("queue");
        if day == 10 {
            // Day 10 renews to new keys: the old certificate, though unexpired, no longer
            // signs in on any node, and the old keys must not lie unsealed anywhere.
            let old = people[0].open().coordinator_files().expect("enrolled");
            renew_from_console(&people[0], amara, &org, &clock, true).await;
            for node in &d.nodes {
                let again = CoordinatorClient::connect(
                    &node.coordinator_url(),
                    org.public.fingerprint(),
                    old.copy(),
                )
                .await;
                assert_eq!(
                    again.err().and_then(|e| e.close_code()),
                    Some(4006),
                    "the superseded certificate signed in on node {}",
                    node.addr
                );
            }
            retired_keys.push(("Amara's old signing key".into(), *old.signing.seed()));
            retired_keys.push(("Amara's old X25519 key".into(), *old.dh.to_bytes()));
        } else if people[0].warned.contains(&day) {
            renew_from_console(&people[0], amara, &org, &clock, false).await;
        }

        for node in &d.nodes {
            let mut visitor = honest_visitor(node, org.public, day).await;
            assert_eq!(claim_and_connect(amara, &mut visitor).await, "Amara");
            round_trip(amara, &mut visitor, &format!("day {day}")).await;
            visitor.end().await.expect("visitor leaves");
            visitors_served += 1;
            tips.push((day, leave_tip(node, day, None).await));
        }

        if day == 12 {
            let bo_client = bo_client
                .as_mut()
                .expect("Bo signed in before his revocation");
            revoke_bo(&mut people[1], bo_client, amara, &d, &org).await;
        }
        if day == 19 {
            let now = clock.unix_s();
            answered =
                Some(tip_answered_before_the_rotation(&d.nodes[0], &people[0], amara, now).await);
        }
        if day == 21 {
            let receipt = answered.as_ref().expect("a tip answered on day 19");
            for node in &d.nodes {
                tipster_reads_the_reply_after_the_rotation(node, receipt).await;
            }
        }
        if day == 20 {
            rotated_to = Some(rotate_inbox_on_day_20(&org, &people, &d, &clock).await);
            let before: Vec<_> = tips.iter().filter(|(t, _)| *t < 20).copied().collect();
            assert_tips_open(&people[0], amara, &org, &before, clock.unix_s()).await;
        }
        if day == DAYS - 1 {
            // Every node still serves the rotated inbox certificate after its restarts.
            for node in &d.nodes {
                assert_eq!(
                    Some(node.relay.inbox_certificate().body().x25519_public),
                    rotated_to,
                    "the rotated inbox certificate outlives the restarts"
                );
            }
            // Tips within retention (30 days) all still open on the last day.
            let recent: Vec<_> = tips
                .iter()
                .filter(|(t, _)| *t + 28 > day)
                .copied()
                .collect();
            assert_tips_open(&people[0], amara, &org, &recent, clock.unix_s()).await;
        }
        drop(clients);
        d.stop().await;
        clock.advance(Duration::from_secs(DAY));
    }

    // No honest visitor refused (each would have failed its day), and all were served.
    assert_eq!(visitors_served, DAYS as usize * d.dirs.len());
    // Bo: refused every day after his revocation, and never before.
    let bo = &people[1];
    assert_eq!(
        bo.refused.keys().copied().collect::<Vec<_>>(),
        (13..DAYS).collect::<Vec<_>>(),
        "Bo refused exactly from the day after his revocation"
    );
    // Nobody locked out without three days of console warnings first.
    let mut lockouts = 0;
    for c in people.iter().filter(|c| c.revoked_on.is_none()) {
        let first = c.refused.keys().next().copied();
        if let Some(first) = first {
            lockouts += 1;
            let warned: Vec<u64> = c
                .warned
                .range(first.saturating_sub(3)..first)
                .copied()
                .collect();
            assert_eq!(
                warned,
                vec![first - 3, first - 2, first - 1],
                "{} locked out on day {first} after warnings on {:?}",
                c.alias,
                c.warned
            );
            assert_eq!(c.refused[&first], Some(4006));
        }
    }
    assert!(
        people[0].refused.is_empty(),
        "Amara, who renews, never locked out"
    );
    assert_eq!(
        people[2].refused.keys().next(),
        Some(&21),
        "Chen, who ignored his warnings, is locked out when his certificate ends"
    );
    assert_eq!(lockouts, 1);
    // The weekly re-signing kept every list young: the relay never warned nor refused one.
    let logged = logs.text();
    assert!(
        !logged.contains("within 7 days of its maximum age"),
        "{logged}"
    );
    assert!(!logged.contains("revocation list refused"), "{logged}");

    // No private key lies unsealed in anything the tooling, the consoles or the relays wrote.
    let mut known = known_secrets(&org, &people);
    known.extend(retired_keys);
    let mut roots: Vec<&Path> = vec![folder.path()];
    roots.extend(d.dirs.iter().map(|t| t.path()));
    let found = key_scan::unsealed_keys(&roots, &known);
    assert!(found.is_empty(), "unsealed keys: {found:#?}");
    // The scan saw what the month wrote: the sealed keys, each identity and each grant.
    let scanned = key_scan::files_under(&roots);
    let seen = |name: &str| scanned.iter().filter(|f| f.ends_with(name)).count();
    assert_eq!(seen("organisation.key") + seen("inbox.key"), 2);
    assert_eq!(seen("console.identity"), people.len());
    let grants = scanned
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "grant"));
    assert_eq!(grants.count(), people.len());
    assert_eq!(seen("revocations.list"), 1 + d.dirs.len());
    println!(
        "forty days on the {} store in {:?}",
        store_under_test(),
        began.elapsed()
    );
}

#[test]
fn the_key_scan_finds_planted_plaintext_keys_and_passes_sealed_and_public_files() {
    use lifeline::crypto::inbox_grant;
    let folder = tempfile::tempdir().expect("folder");
    let dir = folder.path();
    let clock = Clock::system();
    let org = SigningKey::generate();
    let paths = KeyPaths {
        dir: dir.to_path_buf(),
    };
    keyfile::write_sealed_key(
        &paths.organisation_key(),
        org.seed(),
        "a passphrase here",
        CHEAP,
    )
    .expect("sealed key");
    let identity = Identity::generate("Scan").expect("identity");
    identity
        .create_file(&dir.join("console.identity"), "a passphrase here", CHEAP)
        .expect("identity");
    keyfile::publish_revocations(&org, &paths, &[4], None, &clock).expect("list");
    keyfile::create_inbox(&org, &paths, 1, 30, &clock).expect("inbox");
    let inbox = keyfile::read_dh_secret(&paths.inbox_key()).expect("inbox key");
    std::fs::remove_file(paths.inbox_key()).expect("only the certificate stays");
    let coordinator =
        keyfile::CoordinatorFiles::issue(&org, 5, "Scan", 1, &clock).expect("certificate");
    keyfile::write_key(
        &paths.issued_certificate(5),
        coordinator.certificate.as_bytes(),
    )
    .expect("certificate file");
    let grant = inbox_grant::seal(
        &org.public().fingerprint(),
        &coordinator.certificate.body().x25519_public,
        5,
        clock.unix_s() + DAY,
        &[(&inbox, clock.unix_s() + DAY)],
        &mut OsRng,
    )
    .expect("grant");
    std::fs::create_dir_all(dir.join("grants")).expect("grants");
    std::fs::write(
        paths.grant(5),
        format!("{}\n{}\n", grants::GRANT_MAGIC, b64::encode(&grant)),
    )
    .expect("grant file");
    let known = vec![
        ("the organisation key".to_owned(), *org.seed()),
        ("the inbox key".to_owned(), *inbox.to_bytes()),
    ];
    assert_eq!(
        key_scan::unsealed_keys(&[dir], &known),
        Vec::<String>::new(),
        "sealed keys, identities, grants, certificates and lists pass"
    );

    // Planted: our plain key format, a known key in hex inside JSON, a PEM private key, and
    // a plain key behind a sealed file's first line.
    keyfile::write_key(
        &dir.join("planted.key"),
        &DhSecret::generate().to_bytes()[..],
    )
    .expect("plain key");
    let hex: String = org.seed().iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(dir.join("notes.json"), format!("{{\"backup\":\"{hex}\"}}")).expect("json");
    let pem = rcgen::KeyPair::generate()
        .expect("key pair")
        .serialize_pem();
    std::fs::write(dir.join("tls.key"), pem).expect("pem");
    std::fs::write(
        dir.join("fake.sealed"),
        format!(
            "{}\n{}\n",
            keyfile::SEALED_KEY_MAGIC,
            b64::encode(&inbox.to_bytes()[..])
        ),
    )
    .expect("fake");
    let found = key_scan::unsealed_keys(&[dir], &known).join("\n");
    for (file, why) in [
        ("planted.key", "a bare 32-byte key"),
        ("notes.json", "holds the organisation key"),
        ("tls.key", "a PEM private key"),
        ("fake.sealed", "is not"),
        ("fake.sealed", "holds the inbox key"),
    ] {
        assert!(
            found.lines().any(|l| l.contains(file) && l.contains(why)),
            "{file}: {why}, in\n{found}"
        );
    }
    assert_eq!(found.lines().count(), 5, "nothing else:\n{found}");
}
