//! The deployment kit (`config/deploy/`), file by file: every setting `docs/deploy.md` and
//! the issue promise is present, and each file passes its own program (`nginx -t`, Redis
//! started on it and stopped, `caddy validate`, `systemd-analyze verify`,
//! `tor --verify-config`). A program that is not installed skips its check with a printed
//! message; `.ci/test` installs them all.
//! `tests/deploy_stack.rs` runs the relay behind the nginx site on the Redis config.

use crate::binary;
use crate::deploy;

use std::process::Command;

use deploy::*;
use lifeline::config::Config;

/// The lines of a config that are not comments, each with its whitespace collapsed.
fn directives(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Fails naming the file unless each of `wanted` is one of its directives, `times` each.
fn assert_directives(file: &str, wanted: &[&str], times: usize) {
    let have = directives(&kit_text(file));
    for want in wanted {
        let n = have.iter().filter(|d| d.as_str() == *want).count();
        assert_eq!(
            n, times,
            "config/deploy/{file}: `{want}` {n} time(s), not {times}"
        );
    }
}

/// The relay's own defaults the kit must agree with.
fn relay_port() -> u16 {
    Config::defaults().listen_addr().expect("listen").port()
}

#[test]
fn the_nginx_site_logs_nobody_forwards_nothing_and_keeps_metrics_private() {
    let file = "nginx-lifeline.conf";
    // Both servers (the redirect and the site) log nothing.
    assert_directives(file, &["access_log off;", "error_log /dev/null;"], 2);
    assert_directives(
        file,
        &[
            "server_tokens off;",
            "log_not_found off;",
            "ssl_protocols TLSv1.2 TLSv1.3;",
            "ssl_session_tickets off;",
            "add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\" always;",
            "location = /metrics {",
            "location = /readyz {",
            &format!("proxy_pass http://127.0.0.1:{};", relay_port()),
            "proxy_http_version 1.1;",
            "proxy_set_header Upgrade $http_upgrade;",
            "proxy_set_header Connection $lifeline_connection;",
            "proxy_set_header X-Forwarded-For \"\";",
            "proxy_set_header X-Real-IP \"\";",
            "proxy_set_header Forwarded \"\";",
            "proxy_set_header User-Agent \"\";",
            "proxy_set_header Referer \"\";",
            "proxy_set_header Cookie \"\";",
            "client_max_body_size 512k;",
        ],
        1,
    );
    assert_eq!(
        Config::defaults().limits.max_body_bytes,
        512 * 1024,
        "nginx's client_max_body_size must follow limits.max_body_bytes"
    );
    for d in directives(&kit_text(file)) {
        for variable in [
            "$remote_addr",
            "$proxy_add_x_forwarded_for",
            "$http_user_agent",
            "$http_x_forwarded_for",
            "log_format",
        ] {
            assert!(!d.contains(variable), "nginx site uses {variable}: {d}");
        }
    }
}

#[test]
fn the_caddyfile_logs_nobody_forwards_nothing_and_keeps_metrics_private() {
    let file = "Caddyfile";
    assert_directives(
        file,
        &[
            "log default {",
            "exclude http.log.access http.log.error http.handlers.reverse_proxy",
            "respond /metrics 404",
            "respond /readyz 404",
            "max_size 512KiB",
            &format!("reverse_proxy 127.0.0.1:{} {{", relay_port()),
            "header_up -X-Forwarded-For",
            "header_up -X-Forwarded-Proto",
            "header_up -X-Forwarded-Host",
            "header_up -X-Real-IP",
            "header_up -Forwarded",
            "header_up User-Agent \"\"",
            "header_up -Referer",
            "header_up -Cookie",
            "header Strict-Transport-Security \"max-age=63072000; includeSubDomains\"",
        ],
        1,
    );
    // No site asks for an access log: the only `log` is the global one.
    let logs = directives(&kit_text(file))
        .into_iter()
        .filter(|d| d == "log" || d.starts_with("log "))
        .count();
    assert_eq!(logs, 1, "the Caddyfile adds a log");
}

#[test]
fn the_systemd_unit_is_sandboxed_and_keeps_info_events_out_of_the_journal() {
    assert_directives(
        "lifeline.service",
        &[
            "DynamicUser=yes",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "PrivateDevices=yes",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=",
            "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
            "MemoryDenyWriteExecute=yes",
            "StateDirectory=lifeline",
            "StateDirectoryMode=0700",
            "Environment=LIFELINE_SERVER_DATA_DIR=/var/lib/lifeline",
            "Environment=LIFELINE_SERVER_LOG_LEVEL=warn",
            "UMask=0077",
            "SystemCallFilter=@system-service",
            "LimitCORE=0",
        ],
        1,
    );
}

#[test]
fn the_torrc_fragment_points_an_onion_service_at_the_relay() {
    assert_directives(
        "torrc-lifeline",
        &[
            "HiddenServiceDir /var/lib/tor/lifeline/",
            "HiddenServiceVersion 3",
            &format!("HiddenServicePort 80 127.0.0.1:{}", relay_port()),
            "SafeLogging 1",
            "HiddenServicePoWDefensesEnabled 1",
        ],
        1,
    );
}

#[test]
fn tor_verifies_the_torrc_fragment() {
    let Some(tor) = program("tor") else { return };
    let dir = tempfile::tempdir().unwrap();
    // The service's keys go to the test's folder; Tor needs a data folder and no SOCKS port.
    let hidden = dir.path().join("onion");
    let fragment = replaced(
        &kit_text("torrc-lifeline"),
        "HiddenServiceDir /var/lib/tor/lifeline/",
        &format!("HiddenServiceDir {}/", hidden.display()),
        1,
    );
    let torrc = dir.path().join("torrc");
    let data = dir.path().join("data");
    std::fs::write(
        &torrc,
        format!(
            "{fragment}\nDataDirectory {}\nSocksPort 0\n",
            data.display()
        ),
    )
    .unwrap();
    let out = Command::new(tor)
        .args(["--verify-config", "--defaults-torrc", "/dev/null", "-f"])
        .arg(&torrc)
        .output()
        .expect("tor runs");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.contains("Configuration was valid"),
        "{said}"
    );
}

