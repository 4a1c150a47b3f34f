//! The deployment kit run as shipped: Redis on `config/deploy/redis.conf` (a test port,
//! folder and password hash only), the real `lifeline serve` on it, and nginx on
//! `config/deploy/nginx-lifeline.conf` in front with a self-signed certificate. A coordinator
//! and a visitor chat over wss through nginx and a tipster files a tip through it with curl,
//! every request carrying a user agent and forwarding headers. Then nginx's logs (laid out
//! as Debian's nginx.conf does, every request and every error at `info`) and the relay's
//! logs (at `trace`) hold no address, user agent or forwarded value; Redis logged no command
//! refused to the relay; `/metrics` is counted but not public; and `config/deploy/probe.sh`
//! passes against the site (and fails against a site that logs and sets a cookie).

use crate::binary;
use crate::common;
use crate::deploy;

use std::path::Path;
use std::process::Command;

use binary::{RelayProcess, free_port, run_to_exit};
use common::*;
use deploy::*;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::reach::Reach;
use lifeline::client::visitor::VisitorClient;
use lifeline::client::wire::TlsTrust;
use lifeline::crypto::keys::OrgPublicKey;
use lifeline::crypto::proof_of_work;
use lifeline::crypto::sealed_tip;
use lifeline::keyfile::{self, CoordinatorFiles, KeyPaths};
use lifeline::protocol::VERSION;
use lifeline::protocol::b64::{Bytes, Fixed};
use lifeline::protocol::frames::ConversationKind;
use lifeline::protocol::http::{PowSeed, TIP_POW_CONTEXT, TipSubmission};

const AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) DeployKitProbe/2.5 Gecko/20100101";
const XFF_V4: &str = "203.0.113.77";
const XFF_V6: &str = "2001:db8:25::77";
const REAL_IP: &str = "198.51.100.77";
const VISITOR_SAYS: &str = "kit: I am writing from the kitchen";
const COORDINATOR_SAYS: &str = "kit: you reached the help line";
const TIP_TEXT: &str = "kit tip: the van comes on Tuesdays";

fn identifying_headers() -> Vec<(&'static str, String)> {
    vec![
        ("user-agent", AGENT.to_owned()),
        ("x-forwarded-for", format!("{XFF_V4}, {XFF_V6}")),
        ("x-real-ip", REAL_IP.to_owned()),
        ("forwarded", format!("for={XFF_V4};proto=https")),
    ]
}

/// What must never be written anywhere: the headers' values.
fn identifying_values() -> [&'static str; 5] {
    [AGENT, "DeployKitProbe", XFF_V4, XFF_V6, REAL_IP]
}

/// curl through nginx, trusting the test certificate, with the identifying headers.
struct Curl<'a> {
    https_port: u16,
    cert: &'a Path,
}

impl Curl<'_> {
    fn trust(&self) -> Vec<String> {
        curl_trust(self.https_port, self.cert)
    }

    fn call(&self, method: &str, path: &str, body: Option<&Path>) -> (u16, String) {
        let url = format!("https://localhost:{}{path}", self.https_port);
        self.call_url(method, &url, body)
    }

    fn call_url(&self, method: &str, url: &str, body: Option<&Path>) -> (u16, String) {
        let mut command = curl_to(self.https_port, self.cert);
        command.args(["-X", method, "-w", "\n%{http_code}"]);
        for (name, value) in identifying_headers() {
            command.arg("-H").arg(format!("{name}: {value}"));
        }
        if let Some(file) = body {
            command
                .args(["-H", "content-type: application/json", "--data-binary"])
                .arg(format!("@{}", file.display()));
        }
        let out = command.arg(url).output().expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
        (status.trim().parse().unwrap_or(0), body.to_owned())
    }
}

