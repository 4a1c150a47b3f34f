//! Configuration: shipped defaults are valid, `LIFELINE_*` overrides apply, and every
//! mistake names the key and the reason; the binary exits 2 on one.

use crate::binary;
use lifeline::config::{Config, StoreKind};

const SHIPPED: &str = include_str!("../config/lifeline.toml");

fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Vec<_>>()
        .into_iter()
}

#[test]
fn shipped_config_is_valid_and_overridable() {
    let config = Config::parse(SHIPPED, env(&[])).unwrap();
    assert_eq!(config.server.listen, "127.0.0.1:8080");
    assert_eq!(config.store.kind, StoreKind::Memory);
    let config = Config::parse(
        SHIPPED,
        env(&[
            ("LIFELINE_SERVER_LISTEN", "127.0.0.1:9999"),
            ("LIFELINE_POW_BASE_DIFFICULTY", "12"),
            ("LIFELINE_CONFIG", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(config.server.listen, "127.0.0.1:9999");
    assert_eq!(config.pow.base_difficulty, 12);
}

#[test]
fn mistakes_name_the_key_and_the_reason() {
    let cases: [(&[(&str, &str)], &str); 7] = [
        (
            &[("LIFELINE_SERVER_LISTEN", "not-an-address")],
            "server.listen",
        ),
        (
            &[("LIFELINE_SESSIONS_QUEUE_MAX", "0")],
            "sessions.queue_max",
        ),
        (
            &[("LIFELINE_POW_MAX_DIFFICULTY", "40")],
            "pow.max_difficulty",
        ),
        (&[("LIFELINE_LIMITS_FRAMES_PER_S", "many")], "frames_per_s"),
        (&[("LIFELINE_SERVER_LISTN", "x")], "LIFELINE_SERVER_LISTN"),
        (
            &[("LIFELINE_KEYS_ORGANISATION_PUBLIC", "short")],
            "keys.organisation_public",
        ),
        (&[("LIFELINE_STORE_KIND", "postgres")], "store.kind"),
    ];
    for (vars, key) in cases {
        let err = Config::parse(SHIPPED, env(vars)).unwrap_err();
        assert!(err.to_string().contains(key), "{vars:?}: {err}");
        assert!(!err.reason.is_empty());
    }
    let err = Config::parse(
        &SHIPPED.replace("[tips]", "[tips]\nretention_dayz = 3"),
        env(&[]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("retention_dayz"), "{err}");
    let err = Config::parse(SHIPPED, env(&[("LIFELINE_STORE_KIND", "redis")])).unwrap_err();
    assert!(err.to_string().contains("store.redis_url"), "{err}");
    let redis = Config::parse(
        SHIPPED,
        env(&[
            ("LIFELINE_STORE_KIND", "redis"),
            ("LIFELINE_REDIS_URL", "redis://:secret@127.0.0.1:6380/0"),
        ]),
    )
    .unwrap();
    assert_eq!(
        redis.store.redis_url, "redis://:secret@127.0.0.1:6380/0",
        "LIFELINE_REDIS_URL is the shorthand"
    );
    // No TLS to Redis in this build: refused at start rather than failed at every connect.
    let err = Config::parse(
        SHIPPED,
        env(&[
            ("LIFELINE_STORE_KIND", "redis"),
            ("LIFELINE_REDIS_URL", "rediss://lifeline:pw@10.0.0.1:6380/0"),
        ]),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("store.redis_url") && err.reason.contains("WireGuard"),
        "{err}"
    );
    let seeds = "redis://10.0.0.1:7000, redis://10.0.0.2:7000";
    let err = Config::parse(
        SHIPPED,
        env(&[
            ("LIFELINE_STORE_KIND", "redis"),
            ("LIFELINE_REDIS_URL", seeds),
        ]),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("store.redis_cluster"),
        "several URLs without cluster mode: {err}"
    );
    let cluster = Config::parse(
        SHIPPED,
        env(&[
            ("LIFELINE_STORE_KIND", "redis"),
            ("LIFELINE_REDIS_URL", seeds),
            ("LIFELINE_STORE_REDIS_CLUSTER", "true"),
        ]),
    )
    .unwrap();
    assert_eq!(
        cluster.store.redis_urls(),
        ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]
    );
}

#[test]
fn an_unknown_store_kind_is_refused_with_the_key_and_the_kinds_there_are() {
    for text in [
        SHIPPED.replace("kind = \"memory\"", "kind = \"postgres\""),
        SHIPPED.replace("kind = \"memory\"", "kind = \"Redis\""),
    ] {
        assert_ne!(text, SHIPPED, "the shipped file names the store kind");
        let err = Config::parse(&text, env(&[])).unwrap_err();
        assert_eq!(err.key, "store.kind", "{err}");
        assert!(
            err.reason.contains("memory") && err.reason.contains("redis"),
            "the reason lists the kinds: {err}"
        );
    }
    let err = Config::parse(SHIPPED, env(&[("LIFELINE_STORE_KIND", "")])).unwrap_err();
    assert_eq!(
        err.key, "store.kind",
        "an empty kind is no fallback to memory: {err}"
    );
    let redis = Config::parse(
        SHIPPED,
        env(&[
            ("LIFELINE_STORE_KIND", "redis"),
            ("LIFELINE_REDIS_URL", "redis://127.0.0.1:6379"),
        ]),
    )
    .unwrap();
    assert_eq!(redis.store.kind, StoreKind::Redis);
}

#[test]
fn the_binary_exits_2_on_a_bad_value_and_refuses_dev_keys_off_loopback() {
    let bin = env!("CARGO_BIN_EXE_lifeline");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/lifeline.toml");
    let out = std::process::Command::new(bin)
        .args(["--config", config, "serve"])
        .env("LIFELINE_LIMITS_IDLE_TIMEOUT_S", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("limits.idle_timeout_s"));

    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin)
        .args(["--config", config, "serve"])
        .env("LIFELINE_SERVER_LISTEN", "0.0.0.0:0")
        .env("LIFELINE_SERVER_DATA_DIR", dir.path())
        .output()
        .unwrap();
    // A mistake in the configuration like any other: exit 2 (which the systemd unit does not
    // restart), naming the key to set.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("development keys are refused"), "{stderr}");
    assert!(stderr.contains("keys.organisation_public"), "{stderr}");
}

/// What the tip path and the day counts need, checked at start with the key and the reason
/// rather than met later: a body limit below one tip of the largest size (every such tip
/// refused with 413), a category the tip cannot carry (every tip that picks it failing), a
/// label for a category that is not offered (a typo, never shown), a day count that would
/// wrap when made seconds.
#[test]
fn what_tips_and_day_counts_need_is_checked_at_start() {
    let long = format!("[\"{}\"]", "x".repeat(65));
    let cases: [(&[(&str, &str)], &str); 7] = [
        (
            &[("LIFELINE_LIMITS_MAX_BODY_BYTES", "0")],
            "limits.max_body_bytes",
        ),
        (
            &[("LIFELINE_LIMITS_MAX_BODY_BYTES", "100000")],
            "limits.max_body_bytes",
        ),
        (
            &[("LIFELINE_TIPS_RETENTION_DAYS", "100000")],
            "tips.retention_days",
        ),
        (
            &[("LIFELINE_WIDGET_REVOCATIONS_MAX_AGE_DAYS", "3651")],
            "widget.revocations_max_age_days",
        ),
        (
            &[("LIFELINE_WIDGET_TIP_CATEGORIES", &long)],
            "widget.tip_categories",
        ),
        (
            &[("LIFELINE_WIDGET_TIP_CATEGORIES", "[\"labour\", \"\"]")],
            "widget.tip_categories",
        ),
        // The shipped labels name "other" too: no longer offered, a label for nothing.
        (
            &[(
                "LIFELINE_WIDGET_TIP_CATEGORIES",
                "[\"labour\", \"sexual exploitation\", \"domestic servitude\"]",
            )],
            "widget.tip_category_labels",
        ),
    ];
    for (vars, key) in cases {
        let err = Config::parse(SHIPPED, env(vars)).unwrap_err();
        assert!(err.to_string().contains(key), "{vars:?}: {err}");
    }
    // The shipped values and the bounds themselves pass.
    for vars in [
        &[("LIFELINE_LIMITS_MAX_BODY_BYTES", "524288")][..],
        &[("LIFELINE_TIPS_RETENTION_DAYS", "3650")],
        &[(
            "LIFELINE_WIDGET_TIP_CATEGORIES",
            &format!(
                "[\"{}\", \"labour\", \"sexual exploitation\", \"domestic servitude\", \"other\"]",
                "x".repeat(64)
            ),
        )],
    ] {
        Config::parse(SHIPPED, env(vars)).unwrap_or_else(|e| panic!("{vars:?}: {e}"));
    }
}

#[test]
fn a_revocation_list_maximum_age_of_zero_is_refused() {
    let config = Config::parse(SHIPPED, env(&[])).unwrap();
    assert_eq!(config.widget.revocations_max_age_days, 30, "§2.2 default");
    let err = Config::parse(
        SHIPPED,
        env(&[("LIFELINE_WIDGET_REVOCATIONS_MAX_AGE_DAYS", "0")]),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("widget.revocations_max_age_days"),
        "{err}"
    );
}

#[test]
fn the_help_page_title_is_neutral_by_default_and_configurable() {
    let config = Config::parse(SHIPPED, env(&[])).unwrap();
    assert_eq!(config.widget.page_title, "Information");
    // numbers and categories carry their labels in the widget's other languages
    assert_eq!(
        config.widget.emergency[0]
            .labels
            .get("fr")
            .map(String::as_str),
        Some("Services d'urgence")
    );
    assert_eq!(
        config.widget.tip_category_labels["ar"]
            .get("labour")
            .map(String::as_str),
        Some("العمل")
    );
    let config = Config::parse(
        SHIPPED,
        env(&[("LIFELINE_WIDGET_PAGE_TITLE", "Opening hours")]),
    )
    .unwrap();
    assert_eq!(config.widget.page_title, "Opening hours");
    // a config file written before the key existed still starts, with the neutral title
    let older: String = SHIPPED
        .lines()
        .filter(|l| !l.starts_with("page_title"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        Config::parse(&older, env(&[])).unwrap().widget.page_title,
        "Information"
    );
}

#[test]
fn the_new_limits_of_issue_27_are_checked_at_start() {
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("LIFELINE_TIPS_MAX_FOLLOWUPS", "11")],
            "tips.max_followups",
        ),
        (
            &[("LIFELINE_TIPS_MAX_FOLLOWUP_BYTES", "1000")],
            "tips.max_followup_bytes",
        ),
        (
            &[("LIFELINE_LIMITS_CHALLENGE_TIMEOUT_S", "91")],
            "limits.challenge_timeout_s",
        ),
        (
            &[("LIFELINE_LIMITS_AUTH_TIMEOUT_S", "0")],
            "limits.auth_timeout_s",
        ),
        (
            &[("LIFELINE_LIMITS_MAX_COORDINATOR_CONNECTIONS", "0")],
            "limits.max_coordinator_connections",
        ),
    ];
    for (vars, key) in cases {
        let err = Config::parse(SHIPPED, env(vars)).unwrap_err();
        assert!(err.to_string().contains(key), "{vars:?}: {err}");
    }
    // The largest follow-up limit allowed is the one whose worst case fits one frame.
    assert_eq!(lifeline::config::MAX_FOLLOWUPS, 10);
    Config::parse(SHIPPED, env(&[("LIFELINE_TIPS_MAX_FOLLOWUPS", "10")])).unwrap();
}

/// A Redis the relay cannot reach stops it at start with where it looked and what to check,
/// and never the password from the URL.
#[test]
fn an_unreachable_redis_is_named_at_start_without_its_password() {
    let bin = env!("CARGO_BIN_EXE_lifeline");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/lifeline.toml");
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = std::process::Command::new(bin)
        .args(["--config", config, "serve"])
        .env("LIFELINE_SERVER_LISTEN", "127.0.0.1:0")
        .env("LIFELINE_SERVER_METRICS_LISTEN", "127.0.0.1:0")
        .env("LIFELINE_SERVER_DATA_DIR", dir.path())
        .env("LIFELINE_STORE_KIND", "redis")
        .env(
            "LIFELINE_REDIS_URL",
            format!("redis://lifeline:not-to-be-printed@127.0.0.1:{port}/0"),
        )
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(&format!("Redis at 127.0.0.1:{port}")) && said.contains("LIFELINE_REDIS_URL"),
        "{said}"
    );
    assert!(!said.contains("not-to-be-printed"), "{said}");
}