/// What the Redis config promises about persistence, erasure and safety (docs/deploy.md §3).
const REDIS_PERSISTENCE_AND_SAFETY: &[&str] = &[
    "appendonly yes",
    "appendfsync everysec",
    "auto-aof-rewrite-percentage 50",
    "auto-aof-rewrite-min-size 1mb",
    "save \"\"",
    "maxmemory-policy noeviction",
    "protected-mode yes",
    "slowlog-max-len 0",
];

/// The `user lifeline` rule of the shipped Redis config, split into its parts.
fn relay_acl() -> Vec<String> {
    let text = kit_text("redis.conf");
    let line = directives(&text)
        .into_iter()
        .find(|d| d.starts_with("user lifeline "))
        .expect("a user lifeline line");
    line.split(' ').map(str::to_owned).collect()
}

#[test]
fn the_redis_config_persists_rewrites_promptly_and_gives_the_relay_a_narrow_user() {
    assert_directives("redis.conf", REDIS_PERSISTENCE_AND_SAFETY, 1);
    assert_directives(
        "redis.conf",
        &[
            "bind 127.0.0.1 -::1",
            "user default on resetpass ~* &* +@all",
        ],
        1,
    );
    assert!(
        kit_text("redis.conf").contains("\n# tls-port "),
        "the TLS option is offered"
    );
    let acl = relay_acl();
    for part in [
        "on",
        "resetkeys",
        "~ll:*",
        "resetchannels",
        "&ll:*",
        "-@all",
        "+bgrewriteaof",
    ] {
        assert!(
            acl.iter().any(|p| p == part),
            "the relay's ACL lacks {part}"
        );
    }
    for part in [
        "+@all",
        "allcommands",
        "nopass",
        "~*",
        "&*",
        "allkeys",
        "allchannels",
        "+keys",
        "+flushall",
        "+config",
    ] {
        assert!(!acl.iter().any(|p| p == part), "the relay's ACL has {part}");
    }
}

