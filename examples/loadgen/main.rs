//! Load generator for the Lifeline relay, measured against the bare stack in the same run.
//!
//! ```sh
//! cargo run --release --example loadgen -- --quick   # about 40 s
//! cargo run --release --example loadgen              # the full run, under 3 minutes
//! cargo run --release --example loadgen -- --smoke   # CI: checks delivery, asserts no timing
//! ```
//!
//! It builds and starts `target/release/lifeline serve` as a separate process (temporary data
//! folder, development keys, loopback), a bare-stack echo server (`--baseline-server`, axum
//! WebSocket, no protocol, no store) and its own `redis-server`, and drives them from several
//! worker processes (`--worker`) built on `lifeline::client`. With two cores, servers run on
//! CPU 0 with one tokio worker thread and the clients on CPU 1. Memory and CPU time are read
//! from /proc. See docs/benchmarks.md for what the figures mean.

mod baseline;
mod job;
mod procs;
mod targets;
mod worker;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use base64::Engine;
use clap::Parser;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;

use job::{Job, Kind, Outcome, Report, Target};
use procs::{Pinning, Server, Worker};

#[derive(Parser, Debug)]
#[command(about = "Lifeline load generator and bare-stack comparison")]
struct Args {
    /// A short run (under 40 s).
    #[arg(long)]
    quick: bool,
    /// The CI smoke: a few hundred connections, a few seconds; fails only if a message was
    /// lost, duplicated or reordered.
    #[arg(long)]
    smoke: bool,
    /// Skip the Redis store (it is skipped anyway in --smoke unless --redis).
    #[arg(long)]
    no_redis: bool,
    /// With --smoke: include the Redis store.
    #[arg(long)]
    redis: bool,
    /// Proof-of-work difficulty for the "proof-of-work on" set-up figure (the default config's).
    #[arg(long, default_value_t = 16)]
    pow_difficulty: u8,
    /// Messages per second offered in the open-loop phases.
    #[arg(long)]
    rate: Option<f64>,
    /// Idle connections to hold.
    #[arg(long)]
    idle: Option<usize>,
    /// Length of each message phase, milliseconds.
    #[arg(long)]
    message_ms: Option<u64>,
    /// Only these phases (comma separated: idle, setup, messages); for profiling.
    #[arg(long)]
    only: Option<String>,
    /// The relay binary (default: built with cargo next to this example).
    #[arg(long)]
    relay_bin: Option<PathBuf>,
    /// Internal: run one worker job (JSON).
    #[arg(long, hide = true)]
    worker: Option<String>,
    /// Internal: be the bare-stack echo server.
    #[arg(long, hide = true)]
    baseline_server: bool,
}

/// Sizes of a run.
#[derive(Debug, Clone)]
struct Profile {
    name: &'static str,
    workers: usize,
    idle: usize,
    /// Longest the idle connections may take to open; what is held then is measured.
    idle_ramp_ms: u64,
    streams_per_worker: usize,
    rate: f64,
    window: usize,
    message_ms: u64,
    setup_ms: u64,
    setup_concurrency: usize,
    pow_ms: u64,
    redis: bool,
    /// The whole run must end within this.
    budget: Duration,
}

impl Profile {
    fn from(args: &Args) -> Self {
        let mut p = if args.smoke {
            Profile {
                name: "smoke",
                workers: 2,
                idle: 300,
                idle_ramp_ms: 10000,
                streams_per_worker: 8,
                rate: 2_000.0,
                window: 8,
                message_ms: 500,
                setup_ms: 300,
                setup_concurrency: 2,
                pow_ms: 300,
                redis: args.redis,
                budget: Duration::from_secs(90),
            }
        } else if args.quick {
            Profile {
                name: "quick",
                workers: 3,
                idle: 2_000,
                idle_ramp_ms: 8000,
                streams_per_worker: 24,
                rate: 40_000.0,
                window: 16,
                message_ms: 1_000,
                setup_ms: 700,
                setup_concurrency: 8,
                pow_ms: 700,
                redis: !args.no_redis,
                budget: Duration::from_secs(120),
            }
        } else {
            Profile {
                name: "full",
                workers: 3,
                idle: 19_000,
                idle_ramp_ms: 25000,
                streams_per_worker: 48,
                rate: 40_000.0,
                window: 16,
                message_ms: 3_000,
                setup_ms: 2_000,
                setup_concurrency: 8,
                pow_ms: 1_500,
                redis: !args.no_redis,
                budget: Duration::from_secs(400),
            }
        };
        if let Some(rate) = args.rate {
            p.rate = rate;
        }
        if let Some(idle) = args.idle {
            p.idle = idle;
        }
        if let Some(ms) = args.message_ms {
            p.message_ms = ms;
        }
        if args.no_redis {
            p.redis = false;
        }
        p
    }
}