/// A `--langs` entry the relay would refuse (§8.1) stops the console at start, naming it,
/// rather than closing the connection at the first `duty`.
#[test]
fn a_console_language_that_is_no_tag_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args([
            "console",
            "--relay",
            "ws://127.0.0.1:9",
            "--langs",
            "en,fr FR",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("--langs") && said.contains("fr FR"), "{said}");
}

/// What the console and the desk each say when started with `relay` and `extra` arguments,
/// with an identity file they would have to open (stdin closed: a passphrase prompt would
/// fail, so a refusal said before it is the only way to be told).
fn refusal_of_each_front(relay: &str, extra: &[&std::ffi::OsStr]) -> Vec<(&'static str, String)> {
    let dir = tempfile::tempdir().unwrap();
    let identity = dir.path().join("console.identity");
    std::fs::write(&identity, b"not opened").unwrap();
    let mut said = Vec::new();
    for front in ["console", "desk"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"))
            .arg(front)
            .args(if front == "desk" {
                &["--no-browser"][..]
            } else {
                &[]
            })
            .args(["--relay", relay])
            .args(["--identity".as_ref(), identity.as_os_str()])
            .args(extra)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{front}: {text}");
        assert!(!text.contains("assphrase"), "{front}: {text}");
        said.push((front, text));
    }
    said
}