/// Every command the relay's Lua scripts call and every raw command it sends must be in the
/// ACL (the typed ones are checked live by `tests/deploy_stack.rs`, through `ACL LOG`).
#[test]
fn the_redis_acl_allows_every_command_named_in_the_store_s_source() {
    let acl = relay_acl();
    let allowed = |command: &str| {
        let command = command.to_ascii_lowercase();
        acl.iter().any(|p| {
            p.strip_prefix('+')
                .is_some_and(|c| c == command || c.starts_with(&format!("{command}|")))
        })
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut sources = vec![];
    for sub in ["redis", "tips"] {
        for entry in std::fs::read_dir(dir.join(sub))
            .expect("store sources")
            .flatten()
        {
            sources.push(std::fs::read_to_string(entry.path()).expect("source"));
        }
    }
    // KEYS and TYPE serve `dump`, the privacy tests' view of the store, never the relay.
    let test_only = ["KEYS", "TYPE"];
    let mut named = vec![];
    for text in &sources {
        for marker in ["redis.call('", "redis::cmd(\""] {
            for rest in text.split(marker).skip(1) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                named.push(name);
            }
        }
    }
    assert!(
        named.len() > 10,
        "the scan found the store's commands: {named:?}"
    );
    for name in named {
        if !test_only.contains(&name.as_str()) {
            assert!(
                allowed(&name),
                "the relay sends {name}: add it to the ACL in redis.conf"
            );
        }
    }
}

#[test]
fn nginx_accepts_the_site() {
    let Some(nginx) = program("nginx") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let site = NginxSite::configure(&dir.path().join("nginx"), 8080, &cert, &key);
    let (ok, said) = site.check(&nginx);
    assert!(
        ok && said.contains("test is successful"),
        "nginx -t:\n{said}"
    );
}

#[test]
fn redis_refuses_to_start_until_a_password_is_set_then_refuses_strangers() {
    if program("redis-server").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // As shipped: the placeholder is not a hash, so Redis will not start.
    let out = Command::new("redis-server")
        .arg(kit_file("redis.conf"))
        .args(["--port", &binary::free_port().to_string()])
        .arg("--dir")
        .arg(dir.path())
        .output()
        .expect("redis-server runs");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "Redis started without a password: {said}"
    );
    assert!(said.contains("password hash"), "{said}");

    let redis = KitRedis::start(&dir.path().join("redis"));
    for (name, want) in [
        ("appendonly", "yes"),
        ("appendfsync", "everysec"),
        ("save", ""),
        ("protected-mode", "yes"),
        ("maxmemory-policy", "noeviction"),
        ("auto-aof-rewrite-percentage", "50"),
        ("auto-aof-rewrite-min-size", "1048576"),
        ("bind", "127.0.0.1 -::1"),
    ] {
        assert_eq!(redis.setting(name), want, "Redis runs with {name}");
    }

    // No password: nothing works.
    let mut anonymous = redis.connect_as("", "").expect("a TCP connection");
    let refused: redis::RedisResult<String> = redis::cmd("PING").query(&mut anonymous);
    let err = refused.expect_err("a client without the password was served");
    assert!(
        err.to_string().to_ascii_uppercase().contains("NOAUTH"),
        "{err}"
    );
    assert!(redis.connect_as("lifeline", "not-the-password").is_err());

    // The relay's user: its keys, not others; its commands, not others.
    let mut relay = redis
        .connect_as("lifeline", &redis.password)
        .expect("relay user");
    let () = redis::cmd("SET")
        .arg("ll:kit")
        .arg("1")
        .query(&mut relay)
        .expect("SET ll:*");
    for (command, args) in [
        ("SET", vec!["other:key", "1"]),
        ("FLUSHALL", vec![]),
        ("KEYS", vec!["*"]),
        ("CONFIG", vec!["SET", "appendonly", "no"]),
        ("ACL", vec!["LIST"]),
        ("MONITOR", vec![]),
        ("SCRIPT", vec!["FLUSH"]),
        ("CLIENT", vec!["LIST"]),
    ] {
        let out: redis::RedisResult<redis::Value> =
            redis::cmd(command).arg(&args).query(&mut relay);
        let err = out.expect_err(&format!("the relay's user may run {command} {args:?}"));
        assert!(
            err.to_string().to_ascii_uppercase().contains("NOPERM"),
            "{command}: {err}"
        );
    }
    // Stopped cleanly on the file's settings, having written its append-only file.
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut redis.admin());
    let mut process = redis.process;
    let status = process.0.wait().expect("redis-server exits");
    assert!(status.success(), "redis-server stopped with {status}");
    assert!(
        dir.path().join("redis/appendonlydir").is_dir(),
        "no append-only file"
    );
}