/// What the workers of one phase measured, merged, with the server's side of it.
#[derive(Default)]
struct Measured {
    ok: u64,
    failures: u64,
    sent: u64,
    received: u64,
    order_errors: u64,
    incomplete_streams: u64,
    histogram: Option<Histogram<u64>>,
    elapsed_s: f64,
    first_error: Option<String>,
    server_cpu_s: f64,
    /// A second relay node's CPU in the same phase (two nodes, one Redis), seconds.
    peer_cpu_s: f64,
    redis_cpu_s: f64,
    /// Idle: resident memory growth of the server (and of Redis), KiB.
    rss_delta_kib: f64,
    redis_rss_delta_kib: f64,
    held: u64,
}

impl Measured {
    fn rate(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.ok as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    fn quantile_ms(&self, q: f64) -> f64 {
        self.histogram
            .as_ref()
            .map_or(0.0, |h| h.value_at_quantile(q) as f64 / 1000.0)
    }

    /// Server CPU microseconds per unit of work (messages received, set-ups).
    fn cpu_us(&self) -> f64 {
        let units = self.received.max(self.ok);
        if units == 0 {
            0.0
        } else {
            self.server_cpu_s * 1e6 / units as f64
        }
    }

    fn redis_cpu_us(&self) -> f64 {
        self.per_unit_us(self.redis_cpu_s)
    }

    /// Both relay nodes' CPU per unit of work (one node: the server's alone).
    fn relays_cpu_us(&self) -> f64 {
        self.per_unit_us(self.server_cpu_s + self.peer_cpu_s)
    }

    fn per_unit_us(&self, cpu_s: f64) -> f64 {
        let units = self.received.max(self.ok);
        if units == 0 {
            0.0
        } else {
            cpu_s * 1e6 / units as f64
        }
    }

    fn per_connection_kib(&self) -> f64 {
        if self.held == 0 {
            0.0
        } else {
            self.rss_delta_kib / self.held as f64
        }
    }

    /// Delivered exactly once and in order, every message sent.
    fn delivery_ok(&self) -> bool {
        self.sent > 0
            && self.received == self.sent
            && self.order_errors == 0
            && self.incomplete_streams == 0
    }

    fn absorb(&mut self, outcome: Outcome) {
        self.ok += outcome.ok;
        self.failures += outcome.failures;
        self.sent += outcome.sent;
        self.received += outcome.received;
        self.order_errors += outcome.order_errors;
        self.incomplete_streams += outcome.incomplete_streams;
        self.elapsed_s = self.elapsed_s.max(outcome.elapsed_s);
        if self.first_error.is_none() {
            self.first_error = outcome.first_error;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(outcome.histogram.as_bytes())
            .unwrap_or_default();
        if let Ok(h) = Deserializer::new().deserialize::<u64, _>(&mut bytes.as_slice()) {
            match self.histogram.as_mut() {
                Some(all) => {
                    let _ = all.add(h);
                }
                None => self.histogram = Some(h),
            }
        }
    }
}

/// Runs one phase on `server` with one job per worker; `count` is split between workers.
fn phase(
    pinning: Pinning,
    server: &Server,
    template: &Job,
    workers: usize,
    count_total: usize,
    label: &str,
) -> Measured {
    phase_with(pinning, server, None, template, workers, count_total, label)
}

/// [`phase`], with a second relay node (`peer`) whose CPU time is measured too.
fn phase_with(
    pinning: Pinning,
    server: &Server,
    peer: Option<&Server>,
    template: &Job,
    workers: usize,
    count_total: usize,
    label: &str,
) -> Measured {
    let began = Instant::now();
    let rss_before = server.proc.rss_kib();
    let redis_rss_before = server.redis.as_ref().map_or(0, |r| r.rss_kib());
    let mut spawned: Vec<Worker> = (0..workers)
        .map(|w| {
            let mut job = template.clone();
            job.worker = w as u32;
            job.count = count_total / workers + usize::from(w < count_total % workers);
            job.rate = template.rate / workers as f64;
            Worker::spawn(pinning, &job)
        })
        .collect();
    let mut measured = Measured::default();
    let ready_timeout = Duration::from_secs(150);
    for worker in &spawned {
        match worker.report(ready_timeout) {
            Some(Report::Ready { ok, failures }) => {
                measured.held += ok;
                measured.failures += failures;
            }
            other => eprintln!("{label}: a worker did not get ready: {other:?}"),
        }
    }
    if template.kind == Kind::Idle {
        measured.rss_delta_kib = server.proc.rss_kib().saturating_sub(rss_before) as f64;
        measured.redis_rss_delta_kib = server
            .redis
            .as_ref()
            .map_or(0, |r| r.rss_kib().saturating_sub(redis_rss_before))
            as f64;
    }
    let cpu_before = server.proc.cpu_s();
    let peer_cpu_before = peer.map_or(0.0, |p| p.proc.cpu_s());
    let redis_cpu_before = server.redis.as_ref().map_or(0.0, |r| r.cpu_s());
    for worker in &mut spawned {
        worker.go();
    }
    let done_timeout = Duration::from_millis(template.duration_ms) + Duration::from_secs(60);
    for worker in &spawned {
        match worker.report(done_timeout) {
            Some(Report::Done(outcome)) => measured.absorb(outcome),
            other => {
                measured.failures += 1;
                eprintln!("{label}: a worker did not finish: {other:?}");
            }
        }
    }
    measured.server_cpu_s = server.proc.cpu_s() - cpu_before;
    measured.peer_cpu_s = peer.map_or(0.0, |p| p.proc.cpu_s()) - peer_cpu_before;
    measured.redis_cpu_s = server.redis.as_ref().map_or(0.0, |r| r.cpu_s()) - redis_cpu_before;
    drop(spawned);
    eprintln!(
        "  {label}: {:.1} s, ok {}, failures {}{}",
        began.elapsed().as_secs_f64(),
        measured.ok.max(measured.held),
        measured.failures,
        measured
            .first_error
            .as_deref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    measured
}

/// All the figures for one server.
#[derive(Default)]
struct Figures {
    idle: Option<Measured>,
    setup: Option<Measured>,
    arrival: Option<Measured>,
    setup_pow: Option<Measured>,
    /// Open loop and saturation, each encrypted and pre-encrypted (the bare stack has only
    /// pre-encrypted frames: it does not speak the protocol).
    open_e2e: Option<Measured>,
    open_pre: Option<Measured>,
    sat_e2e: Option<Measured>,
    sat_pre: Option<Measured>,
}

struct Run {
    args: Args,
    profile: Profile,
    pinning: Pinning,
    relay_bin: PathBuf,
    tmp: tempfile::TempDir,
}

impl Run {
    fn wants(&self, phase: &str) -> bool {
        self.args
            .only
            .as_deref()
            .is_none_or(|only| only.split(',').any(|p| p.trim() == phase))
    }

    fn job(&self, server: &Server, target: Target, kind: Kind) -> Job {
        Job {
            kind,
            target,
            addr: server.addr.clone(),
            coordinator_addr: None,
            data_dir: server.data_dir.to_string_lossy().into_owned(),
            worker: 0,
            count: 0,
            concurrency: 200,
            rate: 0.0,
            window: self.profile.window,
            encrypted: false,
            duration_ms: 0,
        }
    }

    /// `idle`: connections to hold.
    fn measure(&self, server: &Server, target: Target, label: &str, idle: usize) -> Figures {
        let p = &self.profile;
        let mut f = Figures::default();
        if self.wants("idle") {
            let mut job = self.job(server, target, Kind::Idle);
            job.duration_ms = p.idle_ramp_ms;
            f.idle = Some(phase(
                self.pinning,
                server,
                &job,
                p.workers,
                idle,
                &format!("{label} idle"),
            ));
            // Let the server release what closing 19,000 sessions freed before going on.
            std::thread::sleep(Duration::from_millis(500));
        }
        if self.wants("setup") {
            let run_loops = |kind: Kind, name: &str| {
                let mut job = self.job(server, target, kind);
                job.concurrency = p.setup_concurrency;
                job.duration_ms = p.setup_ms;
                let title = format!("{label} {name}");
                Some(phase(self.pinning, server, &job, p.workers, 0, &title))
            };
            f.setup = run_loops(Kind::Setup, "set-ups");
            if target == Target::Lifeline {
                f.arrival = run_loops(Kind::Arrival, "arrivals");
            }
        }
        if self.wants("messages") {
            let streams = p.streams_per_worker * p.workers;
            let modes: &[(bool, bool)] = match target {
                Target::Lifeline => &[(true, true), (true, false), (false, true), (false, false)],
                Target::Echo => &[(true, false), (false, false)],
            };
            for &(open, encrypted) in modes {
                let mut job = self.job(server, target, Kind::Messages);
                job.rate = if open { p.rate } else { 0.0 };
                job.encrypted = encrypted;
                job.duration_ms = p.message_ms;
                let name = format!(
                    "{label} messages {} {}",
                    if open { "open-loop" } else { "saturation" },
                    if encrypted { "e2e" } else { "pre-encrypted" }
                );
                let m = phase(self.pinning, server, &job, p.workers, streams, &name);
                let slot = match (open, encrypted) {
                    (true, true) => &mut f.open_e2e,
                    (true, false) => &mut f.open_pre,
                    (false, true) => &mut f.sat_e2e,
                    (false, false) => &mut f.sat_pre,
                };
                *slot = Some(m);
            }
        }
        f
    }

    fn relay(&self, name: &str, difficulty: u8, redis: bool) -> Server {
        let dir = self.tmp.path().join(name);
        let redis = redis.then(|| procs::start_redis(self.pinning, &dir.join("redis")));
        procs::start_relay(
            self.pinning,
            &self.relay_bin,
            &dir.join("relay"),
            difficulty,
            redis,
        )
    }

    /// Saturation, encrypted and pre-encrypted, with visitors on `first` and their
    /// coordinators on a second node on the same Redis: every message crosses nodes.
    /// Server CPU is the first node's; both nodes' is kept beside it.
    fn two_nodes(&self, first: &Server) -> Option<Figures> {
        if !self.wants("messages") {
            return None;
        }
        let second = procs::start_second_node(self.pinning, &self.relay_bin, first);
        let p = &self.profile;
        let mut f = Figures::default();
        for encrypted in [true, false] {
            let mut job = self.job(first, Target::Lifeline, Kind::Messages);
            job.coordinator_addr = Some(second.addr.clone());
            job.encrypted = encrypted;
            job.duration_ms = p.message_ms;
            let name = format!(
                "redis two nodes messages saturation {}",
                if encrypted { "e2e" } else { "pre-encrypted" }
            );
            let m = phase_with(
                self.pinning,
                first,
                Some(&second),
                &job,
                p.workers,
                p.streams_per_worker * p.workers,
                &name,
            );
            if encrypted {
                f.sat_e2e = Some(m);
            } else {
                f.sat_pre = Some(m);
            }
        }
        Some(f)
    }

    /// Set-ups with proof-of-work at the configured difficulty, on a relay of its own.
    fn setup_with_pow(&self, redis: bool) -> Option<Measured> {
        if !self.wants("setup") {
            return None;
        }
        let name = if redis { "redis-pow" } else { "memory-pow" };
        let server = self.relay(name, self.args.pow_difficulty, redis);
        let mut job = self.job(&server, Target::Lifeline, Kind::Setup);
        job.concurrency = self.profile.setup_concurrency;
        job.duration_ms = self.profile.pow_ms;
        Some(phase(
            self.pinning,
            &server,
            &job,
            self.profile.workers,
            0,
            &format!(
                "{name} set-ups, proof-of-work {} bits",
                self.args.pow_difficulty
            ),
        ))
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(job) = &args.worker {
        return worker::run(job);
    }
    if args.baseline_server {
        return baseline::serve();
    }
    procs::own_exe();
    raise_file_limit();
    let profile = Profile::from(&args);
    let relay_bin = args.relay_bin.clone().unwrap_or_else(build_relay);
    let budget = profile.budget;
    std::thread::spawn(move || {
        std::thread::sleep(budget);
        eprintln!("loadgen: the run overstayed its {budget:?} budget; stopping everything");
        procs::kill_children_and_exit(5);
    });
    let run = Run {
        pinning: Pinning::detect(),
        profile,
        relay_bin,
        tmp: tempfile::tempdir().expect("temporary folder"),
        args,
    };
    let started = Instant::now();
    eprintln!(
        "loadgen ({}): {}",
        run.profile.name,
        machine_line(run.pinning, run.profile.workers)
    );

    let baseline = procs::start_baseline(run.pinning);
    let bare = run.measure(&baseline, Target::Echo, "bare stack", run.profile.idle);
    drop(baseline);

    let memory_server = run.relay("memory", 0, false);
    let mut memory = run.measure(
        &memory_server,
        Target::Lifeline,
        "memory store",
        run.profile.idle,
    );
    drop(memory_server);
    memory.setup_pow = run.setup_with_pow(false);

    let has_redis = run.profile.redis && redis_installed();
    let mut two_nodes = None;
    let mut redis_profile = None;
    let redis = has_redis.then(|| {
        let server = run.relay("redis", 0, true);
        let figures = run.measure(&server, Target::Lifeline, "redis store", run.profile.idle);
        two_nodes = run.two_nodes(&server);
        redis_profile = server
            .redis
            .as_ref()
            .and_then(|r| targets::redis_profile(&r.name));
        figures
    });
    if run.profile.redis && !has_redis {
        eprintln!("redis-server not found: the Redis store is not measured");
    }

    print_table(
        &run,
        &memory,
        redis.as_ref(),
        two_nodes.as_ref(),
        &bare,
        started.elapsed(),
    );
    targets::print(&memory, redis.as_ref(), two_nodes.as_ref(), &bare);
    if let Some(profile) = redis_profile {
        println!("{profile}");
    }

    // The smoke checks delivery only: every message sent arrived once and in order.
    let mut ok = true;
    for (server, f) in [
        ("memory", Some(&memory)),
        ("redis", redis.as_ref()),
        ("redis, two nodes", two_nodes.as_ref()),
        ("bare", Some(&bare)),
    ] {
        let Some(f) = f else { continue };
        for (name, m) in [
            ("open-loop e2e", &f.open_e2e),
            ("open-loop pre-encrypted", &f.open_pre),
            ("saturation e2e", &f.sat_e2e),
            ("saturation pre-encrypted", &f.sat_pre),
        ] {
            if let Some(m) = m
                && !m.delivery_ok()
            {
                ok = false;
                eprintln!(
                    "DELIVERY FAILED: {server} {name}: sent {}, received {}, out of order or duplicated {}, incomplete streams {}",
                    m.sent, m.received, m.order_errors, m.incomplete_streams
                );
            }
        }
    }
    if ok {
        eprintln!("delivery check: every message sent was received exactly once and in order");
        ExitCode::SUCCESS
    } else if run.args.smoke {
        ExitCode::FAILURE
    } else {
        // Beyond the smoke, an overloaded generator is cut off as a slow consumer (by the
        // relay and the bare stack alike): reported above, not a failure of the run.
        eprintln!("delivery incomplete: see above (a client that falls behind is cut off)");
        ExitCode::SUCCESS
    }
}

/// Many connections need many descriptors: soft limit up to the hard one (children inherit).
fn raise_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => eprintln!("file descriptor limit: {n}"),
        Err(e) => eprintln!("could not raise the file descriptor limit: {e}"),
    }
}

/// The relay binary next to this example (`target/<profile>/lifeline`). When it is missing
/// or older than the crate's sources and this was started by cargo, it is built first with
/// `cargo build [--release] --bin lifeline --example loadgen` (with the example, so dependency
/// features unify as for this build and nothing else is rebuilt).
fn build_relay() -> PathBuf {
    let exe = procs::own_exe();
    // target/<profile>/examples/loadgen → target/<profile>/lifeline
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf();
    let binary = dir.join("lifeline");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = std::fs::metadata(&binary).and_then(|m| m.modified()).ok();
    let sources = newest_mtime(&root.join("src"))
        .into_iter()
        .chain(
            ["Cargo.toml", "Cargo.lock", "config/lifeline.toml"]
                .iter()
                .filter_map(|f| {
                    std::fs::metadata(root.join(f))
                        .and_then(|m| m.modified())
                        .ok()
                }),
        )
        .max();
    let fresh = matches!((built, sources), (Some(b), Some(s)) if b >= s);
    if !fresh && let Ok(cargo) = std::env::var("CARGO") {
        eprintln!("building {}", binary.display());
        let mut command = std::process::Command::new(cargo);
        command
            .current_dir(root)
            .args(["build", "--bin", "lifeline", "--example", "loadgen"]);
        if dir.file_name().is_some_and(|n| n == "release") {
            command.arg("--release");
        }
        let status = command.status().expect("cargo runs");
        assert!(status.success(), "building the relay failed");
    }
    assert!(
        binary.exists(),
        "{} not found: build it (cargo build --release --bin lifeline), or pass --relay-bin",
        binary.display()
    );
    binary
}

fn newest_mtime(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        newest = newest.max(time);
    }
    newest
}

fn redis_installed() -> bool {
    std::process::Command::new("redis-server")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn machine_line(pinning: Pinning, workers: usize) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or_else(
            || "unknown memory".into(),
            |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        );
    let placement = if pinning.enabled {
        "servers pinned to CPU 0 with one tokio worker thread, clients on CPU 1"
    } else {
        "servers with one tokio worker thread, not pinned (taskset missing or one core)"
    };
    format!("{cores} cores, {model}, {memory}; {placement}; {workers} client worker processes")
}

fn cell(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) => format!("{v:.digits$}"),
        None => "–".into(),
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "–".into(),
    }
}

