//! The real `lifeline serve` binary in a test: started with `LIFELINE_*` variables on free
//! loopback ports, its stdout and stderr kept for scanning, killed on drop. Included with
//! `#[path]` by the suites that need it, so other suites do not compile it.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A free loopback port: bound, then released for the program about to use it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Everything a child wrote on one stream, collected by a thread as it arrives.
fn collect(mut stream: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .expect("log buffer")
                .extend_from_slice(&buf[..n]);
        }
    });
    out
}

/// `lifeline serve` on the shipped config with `data_dir`, quick proof-of-work, and `env`
/// on top (the caller's `LIFELINE_TEST_STORE` is not a config key).
fn serve_command(data_dir: &std::path::Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lifeline"));
    command
        .arg("serve")
        .env(
            "LIFELINE_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config/lifeline.toml"),
        )
        .env_remove("LIFELINE_TEST_STORE")
        .env("LIFELINE_SERVER_DATA_DIR", data_dir)
        .env("LIFELINE_POW_BASE_DIFFICULTY", "8")
        .env("LIFELINE_POW_MAX_DIFFICULTY", "10")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// A running `lifeline serve`.
pub struct RelayProcess {
    child: Child,
    output: [Arc<Mutex<Vec<u8>>>; 2],
    /// `127.0.0.1:port` of the public listener.
    pub addr: String,
}

impl RelayProcess {
    /// Starts [`serve_command`] listening on `listen` and waits until `/healthz` answers on `listen` (or the process exits).
    pub async fn start(listen: &str, data_dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let mut child = serve_command(data_dir, env)
            .env("LIFELINE_SERVER_LISTEN", listen)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lifeline binary starts");
        let output = [
            collect(child.stdout.take().expect("stdout")),
            collect(child.stderr.take().expect("stderr")),
        ];
        let mut relay = Self {
            child,
            output,
            addr: listen.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = relay.child.try_wait() {
                panic!("lifeline serve exited ({status}):\n{}", relay.logs());
            }
            let health =
                lifeline::client::tipster::request(listen, "GET", "/healthz", None, &[]).await;
            if matches!(health, Ok((200, _))) {
                return relay;
            }
            assert!(
                Instant::now() < deadline,
                "relay not up in 20 s:\n{}",
                relay.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the relay printed so far, stdout then stderr.
    pub fn logs(&self) -> String {
        self.output
            .iter()
            .map(|o| String::from_utf8_lossy(&o.lock().expect("log buffer")).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion with `env` (for start-up failures): exit code and stderr.
pub fn run_to_exit(data_dir: &std::path::Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let (code, _, stderr) = run_to_exit_printing(data_dir, env);
    (code, stderr)
}

/// [`run_to_exit`], with what the binary printed on stdout too: exit code, stdout, stderr.
pub fn run_to_exit_printing(
    data_dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (Option<i32>, String, String) {
    let mut child = serve_command(data_dir, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lifeline binary starts");
    let stdout = collect(child.stdout.take().expect("stdout"));
    let stderr = collect(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            // The collecting threads end with the streams; give them a moment to.
            std::thread::sleep(Duration::from_millis(100));
            let text = |o: &Arc<Mutex<Vec<u8>>>| {
                String::from_utf8_lossy(&o.lock().expect("log buffer")).into_owned()
            };
            return (status.code(), text(&stdout), text(&stderr));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("lifeline serve did not exit within 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