#[test]
fn caddy_validates_the_caddyfile() {
    let Some(caddy) = program("caddy") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(caddy)
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(kit_file("Caddyfile"))
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .expect("caddy runs");
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("Valid configuration"),
        "{said}"
    );
    assert!(
        !said.contains("not formatted"),
        "run `caddy fmt --overwrite` on it: {said}"
    );
}

#[test]
fn systemd_analyze_verifies_the_unit() {
    let Some(analyze) = program("systemd-analyze") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // verify checks that ExecStart exists: point it at the binary under test.
    let unit = replaced(
        &kit_text("lifeline.service"),
        "ExecStart=/usr/local/bin/lifeline ",
        &format!("ExecStart={} ", env!("CARGO_BIN_EXE_lifeline")),
        1,
    );
    let path = dir.path().join("lifeline.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .expect("systemd-analyze runs");
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        !said.contains("lifeline.service:"),
        "systemd objects to the unit: {said}"
    );
}

/// What `docs/deploy.md` tells an operator the kit does is what the kit's files do: each
/// setting the page names (in backticks) is a directive of its file.
#[test]
fn every_setting_docs_deploy_md_names_is_in_the_kit() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/deploy.md"),
    )
    .expect("docs/deploy.md");
    let promised: [(&str, &[&str]); 4] = [
        (
            "lifeline.service",
            &[
                "DynamicUser=yes",
                "ProtectSystem=strict",
                "ProtectHome=yes",
                "PrivateTmp=yes",
                "NoNewPrivileges=yes",
                "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                "MemoryDenyWriteExecute=yes",
                "StateDirectory=lifeline",
                "LIFELINE_SERVER_LOG_LEVEL=warn",
            ],
        ),
        (
            "nginx-lifeline.conf",
            &[
                "access_log off;",
                "error_log /dev/null;",
                "server_tokens off",
            ],
        ),
        ("redis.conf", REDIS_PERSISTENCE_AND_SAFETY),
        (
            "torrc-lifeline",
            &[
                "HiddenServicePort 80 127.0.0.1:8080",
                "SafeLogging 1",
                "HiddenServicePoWDefensesEnabled 1",
            ],
        ),
    ];
    for (file, settings) in promised {
        let have = directives(&kit_text(file));
        for setting in settings {
            assert!(
                page.contains(&format!("`{setting}`")),
                "docs/deploy.md does not name `{setting}`"
            );
            assert!(
                have.iter().any(|d| d == setting
                    || d.trim_end_matches(';') == *setting
                    || d.strip_prefix("Environment=") == Some(setting)),
                "docs/deploy.md promises `{setting}`, config/deploy/{file} lacks it"
            );
        }
    }
}

/// `docs/redis.md`'s "Production settings" block shows what the kit's `redis.conf` holds:
/// every line of it is a directive of the kit (the relay's ACL line shortened with `…`), and
/// it names every persistence and safety setting the kit promises.
#[test]
fn the_production_settings_docs_redis_md_shows_are_the_kit_s() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/redis.md"),
    )
    .expect("docs/redis.md");
    let section = page
        .split("## Production settings")
        .nth(1)
        .expect("a Production settings section");
    let block = section
        .split("```conf")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a conf block");
    let shown = directives(block);
    let kit = directives(&kit_text("redis.conf"));
    let acl = relay_acl();
    for line in &shown {
        if let Some(rules) = line.strip_prefix("user lifeline ") {
            let rules = rules.split_once("resetkeys").map_or("", |(_, r)| r);
            for rule in rules.split(' ').filter(|r| !r.is_empty() && *r != "…") {
                assert!(
                    acl.iter().any(|a| a == rule),
                    "docs/redis.md: `{rule}` is not in the kit's ACL"
                );
            }
        } else {
            assert!(
                kit.contains(line),
                "docs/redis.md shows `{line}`, the kit's redis.conf lacks it"
            );
        }
    }
    for setting in REDIS_PERSISTENCE_AND_SAFETY {
        assert!(
            shown.iter().any(|d| d == setting),
            "docs/redis.md's block lacks `{setting}`"
        );
    }
}
