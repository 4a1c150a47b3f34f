//! The processes of a run: the relay, the bare-stack server, redis-server and the client
//! workers; reading a server's memory and CPU time from /proc.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use lifeline::config::Config;

use crate::job::{Job, Report};

static OWN_EXE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// This program's path, as it was at start: building the relay may replace the file (then
/// `/proc/self/exe` reads "… (deleted)"), and workers are started from the path.
pub fn own_exe() -> PathBuf {
    OWN_EXE
        .get_or_init(|| std::env::current_exe().expect("own path"))
        .clone()
}

/// Every child's pid, so the watchdog can stop them all if a run overstays.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Kills every child still running (`kill -9 <pid>` each) and leaves; for the watchdog.
pub fn kill_children_and_exit(code: i32) -> ! {
    let pids = CHILDREN.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for pid in pids {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    std::process::exit(code);
}

/// A child process, killed when dropped.
pub struct Proc {
    pub child: Child,
    pub lines: Receiver<String>,
    pub name: String,
}

impl Proc {
    pub fn spawn(mut command: Command, name: &str) -> Self {
        command.stdout(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        CHILDREN
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(child.id());
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            name: name.to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The first stdout line containing `needle`, within `timeout`.
    pub fn wait_line(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("{} did not say {needle:?} within {timeout:?}", self.name),
            }
        }
    }

    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }

    pub fn cpu_s(&self) -> f64 {
        cpu_seconds(self.pid())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` of a process, KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// utime + stime of a process (all its threads), seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / clock_ticks()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free loopback port")
        .local_addr()
        .expect("local address")
        .port()
}

/// How the server side and the client side share the machine's cores.
#[derive(Clone, Copy)]
pub struct Pinning {
    pub enabled: bool,
}

impl Pinning {
    pub fn detect() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let taskset = Command::new("taskset")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        Self {
            enabled: cores >= 2 && taskset,
        }
    }

    /// Servers run on CPU 0, clients on CPU 1 (when there are two cores and `taskset`).
    pub fn command(&self, program: &Path, server: bool) -> Command {
        if self.enabled {
            let mut c = Command::new("taskset");
            c.args(["-c", if server { "0" } else { "1" }]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }
}

/// A server under test: the relay or the bare stack, with its Redis if any.
pub struct Server {
    pub proc: Proc,
    pub addr: String,
    pub data_dir: PathBuf,
    pub redis: Option<Proc>,
}

/// A command with no `LIFELINE_*` variables of the caller's, one tokio worker thread.
fn server_command(pinning: Pinning, program: &Path) -> Command {
    let mut command = pinning.command(program, true);
    for (name, _) in std::env::vars() {
        if name.starts_with("LIFELINE_") {
            command.env_remove(name);
        }
    }
    command.env("TOKIO_WORKER_THREADS", "1");
    command
}

pub fn start_redis(pinning: Pinning, dir: &Path) -> Proc {
    let port = free_port();
    std::fs::create_dir_all(dir).expect("redis folder");
    let mut command = pinning.command(Path::new("redis-server"), true);
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir);
    let proc = Proc::spawn(command, "redis-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut proc = proc;
    proc.name = format!("redis://127.0.0.1:{port}/0");
    proc
}

/// Starts `lifeline serve` with a config of its own in `data_dir`: loopback, development
/// keys, proof-of-work fixed at `difficulty`, and per-connection limits raised so one
/// connection can carry benchmark traffic.
pub fn start_relay(
    pinning: Pinning,
    binary: &Path,
    data_dir: &Path,
    difficulty: u8,
    redis: Option<Proc>,
) -> Server {
    std::fs::create_dir_all(data_dir).expect("relay data folder");
    let port = free_port();
    let mut config = Config::defaults();
    config.server.listen = format!("127.0.0.1:{port}");
    config.server.data_dir = data_dir.to_path_buf();
    config.server.log_level = "warn".into();
    // Several nodes run on one machine: no metrics listener, so no shared port to fight over.
    config.server.metrics_listen = String::new();
    if let Some(redis) = &redis {
        config.store.kind = lifeline::config::StoreKind::Redis;
        config.store.redis_url = redis.name.clone();
    }
    config.sessions.queue_max = 50_000;
    config.sessions.buffer_max_frames = 65_536;
    config.sessions.buffer_max_bytes = 512 << 20;
    config.limits.max_connections = 30_000;
    config.limits.frames_per_s = 1_000_000;
    config.limits.frames_burst = 1_000_000;
    config.limits.bytes_per_s = 1 << 30;
    config.limits.idle_timeout_s = 600;
    config.pow.base_difficulty = difficulty;
    config.pow.max_difficulty = difficulty;
    config.pow.visitors_per_step = 1_000_000;
    let path = data_dir.join("lifeline.toml");
    let text = toml::to_string(&config).expect("config serialises");
    std::fs::write(&path, text).expect("write config");
    let mut command = server_command(pinning, binary);
    command.arg("--config").arg(&path).arg("serve");
    let proc = Proc::spawn(command, "lifeline serve");
    proc.wait_line("listening on", Duration::from_secs(30));
    Server {
        proc,
        addr: format!("127.0.0.1:{port}"),
        data_dir: data_dir.to_path_buf(),
        redis,
    }
}

/// A second relay node beside `first`: the same configuration, keys and Redis, another port.
pub fn start_second_node(pinning: Pinning, binary: &Path, first: &Server) -> Server {
    let text = std::fs::read_to_string(first.data_dir.join("lifeline.toml")).expect("config");
    let mut config: Config = toml::from_str(&text).expect("config parses");
    let port = free_port();
    config.server.listen = format!("127.0.0.1:{port}");
    let path = first.data_dir.join("lifeline-second-node.toml");
    std::fs::write(&path, toml::to_string(&config).expect("config serialises")).expect("write");
    let mut command = server_command(pinning, binary);
    command.arg("--config").arg(&path).arg("serve");
    let proc = Proc::spawn(command, "lifeline serve (second node)");
    proc.wait_line("listening on", Duration::from_secs(30));
    Server {
        proc,
        addr: format!("127.0.0.1:{port}"),
        data_dir: first.data_dir.clone(),
        redis: None,
    }
}

pub fn start_baseline(pinning: Pinning) -> Server {
    let exe = own_exe();
    let mut command = server_command(pinning, &exe);
    command.arg("--baseline-server");
    let proc = Proc::spawn(command, "baseline server");
    let line = proc.wait_line("baseline listening on", Duration::from_secs(10));
    let addr = line
        .rsplit(' ')
        .next()
        .expect("an address")
        .trim()
        .to_owned();
    Server {
        proc,
        addr,
        data_dir: PathBuf::new(),
        redis: None,
    }
}

/// A client worker process running one job.
pub struct Worker {
    proc: Proc,
    stdin: ChildStdin,
}

impl Worker {
    pub fn spawn(pinning: Pinning, job: &Job) -> Self {
        let exe = own_exe();
        let mut command = pinning.command(&exe, false);
        command
            .arg("--worker")
            .arg(serde_json::to_string(job).expect("job serialises"))
            .stdin(Stdio::piped());
        let mut proc = Proc::spawn(command, "worker");
        let stdin = proc.child.stdin.take().expect("piped stdin");
        Self { proc, stdin }
    }

    /// The worker's next report within `timeout`, or `None`.
    pub fn report(&self, timeout: Duration) -> Option<Report> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.proc.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Ok(report) = serde_json::from_str(&line) {
                        return Some(report);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    pub fn go(&mut self) {
        let _ = writeln!(self.stdin, "go");
        let _ = self.stdin.flush();
    }
}
