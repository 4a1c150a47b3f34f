//! What the shipped reverse proxies pass on to the relay, seen by a recording server in the
//! relay's place: no client address, user agent, referer, cookie or forwarding header, whatever
//! the client sends; and what they log when the relay is down (Caddy's error loggers carry the
//! client's address and headers, so the Caddyfile keeps them out). nginx runs the shipped site,
//! Caddy the shipped Caddyfile, each with test ports and a self-signed certificate only.

use crate::binary;
use crate::deploy;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use binary::free_port;
use deploy::*;

const AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) ProxyKitProbe/7.1 Gecko/20100101";
const SENT: [(&str, &str); 6] = [
    ("User-Agent", AGENT),
    ("X-Forwarded-For", "203.0.113.91, 2001:db8:91::1"),
    ("X-Real-IP", "198.51.100.91"),
    ("Forwarded", "for=203.0.113.91;proto=https"),
    ("Referer", "https://referrer-91.example/help"),
    ("Cookie", "tracker=91"),
];
/// Headers that must not reach the relay, whoever would have added them.
const NEVER_UPSTREAM: [&str; 9] = [
    "user-agent:",
    "x-forwarded-for:",
    "x-forwarded-proto:",
    "x-forwarded-host:",
    "x-real-ip:",
    "forwarded:",
    "via:",
    "referer:",
    "cookie:",
];

/// A stand-in for the relay on `port`: answers every request `200 ok` and keeps each
/// request's head (lower-cased), until the test ends.
fn recording_upstream(port: u16) -> Arc<Mutex<Vec<String>>> {
    let heads = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("upstream port");
    let kept = heads.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            kept.lock()
                .expect("heads")
                .push(String::from_utf8_lossy(&head).to_ascii_lowercase());
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    heads
}

/// `GET https://localhost:<port>/v1/config` through the proxy with every identifying header;
/// returns the status.
fn get_with_identifying_headers(port: u16, cert: &Path) -> u16 {
    let mut command = curl_to(port, cert);
    command.args(["-o", "/dev/null", "-w", "%{http_code}"]);
    for (name, value) in SENT {
        command.arg("-H").arg(format!("{name}: {value}"));
    }
    let out = command
        .arg(format!("https://localhost:{port}/v1/config"))
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn assert_nothing_passed_on(heads: &[String]) {
    assert!(!heads.is_empty(), "nothing reached the upstream");
    for head in heads {
        for name in NEVER_UPSTREAM {
            assert!(
                !head.lines().any(|l| l.starts_with(name)),
                "the proxy passed on {name}\n{head}"
            );
        }
        for (_, value) in SENT {
            assert!(
                !head.contains(&value.to_ascii_lowercase()),
                "{value} reached the relay:\n{head}"
            );
        }
        // On loopback the client's address is the relay's own, which `host:` names.
        let beyond_host = head.lines().filter(|l| !l.starts_with("host:"));
        assert!(
            !beyond_host.into_iter().any(|l| l.contains("127.0.0.1")),
            "the client's address reached the relay:\n{head}"
        );
    }
}

#[test]
fn nginx_passes_no_address_agent_or_forwarded_header_to_the_relay() {
    let (Some(nginx), Some(_)) = (program("nginx"), program("curl")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let upstream = free_port();
    let heads = recording_upstream(upstream);
    let nginx =
        NginxSite::configure(&dir.path().join("nginx"), upstream, &cert, &key).start(&nginx);
    assert_eq!(
        get_with_identifying_headers(nginx.site.https_port, &cert),
        200
    );
    assert_nothing_passed_on(&heads.lock().unwrap());
}

/// The shipped Caddyfile with test ports, the test certificate and `upstream` as the relay;
/// no admin endpoint (it would fight other tests for port 2019).
fn caddyfile_for_test(https: u16, http: u16, upstream: u16, cert: &Path, key: &Path) -> String {
    let text = kit_text("Caddyfile");
    let text = replaced(
        &text,
        "\tlog default {",
        &format!("\tadmin off\n\thttp_port {http}\n\thttps_port {https}\n\tlog default {{"),
        1,
    );
    let text = replaced(
        &text,
        "help.example.org {",
        &format!(
            "localhost:{https} {{\n\ttls {} {}",
            cert.display(),
            key.display()
        ),
        1,
    );
    replaced(
        &text,
        "reverse_proxy 127.0.0.1:8080 {",
        &format!("reverse_proxy 127.0.0.1:{upstream} {{"),
        1,
    )
}

#[test]
fn caddy_passes_no_address_agent_or_forwarded_header_and_logs_no_one_when_the_relay_is_down() {
    let (Some(caddy), Some(_)) = (program("caddy"), program("curl")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let (https, http, upstream) = (free_port(), free_port(), free_port());
    let file = dir.path().join("Caddyfile");
    std::fs::write(
        &file,
        caddyfile_for_test(https, http, upstream, &cert, &key),
    )
    .unwrap();
    let log = dir.path().join("caddy.log");
    let child = Command::new(caddy)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&file)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("caddy starts");
    let _caddy = Running(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", https)).is_err() {
        assert!(
            Instant::now() < deadline,
            "caddy not up:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The relay down: Caddy answers 502, and its log names nobody.
    assert_eq!(get_with_identifying_headers(https, &cert), 502);
    // Up: what reaches it.
    let heads = recording_upstream(upstream);
    assert_eq!(get_with_identifying_headers(https, &cert), 200);
    assert_nothing_passed_on(&heads.lock().unwrap());

    let logged = std::fs::read_to_string(&log).unwrap();
    for (_, value) in SENT {
        assert!(!logged.contains(value), "Caddy logged {value}:\n{logged}");
    }

    assert!(
        !logged.contains("\"remote_ip\""),
        "Caddy logged a client:\n{logged}"
    );
}