/// Files a sealed tip through nginx as the widget would: a proof-of-work seed, then the
/// sealed tip under a fresh receipt's lookup id.
fn tip_through_curl(
    curl: &Curl,
    dir: &Path,
    org: &OrgPublicKey,
    inbox_key: &lifeline::crypto::keys::DhSecret,
) {
    let (status, body) = curl.call("GET", "/v1/pow", None);
    assert_eq!(status, 200, "{body}");
    let seed: PowSeed = serde_json::from_str(&body).expect("a seed");
    let FirstTip { keys, sealed, .. } =
        seal_first_tip(&org.fingerprint(), &inbox_key.public(), TIP_TEXT, None);
    let submission = TipSubmission {
        v: VERSION,
        seed: seed.seed,
        nonce: proof_of_work::solve(&seed.seed.0, TIP_POW_CONTEXT, seed.difficulty),
        lookup: Fixed(keys.lookup_id),
        sealed: Bytes(sealed),
    };
    let file = dir.join("tip.json");
    std::fs::write(&file, serde_json::to_string(&submission).expect("json")).expect("write");
    let (status, body) = curl.call("POST", "/v1/tips", Some(&file));
    assert_eq!(status, 200, "tip through nginx: {body}");
    std::fs::remove_file(file).expect("tip file removed");
}

