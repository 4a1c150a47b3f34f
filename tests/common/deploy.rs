//! The deployment kit's programs in a test: the shipped files of `config/deploy/`, a
//! `redis-server` on the shipped Redis config and an nginx on the shipped site, both on free
//! loopback ports in a temporary folder, stopped on drop. Included with `#[path]` by the
//! kit's suites only. Test-only changes to a shipped file go through [`replaced`], which
//! fails if the text it replaces is gone, so the test always runs the file that ships.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lifeline::crypto::keys::{hex, random_bytes};

/// A file of the kit.
pub fn kit_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config/deploy")
        .join(name)
}

/// The text of a file of the kit.
pub fn kit_text(name: &str) -> String {
    std::fs::read_to_string(kit_file(name)).unwrap_or_else(|e| panic!("config/deploy/{name}: {e}"))
}

/// `text` with every `from` replaced by `to`; fails unless `from` occurs exactly `times`.
pub fn replaced(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(
        text.matches(from).count(),
        times,
        "the shipped file no longer has {from:?} {times} time(s)"
    );
    text.replace(from, to)
}

/// The program's path, or `None` (printing why the check is skipped) where it is not
/// installed, outside CI only. nginx lives in /usr/sbin, which is not on every user's PATH.
pub fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file());
    // Under CI (.ci/test installs every one of them) a missing program is a broken install,
    // not a machine without it: the privacy checks it runs must not pass unrun.
    assert!(
        found.is_some() || std::env::var_os("CI_REQUIRE_DEPLOY_TOOLS").is_none(),
        "`{name}` is not installed, and CI must run the checks that need it"
    );
    if found.is_none() {
        eprintln!("SKIPPED: `{name}` is not installed here (.ci/test installs it)");
    }
    found
}

/// A child process killed and reaped on drop, so a failing test leaves nothing running.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `127.0.0.1:port` accepts, failing with `log` if `child` exits first.
fn wait_for_port(child: &mut Child, port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited ({status}):\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "{what} not listening in 15 s");
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// A self-signed certificate for `localhost` and its key, written into `dir` as PEM.
pub fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).expect("write certificate");
    std::fs::write(&key, generated.signing_key.serialize_pem()).expect("write key");
    (cert, key)
}

/// curl to `https://localhost:<port>` on loopback, trusting only the test certificate.
pub fn curl_to(port: u16, cert: &Path) -> Command {
    let mut command = Command::new("curl");
    command
        .args(["-sS", "--http1.1", "--max-time", "20"])
        .args(curl_trust(port, cert));
    command
}

/// The options that make curl trust the test certificate for `localhost:<port>` on loopback.
pub fn curl_trust(port: u16, cert: &Path) -> Vec<String> {
    vec![
        "--cacert".into(),
        cert.display().to_string(),
        "--resolve".into(),
        format!("localhost:{port}:127.0.0.1"),
    ]
}

/// SHA-256 in hex: how the shipped Redis config takes the relay's password.
pub fn sha256_hex(text: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}

/// `redis-server` on the shipped `redis.conf`: its password hash filled in, and on the
/// command line only a free port, the test's folder (and pid file) and a test-only `admin` user (to read
/// `ACL LOG` and the live settings; the relay's user is the shipped one).
pub struct KitRedis {
    pub process: Running,
    pub port: u16,
    /// The relay user's password.
    pub password: String,
    admin_password: String,
    pub log: PathBuf,
    dir: PathBuf,
}

impl KitRedis {
    pub fn start(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).expect("redis folder");
        let password = hex(&random_bytes::<16>());
        let admin_password = hex(&random_bytes::<16>());
        let conf = dir.join("redis.conf");
        let text = replaced(
            &kit_text("redis.conf"),
            "#LIFELINE-PASSWORD-SHA256",
            &format!("#{}", sha256_hex(&password)),
            1,
        );
        std::fs::write(&conf, text).expect("write redis.conf");
        let port = crate::binary::free_port();
        let log = dir.join("redis.log");
        let process = Self::spawn(dir, port, &admin_password, &log);
        Self {
            process,
            port,
            password,
            admin_password,
            log,
            dir: dir.to_path_buf(),
        }
    }

    fn spawn(dir: &Path, port: u16, admin_password: &str, log: &Path) -> Running {
        let admin = format!(">{admin_password}");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("redis log");
        let mut child = Command::new("redis-server")
            .arg(dir.join("redis.conf"))
            .args(["--port", &port.to_string()])
            .arg("--dir")
            .arg(dir)
            .arg("--pidfile")
            .arg(dir.join("redis.pid"))
            .args(["--user", "admin", "on", &admin, "~*", "&*", "+@all"])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        wait_for_port(&mut child, port, "redis-server", log);
        Running(child)
    }

    /// Kills Redis as a crash or power cut would (after the second `appendfsync everysec`
    /// may take), and starts it again on the same files and port: it loads its append-only
    /// file.
    pub fn crash_and_restart(&mut self) {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let _ = self.process.0.kill();
        let _ = self.process.0.wait();
        self.process = Self::spawn(&self.dir, self.port, &self.admin_password, &self.log);
    }

    /// The URL the relay is given: the shipped `lifeline` user.
    pub fn relay_url(&self) -> String {
        format!(
            "redis://lifeline:{}@127.0.0.1:{}/0",
            self.password, self.port
        )
    }

    /// A connection as `user` with `password` (empty: no AUTH at all).
    pub fn connect_as(&self, user: &str, password: &str) -> redis::RedisResult<redis::Connection> {
        let url = if password.is_empty() {
            format!("redis://127.0.0.1:{}/0", self.port)
        } else {
            format!("redis://{user}:{password}@127.0.0.1:{}/0", self.port)
        };
        redis::Client::open(url)?.get_connection()
    }

    /// The test's own admin connection.
    pub fn admin(&self) -> redis::Connection {
        self.connect_as("admin", &self.admin_password)
            .expect("admin connection")
    }

    /// A live setting, as Redis applied it from the file.
    pub fn setting(&self, name: &str) -> String {
        let pair: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query(&mut self.admin())
            .expect("CONFIG GET");
        pair.get(1).cloned().unwrap_or_default()
    }
}