fn print_table(
    run: &Run,
    memory: &Figures,
    redis: Option<&Figures>,
    two_nodes: Option<&Figures>,
    bare: &Figures,
    took: Duration,
) {
    let p = &run.profile;
    let none = Figures::default();
    let redis_f = redis.unwrap_or(&none);
    let mut rows: Vec<[String; 6]> = Vec::new();
    let mut row = |name: String,
                   get: &dyn Fn(&Figures) -> Option<f64>,
                   bare_get: &dyn Fn(&Figures) -> Option<f64>,
                   digits: usize| {
        let (m, r, b) = (get(memory), get(redis_f), bare_get(bare));
        rows.push([
            name,
            cell(m, digits),
            cell(r, digits),
            cell(b, digits),
            ratio(m, b),
            ratio(r, b),
        ]);
    };
    let held = |f: &Figures| f.idle.as_ref().map(|m| m.held as f64);
    row(
        "idle connections held (each with a visitor session)".into(),
        &held,
        &held,
        0,
    );
    let kib = |f: &Figures| f.idle.as_ref().map(Measured::per_connection_kib);
    row(
        "server resident KiB per idle connection (RSS growth ÷ N)".into(),
        &kib,
        &kib,
        2,
    );
    let redis_kib = |f: &Figures| {
        f.idle
            .as_ref()
            .filter(|m| m.redis_rss_delta_kib > 0.0)
            .map(|m| m.redis_rss_delta_kib / m.held.max(1) as f64)
    };
    row(
        "  + redis-server resident KiB per session".into(),
        &redis_kib,
        &|_| None,
        2,
    );

    let setups = |f: &Figures| f.setup.as_ref().map(Measured::rate);
    row(
        "session set-ups/s, proof-of-work off (bare: upgrades/s)".into(),
        &setups,
        &setups,
        0,
    );
    let setup_cpu = |f: &Figures| f.setup.as_ref().map(Measured::cpu_us);
    row(
        "  server CPU µs per set-up (bare: per upgrade)".into(),
        &setup_cpu,
        &setup_cpu,
        0,
    );
    let arrivals = |f: &Figures| f.arrival.as_ref().map(Measured::rate);
    row(
        "visitor arrivals/s: upgrade, challenge, hello, welcome, queued, end (bare: upgrades/s)"
            .into(),
        &arrivals,
        &setups,
        0,
    );
    let arrival_cpu = |f: &Figures| f.arrival.as_ref().map(Measured::cpu_us);
    row(
        "  server CPU µs per arrival (bare: per upgrade)".into(),
        &arrival_cpu,
        &setup_cpu,
        0,
    );
    let setup_pow = |f: &Figures| f.setup_pow.as_ref().map(Measured::rate);
    row(
        format!(
            "session set-ups/s, proof-of-work {} bits",
            run.args.pow_difficulty
        ),
        &setup_pow,
        &setups,
        0,
    );

    type Pick = fn(&Figures) -> &Option<Measured>;
    let modes: [(String, Pick, Pick); 4] = [
        (
            format!("open loop, {:.0} msg/s offered, e2e encrypted", p.rate),
            |f| &f.open_e2e,
            |f| &f.open_pre,
        ),
        (
            format!("open loop, {:.0} msg/s offered, pre-encrypted", p.rate),
            |f| &f.open_pre,
            |f| &f.open_pre,
        ),
        (
            "saturation, e2e encrypted".into(),
            |f| &f.sat_e2e,
            |f| &f.sat_pre,
        ),
        (
            "saturation, pre-encrypted".into(),
            |f| &f.sat_pre,
            |f| &f.sat_pre,
        ),
    ];
    for (name, pick, bare_pick) in modes {
        let rate = move |f: &Figures| pick(f).as_ref().map(Measured::rate);
        let bare_rate = move |f: &Figures| bare_pick(f).as_ref().map(Measured::rate);
        row(format!("{name}: relayed 1 KiB msg/s"), &rate, &bare_rate, 0);
        for (q, label) in [(0.5, "p50"), (0.99, "p99"), (0.999, "p999")] {
            let lat = move |f: &Figures| pick(f).as_ref().map(|m| m.quantile_ms(q));
            let bare_lat = move |f: &Figures| bare_pick(f).as_ref().map(|m| m.quantile_ms(q));
            row(format!("  {label} latency ms"), &lat, &bare_lat, 2);
        }
        let cpu = move |f: &Figures| pick(f).as_ref().map(Measured::cpu_us);
        let bare_cpu = move |f: &Figures| bare_pick(f).as_ref().map(Measured::cpu_us);
        row("  server CPU µs per message".into(), &cpu, &bare_cpu, 1);
        let redis_cpu = move |f: &Figures| {
            pick(f)
                .as_ref()
                .filter(|m| m.redis_cpu_s > 0.0)
                .map(Measured::redis_cpu_us)
        };
        row(
            "  + redis-server CPU µs per message".into(),
            &redis_cpu,
            &|_| None,
            1,
        );
    }
    let bare_sat = bare.sat_pre.as_ref().map(Measured::rate);
    for (name, m) in [
        ("e2e encrypted", two_nodes.and_then(|f| f.sat_e2e.as_ref())),
        ("pre-encrypted", two_nodes.and_then(|f| f.sat_pre.as_ref())),
    ] {
        let rate = m.map(Measured::rate);
        rows.push([
            format!("two relay nodes, one Redis (visitors on one, coordinators on the other), saturation, {name}: relayed msg/s"),
            "–".into(),
            cell(rate, 0),
            cell(bare_sat, 0),
            "–".into(),
            ratio(rate, bare_sat),
        ]);
        rows.push([
            "  p99 latency ms".into(),
            "–".into(),
            cell(m.map(|m| m.quantile_ms(0.99)), 2),
            "–".into(),
            "–".into(),
            "–".into(),
        ]);
    }

    println!();
    println!(
        "Lifeline load test ({}), {}",
        p.name,
        machine_line(run.pinning, p.workers)
    );
    println!(
        "idle {} connections; messages: {} streams (visitor → relay → coordinator; bare: echo), 1 KiB bodies, {} ms per phase, saturation window {} per stream; wall time {:.0} s",
        p.idle,
        p.streams_per_worker * p.workers,
        p.message_ms,
        p.window,
        took.as_secs_f64()
    );
    println!();
    println!("| figure | memory store | redis store | bare stack | memory ÷ bare | redis ÷ bare |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("| {} |", r.join(" | "));
    }
    println!();
}