/// `config/deploy/probe.sh` against `url`: exit status and output.
fn probe(url: &str, extra: &[String], http_url: &str) -> (bool, String) {
    let out = Command::new("bash")
        .arg(kit_file("probe.sh"))
        .arg(url)
        .args(extra)
        .env("PROBE_HTTP_URL", http_url)
        .output()
        .expect("probe.sh runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Fails unless `text` (named `what`) holds none of the identifying values and no address
/// but those in `own` (the relay's own listeners, which it names at start).
fn assert_nothing_identifying(what: &str, text: &str, own: &[String]) {
    for value in identifying_values() {
        assert!(!text.contains(value), "{what} holds {value}:\n{text}");
    }
    let strangers: Vec<String> = find_addresses(text)
        .into_iter()
        .filter(|a| !own.contains(a))
        .collect();
    assert!(
        strangers.is_empty(),
        "{what} holds addresses {strangers:?}:\n{text}"
    );
}

#[tokio::test]
async fn a_chat_and_a_tip_through_nginx_on_the_shipped_redis_leave_no_trace_of_anyone() {
    let (Some(nginx), Some(_), Some(_)) =
        (program("nginx"), program("redis-server"), program("curl"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let redis = KitRedis::start(&dir.path().join("redis"));
    let (relay_port, metrics_port) = (free_port(), free_port());
    let own = vec![
        format!("127.0.0.1:{relay_port}"),
        format!("127.0.0.1:{metrics_port}"),
    ];
    let data = dir.path().join("data");
    let relay = RelayProcess::start(
        &own[0],
        &data,
        &[
            ("LIFELINE_STORE_KIND", "redis"),
            ("LIFELINE_REDIS_URL", &redis.relay_url()),
            ("LIFELINE_SERVER_METRICS_LISTEN", &own[1]),
            ("LIFELINE_SERVER_LOG_LEVEL", "trace"),
        ],
    )
    .await;
    assert!(
        relay
            .logs()
            .contains("appendonly=yes appendfsync=everysec snapshots=no"),
        "the relay read Redis's settings: {}",
        relay.logs()
    );

    let (cert, key) = self_signed(dir.path());
    let site = NginxSite::configure(&dir.path().join("nginx"), relay_port, &cert, &key);
    let (ok, said) = site.check(&nginx);
    assert!(ok, "nginx -t:\n{said}");
    let nginx = site.start(&nginx);
    let https = format!("wss://localhost:{}", nginx.site.https_port);
    let trust = TlsTrust::with_ca_file(&cert).expect("test CA");

    // A coordinator and a visitor, both over wss through nginx.
    let paths = KeyPaths::new(&data);
    let org = keyfile::read_signing_key(&paths.organisation_key())
        .expect("org key")
        .public();
    let challenge = CoordinatorClient::challenge(&format!("{https}/v1/coordinator"), &trust)
        .await
        .expect("coordinator reaches the relay through nginx");
    assert_eq!(challenge.organisation, org);
    let files = CoordinatorFiles::load(&paths.dev_coordinator()).expect("dev coordinator");
    let mut coordinator = CoordinatorClient::authenticate(challenge, files)
        .await
        .expect("signed in");
    coordinator.duty(true, 2, &["en"]).await.expect("on duty");
    coordinator
        .wait_for(|e| matches!(e, CoordinatorEvent::Queue(_)))
        .await
        .expect("queue");
    let headers = identifying_headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let mut visitor = VisitorClient::connect(
        &format!("{https}/v1/visitor"),
        org,
        ConversationKind::Chat,
        Some("en"),
        Reach {
            trust,
            ..Reach::with_headers(&headers)
        },
    )
    .await
    .expect("visitor reaches the relay through nginx");
    claim_and_connect(&mut coordinator, &mut visitor).await;
    exchange(
        &mut coordinator,
        &mut visitor,
        VISITOR_SAYS,
        COORDINATOR_SAYS,
    )
    .await;
    visitor.end().await.expect("the visitor ends the chat");

    // A tip through nginx, opened by the coordinator.
    let curl = Curl {
        https_port: nginx.site.https_port,
        cert: &cert,
    };
    let inbox_key = keyfile::read_dh_secret(&paths.inbox_key()).expect("inbox key");
    tip_through_curl(&curl, dir.path(), &org, &inbox_key);
    let id = listed_tips(&mut coordinator).await[0].id;
    let (sealed, _) = open_tip(&mut coordinator, id, 0).await;
    let opened = sealed_tip::open_tip(&org.fingerprint(), &inbox_key, &sealed).expect("opens");
    assert_eq!(opened.text, TIP_TEXT);

    // Metrics counted all of it, on the private listener only.
    assert_eq!(
        curl.call("GET", "/metrics", None).0,
        404,
        "metrics through nginx"
    );
    // What visitors did shows as it stood at the latest whole minute (docs/operations.md):
    // by the next one on this binary's system clock, all of it.
    let clock = lifeline::clock::Clock::system();
    let shown_by = (clock.unix_minute() + 1) * 60 + 10;
    let lines = [
        "lifeline_tips_received_total 1",
        "lifeline_sessions_opened_total 1",
        "lifeline_claims_total 1",
    ];
    loop {
        let (status, metrics) =
            lifeline::client::tipster::request(&own[1], "GET", "/metrics", None, &[])
                .await
                .expect("metrics");
        assert_eq!(status, 200);
        if lines.iter().all(|line| metrics.contains(line)) {
            break;
        }
        assert!(
            clock.unix_s() < shown_by,
            "{lines:?} not shown 10 s into the next minute:\n{metrics}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }

    // The probe passes here, and fails on a site that logs and sets a cookie.
    let (passed, said) = probe(
        &format!("https://localhost:{}", nginx.site.https_port),
        &curl.trust(),
        &format!("http://localhost:{}", nginx.site.http_port),
    );
    assert!(
        passed && !said.contains("FAIL"),
        "probe.sh on the site:\n{said}"
    );
    let control = format!("http://127.0.0.1:{}", nginx.site.control_port);
    let (passed, said) = probe(&control, &[], &control);
    assert!(!passed, "probe.sh passed a site that is not one:\n{said}");
    for expected in [
        "FAIL  not https",
        "sets a cookie",
        "FAIL  /metrics is public",
    ] {
        assert!(
            said.contains(expected),
            "probe.sh missed `{expected}`:\n{said}"
        );
    }
    // Plain HTTP has no TLS to check: no "ok" for a handshake that never happened.
    assert!(
        !said.contains("TLS handshake") && !said.contains("TLS 1.1"),
        "probe.sh checked TLS on plain HTTP:\n{said}"
    );

    // Nobody's address, agent or forwarded header in nginx's or the relay's logs; the
    // control site's log shows the scan would have found them.
    assert_eq!(curl.call_url("GET", &control, None).0, 200);
    let control_log = nginx.logs("control");
    assert!(
        control_log.contains(AGENT) && !find_addresses(&control_log).is_empty(),
        "control log: {control_log}"
    );
    assert_nothing_identifying("nginx's logs", &nginx.logs("logs"), &[]);
    assert_nothing_identifying("the relay's logs", &relay.logs(), &own);
    assert!(
        !relay.logs().contains(&redis.password),
        "the relay logged Redis's password"
    );

    // Redis refused the relay nothing. (Redis 7.2+ refuses CLIENT SETINFO, with which the
    // client library names itself: not in the ACL, and the library goes on without it.)
    let refusals: Vec<redis::Value> = redis::cmd("ACL")
        .arg("LOG")
        .query(&mut redis.admin())
        .expect("ACL LOG");
    let refusals: Vec<String> = refusals
        .iter()
        .map(|entry| format!("{entry:?}"))
        .filter(|entry| !entry.contains("setinfo"))
        .collect();
    assert!(
        refusals.is_empty(),
        "Redis refused the relay: {refusals:#?}"
    );
}

/// Redis loads its append-only file after a crash as the default user: with that user turned
/// off (as the kit once shipped it), Redis 7.0 dropped every transaction and every script's
/// writes while loading (redis/redis#14541), so each restart lost every sealed tip and live
/// chat, silently. The kit keeps the default user on, with no password anyone can give.
#[tokio::test]
async fn tips_on_the_shipped_redis_outlive_a_crash_of_redis() {
    let Some(_) = program("redis-server") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut redis = KitRedis::start(&dir.path().join("redis"));
    let url = redis.relay_url();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let tipster = lifeline::client::tipster::Tipster::new(&relay.addr.to_string());
    let (id, first) = file_first_tip(&relay, &tipster, "kit: survives a crash", None).await;
    let filed = |redis: &KitRedis| -> u64 {
        redis::cmd("ZCARD")
            .arg("ll:tips")
            .query(&mut redis.admin())
            .expect("ZCARD")
    };
    assert_eq!(filed(&redis), 1);

    redis.crash_and_restart();
    let log = std::fs::read_to_string(&redis.log).unwrap();
    assert!(
        !log.contains("NOPERM") && !log.contains("CRITICAL"),
        "Redis refused its own file while loading it:\n{log}"
    );
    assert_eq!(filed(&redis), 1, "the sealed tip is still in Redis");
    // The relay reconnects and finds it under its receipt.
    let mut mine = 0;
    for _ in 0..50 {
        if tipster.replies(first.keys.lookup_id).await.is_ok() {
            mine = 1;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mine, 1, "tip {id:?} not found after the restart");
    // Still nobody gets in without a password.
    let mut anonymous = redis.connect_as("", "").expect("a TCP connection");
    let refused: redis::RedisResult<String> = redis::cmd("PING").query(&mut anonymous);
    assert!(refused.is_err(), "a client without a password was served");
}

/// A password or user the kit's Redis does not know is a configuration mistake: the relay
/// names the key at once and exits 2, so systemd does not restart into it (it once retried
/// for about 9.5 s and exited 1, as if Redis were down). Redis not answering is not one.
#[test]
fn credentials_the_shipped_redis_refuses_stop_the_relay_as_a_configuration_error() {
    let Some(_) = program("redis-server") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let redis = KitRedis::start(&dir.path().join("redis"));
    let listen = format!("127.0.0.1:{}", free_port());
    let wrong_password = format!(
        "redis://lifeline:not-{}@127.0.0.1:{}/0",
        redis.password, redis.port
    );
    let unknown_user = format!(
        "redis://nobody:{}@127.0.0.1:{}/0",
        redis.password, redis.port
    );
    for url in [&wrong_password, &unknown_user] {
        let (code, stderr) = run_to_exit(
            &dir.path().join("data"),
            &[
                ("LIFELINE_SERVER_LISTEN", &listen),
                ("LIFELINE_STORE_KIND", "redis"),
                ("LIFELINE_REDIS_URL", url),
            ],
        );
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains("configuration error: config key `store.redis_url`")
                && stderr.contains("refused the user and password"),
            "{stderr}"
        );
        assert!(!stderr.contains(&redis.password), "a password was echoed");
    }
    // Nobody there: not a configuration error (systemd's restarts wait for Redis).
    let nobody = format!("redis://lifeline:x@127.0.0.1:{}/0", free_port());
    let (code, stderr) = run_to_exit(
        &dir.path().join("data"),
        &[
            ("LIFELINE_SERVER_LISTEN", &listen),
            ("LIFELINE_STORE_KIND", "redis"),
            ("LIFELINE_REDIS_URL", &nobody),
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is it running there"), "{stderr}");
}

/// The kit's `tls-watch-copy.sh` run as certbot runs a `--deploy-hook`.
fn tls_watch_copy(lineage: &Path, dest: &Path, arg: Option<&Path>) -> std::process::Output {
    let mut command = Command::new("sh");
    command
        .arg(kit_file("tls-watch-copy.sh"))
        .env("RENEWED_LINEAGE", lineage)
        .env("LIFELINE_TLS_WATCH_COPY", dest);
    if let Some(arg) = arg {
        command.arg(arg);
    }
    command.output().expect("sh runs the script")
}

/// Behind nginx and certbot the relay cannot read `/etc/letsencrypt/live` (root only), so it
/// could not watch the certificate's expiry. The kit's deploy hook copies the chain, and only
/// the chain, where it can: the relay started on that copy says its days left.
#[tokio::test]
async fn certbots_deploy_hook_gives_the_relay_the_certificate_to_watch_and_never_a_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let lineage = dir.path().join("live/help.example.org");
    std::fs::create_dir_all(&lineage).unwrap();
    let (cert, key) = self_signed(&lineage);
    std::fs::rename(&cert, lineage.join("fullchain.pem")).unwrap();
    std::fs::rename(&key, lineage.join("privkey.pem")).unwrap();
    let chain = std::fs::read(lineage.join("fullchain.pem")).unwrap();
    let dest = dir.path().join("etc-lifeline/tls-watch.pem");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();

    let copied = tls_watch_copy(&lineage, &dest, None);
    assert!(copied.status.success(), "{copied:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), chain, "the chain, as it is");
    let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "readable by the relay's made-up user");

    // A key named by mistake, or a file that holds one, is refused; the copy stays as it was.
    let both = lineage.join("both.pem");
    let mut mixed = chain.clone();
    mixed.extend(std::fs::read(lineage.join("privkey.pem")).unwrap());
    std::fs::write(&both, mixed).unwrap();
    for wrong in [lineage.join("privkey.pem"), both] {
        let refused = tls_watch_copy(&lineage, &dest, Some(&wrong));
        assert_eq!(refused.status.code(), Some(1), "{refused:?}");
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(
            said.contains("nothing copied"),
            "{}: {said}",
            wrong.display()
        );
        assert_eq!(std::fs::read(&dest).unwrap(), chain, "left as it was");
    }
    let leftovers = std::fs::read_dir(dest.parent().unwrap()).unwrap().count();
    assert_eq!(leftovers, 1, "no half-written file beside it");

    let watched = dest.display().to_string();
    let relay = RelayProcess::start(
        &format!("127.0.0.1:{}", free_port()),
        &dir.path().join("data"),
        &[("LIFELINE_SERVER_TLS_WATCH_CERT", &watched)],
    )
    .await;
    let (status, detail) =
        lifeline::client::tipster::request(&relay.addr, "GET", "/readyz", None, &[])
            .await
            .expect("readyz");
    assert_eq!(status, 200, "{detail}");
    assert!(
        detail.contains("tls certificate: ") && detail.contains(" days left"),
        "the relay watches the copy: {detail}\n{}",
        relay.logs()
    );
    assert!(!relay.logs().contains("cannot read the TLS certificate"));
}