/// nginx on the shipped site, as Debian runs it: a main config that logs every request and
/// every error at `info` into `logs/` (what Debian's nginx.conf does in /var/log/nginx),
/// the site included with test ports and a self-signed certificate. Beside it a control
/// site with Debian's default logging, into `control/`, to prove the scan finds what a log
/// holds.
pub struct NginxSite {
    pub https_port: u16,
    pub http_port: u16,
    pub control_port: u16,
    pub dir: PathBuf,
}

/// A started [`NginxSite`].
pub struct KitNginx {
    pub site: NginxSite,
    process: Running,
}

impl NginxSite {
    /// Writes the configuration into `dir`.
    pub fn configure(dir: &Path, relay_port: u16, cert: &Path, key: &Path) -> Self {
        for sub in ["logs", "control", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).expect("nginx folders");
        }
        let (https_port, http_port, control_port) = (
            crate::binary::free_port(),
            crate::binary::free_port(),
            crate::binary::free_port(),
        );
        let site = kit_text("nginx-lifeline.conf");
        let site = replaced(
            &site,
            "listen 80;",
            &format!("listen 127.0.0.1:{http_port};"),
            1,
        );
        let site = replaced(
            &site,
            "listen 443 ssl;",
            &format!("listen 127.0.0.1:{https_port} ssl;"),
            1,
        );
        // The test machine may have no IPv6 loopback.
        let site = replaced(&site, "listen [::]:80;", "", 1);
        let site = replaced(&site, "listen [::]:443 ssl;", "", 1);
        let site = replaced(
            &site,
            "/etc/letsencrypt/live/help.example.org/fullchain.pem",
            &cert.display().to_string(),
            1,
        );
        let site = replaced(
            &site,
            "/etc/letsencrypt/live/help.example.org/privkey.pem",
            &key.display().to_string(),
            1,
        );
        let site = replaced(
            &site,
            "proxy_pass http://127.0.0.1:8080;",
            &format!("proxy_pass http://127.0.0.1:{relay_port};"),
            1,
        );
        std::fs::write(dir.join("lifeline.conf"), site).expect("write site");
        let d = dir.display();
        let main = format!(
            "master_process off;\n\
             daemon off;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/logs/error.log info;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
             access_log {d}/logs/access.log;\n\
             client_body_temp_path {d}/tmp/body;\n\
             proxy_temp_path {d}/tmp/proxy;\n\
             fastcgi_temp_path {d}/tmp/fastcgi;\n\
             uwsgi_temp_path {d}/tmp/uwsgi;\n\
             scgi_temp_path {d}/tmp/scgi;\n\
             include {d}/lifeline.conf;\n\
             server {{\n\
             listen 127.0.0.1:{control_port};\n\
             access_log {d}/control/access.log;\n\
             error_log {d}/control/error.log info;\n\
             add_header Set-Cookie \"visitor=1\";\n\
             location / {{ return 200 \"control\\n\"; }}\n\
             }}\n\
             }}\n"
        );
        std::fs::write(dir.join("nginx.conf"), main).expect("write nginx.conf");
        Self {
            https_port,
            http_port,
            control_port,
            dir: dir.to_path_buf(),
        }
    }

    /// `nginx -t` on the configuration: exit status and what it said.
    pub fn check(&self, nginx: &Path) -> (bool, String) {
        let out = Command::new(nginx)
            .arg("-t")
            .args(Self::args(&self.dir))
            .output()
            .expect("nginx -t runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn args(dir: &Path) -> Vec<String> {
        let d = dir.display();
        vec![
            "-p".into(),
            format!("{d}/"),
            "-c".into(),
            format!("{d}/nginx.conf"),
            "-e".into(),
            format!("{d}/logs/error.log"),
        ]
    }

    /// Starts nginx on it and waits for both of its sites.
    pub fn start(self, nginx: &Path) -> KitNginx {
        let mut child = Command::new(nginx)
            .args(Self::args(&self.dir))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let log = self.dir.join("logs/error.log");
        wait_for_port(&mut child, self.https_port, "nginx", &log);
        wait_for_port(&mut child, self.control_port, "nginx", &log);
        KitNginx {
            site: self,
            process: Running(child),
        }
    }
}

impl KitNginx {
    /// Everything in the files under `sub` (`logs` or `control`).
    pub fn logs(&self, sub: &str) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(self.site.dir.join(sub))
            .expect("log folder")
            .flatten()
        {
            text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        text
    }
}