/// A plain `ws://` relay elsewhere than this machine or an onion service would carry a
/// shift unencrypted: the console and the desk refuse it at start, naming the address and
/// the reason, before a passphrase is asked for or any connection made.
#[test]
fn a_plain_ws_relay_elsewhere_is_refused_at_start() {
    for (front, said) in refusal_of_each_front("ws://relay.example.org:8080", &[]) {
        assert!(
            said.contains("ws://relay.example.org:8080") && said.contains("use wss://"),
            "{front}: {said}"
        );
    }
}

/// A development inbox key (`--inbox-key`) given for a relay elsewhere is refused at start,
/// naming what to use instead, before a passphrase is asked for: the desk used to ask for
/// one, then refuse it with a vague "could not start" at every try.
#[test]
fn an_inbox_key_for_a_relay_elsewhere_is_refused_before_any_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox.key");
    std::fs::write(&inbox, b"not read").unwrap();
    let extra = ["--inbox-key".as_ref(), inbox.as_os_str()];
    for (front, said) in refusal_of_each_front("wss://relay.example.org", &extra) {
        assert!(
            said.contains("--inbox-key is for development relays")
                && said.contains("--import-grant"),
            "{front}: {said}"
        );
    }
}

/// The identity's one-off steps are the console's: the desk does not offer them (it once
/// listed them and then started a shift as if they were not there).
#[test]
fn the_desk_refuses_the_consoles_identity_steps() {
    for step in [
        &["--import-grant", "100.grant"][..],
        &["--install-certificate", "CERT"],
        &["--renewal-request"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"))
            .arg("desk")
            .args(step)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{step:?}: {said}");
        assert!(said.contains(step[0]), "{step:?}: {said}");
    }
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args(["desk", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--relay") && help.contains("--listen"),
        "{help}"
    );
    for step in [
        "--import-grant",
        "--install-certificate",
        "--renewal-request",
        "--new-keys",
    ] {
        let offered = help.lines().any(|line| line.trim_start().starts_with(step));
        assert!(!offered, "{step} offered: {help}");
    }
}

/// A key the file leaves out takes its default, and its `LIFELINE_*` variable still sets it
/// (an `/etc/lifeline/lifeline.toml` from an older release lacks the newer keys): the value
/// reaches the key and is checked there, while a name that is no key is still refused.
#[test]
fn a_variable_sets_a_key_the_file_leaves_to_its_default() {
    let dir = tempfile::tempdir().unwrap();
    let older: String = SHIPPED
        .lines()
        .filter(|line| {
            !["metrics_listen", "coordinator_grace_s", "hold_release_s"]
                .iter()
                .any(|key| line.starts_with(&format!("{key} =")))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let config = dir.path().join("lifeline.toml");
    std::fs::write(&config, older).unwrap();
    let run = |name: &str, value: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env("LIFELINE_SERVER_DATA_DIR", dir.path())
            .env(name, value)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (name, value, key) in [
        (
            "LIFELINE_SERVER_METRICS_LISTEN",
            "metrics-please",
            "`server.metrics_listen`",
        ),
        (
            "LIFELINE_SESSIONS_COORDINATOR_GRACE_S",
            "999999",
            "`sessions.coordinator_grace_s`",
        ),
        ("LIFELINE_TIPS_HOLD_RELEASE_S", "5", "`tips.hold_release_s`"),
    ] {
        let (code, said) = run(name, value);
        assert_eq!(code, Some(2), "{name}: {said}");
        assert!(
            said.contains(key) && !said.contains("no such config key"),
            "{name} reaches {key}: {said}"
        );
    }
    let (code, said) = run("LIFELINE_SERVER_METRICS_LISTN", "127.0.0.1:0");
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("LIFELINE_SERVER_METRICS_LISTN") && said.contains("no such config key"),
        "{said}"
    );
}

/// Key files that do not verify against `keys.organisation_public` (another organisation's,
/// or a pasted key of the wrong one) stop the relay naming the file and the key to check,
/// not just "not signed by the pinned organisation key".
#[test]
fn key_files_of_another_organisation_are_named_at_start_with_the_key_to_check() {
    let bin = env!("CARGO_BIN_EXE_lifeline");
    let dir = tempfile::tempdir().unwrap();
    let keys = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .arg("keys")
            .args(args)
            .arg("--unsealed")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ours = dir.path().join("ours");
    let theirs = dir.path().join("theirs");
    keys(&["init-organisation", "--dir", ours.to_str().unwrap()]);
    keys(&["create-inbox", "--dir", ours.to_str().unwrap()]);
    let printed = keys(&["init-organisation", "--dir", theirs.to_str().unwrap()]);
    let other_public = printed.lines().last().unwrap().trim().to_owned();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("keys")).unwrap();
    for file in ["inbox.cert", "revocations.list"] {
        std::fs::copy(ours.join(file), data.join("keys").join(file)).unwrap();
    }
    let out = std::process::Command::new(bin)
        .args([
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config/lifeline.toml"),
        ])
        .arg("serve")
        .env("LIFELINE_SERVER_LISTEN", "127.0.0.1:0")
        .env("LIFELINE_SERVER_METRICS_LISTEN", "")
        .env("LIFELINE_SERVER_DATA_DIR", &data)
        .env("LIFELINE_KEYS_ORGANISATION_PUBLIC", &other_public)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(&data.join("keys").join("inbox.cert").display().to_string())
            && said.contains("not signed by the pinned organisation key")
            && said.contains("keys.organisation_public"),
        "{said}"
    );
}

/// A file that is not TOML (a typo in a hand edit) is refused naming the line to look at.
#[test]
fn a_file_that_is_not_toml_is_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lifeline.toml");
    let broken = SHIPPED.replacen("[limits]", "[limits", 1);
    let line = broken
        .lines()
        .position(|l| l == "[limits")
        .map(|i| i + 1)
        .unwrap();
    std::fs::write(&config, broken).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains(&format!("line {line}")), "{said}");
}

/// A Redis URL (or Cluster mode) given to a memory store is a deployment half-done: several
/// nodes would each keep their own visitors and coordinators, never meeting, and nothing
/// would say so. The binary stops at start naming `store.kind`, and never echoes the URL,
/// which carries the password.
#[test]
fn a_redis_setting_the_memory_store_would_ignore_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [
        (
            "LIFELINE_REDIS_URL",
            "redis://lifeline:s3cret-pw@127.0.0.1:6379/0",
        ),
        ("LIFELINE_STORE_REDIS_CLUSTER", "true"),
    ] {
        let (code, stderr) = binary::run_to_exit(
            dir.path(),
            &[
                ("LIFELINE_SERVER_LISTEN", "127.0.0.1:0"),
                ("LIFELINE_SERVER_METRICS_LISTEN", ""),
                (name, value),
            ],
        );
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains("`store.kind`") && stderr.contains("store.kind = \"redis\""),
            "{name}: {stderr}"
        );
        assert!(
            !stderr.contains("s3cret-pw"),
            "the password was echoed: {stderr}"
        );
    }
}
