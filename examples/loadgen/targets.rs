//! Issue 20's targets, each beside what this run measured and the baseline the issue gave:
//! the Redis message path (one node, two nodes on one Redis) and the session set-ups.
//!
//! Prints figures only; it must never decide a run's success (timing is never asserted).

use crate::{Figures, Measured};

/// The baseline, measured at saturation on a quiet machine.
mod baseline {
    pub const ONE_NODE_MSG_S: f64 = 10_500.0;
    pub const TWO_NODES_MSG_S: f64 = 4_600.0;
    pub const REDIS_CPU_US: f64 = 50.0;
    /// Relay CPU per message on Redis ÷ on the memory store.
    pub const RELAY_REDIS_OVER_MEMORY: f64 = 2.0;
    /// Server CPU per set-up ÷ per bare upgrade.
    pub const SETUP_CPU_OVER_UPGRADE: f64 = 4.0;
    pub const SETUPS_OVER_UPGRADES: f64 = 0.08;
    /// Not in the issue: docs/benchmarks.md's run D (memory store), the last full run before it.
    pub const ARRIVALS_OVER_UPGRADES: f64 = 0.57;
}

struct Row {
    name: String,
    measured: Option<f64>,
    target: String,
    /// Whether `measured` meets the target; `None` when there is no target to meet.
    met: Option<bool>,
    baseline: Option<f64>,
    digits: usize,
}

impl Row {
    fn new(name: &str, measured: Option<f64>, digits: usize) -> Self {
        Self {
            name: name.into(),
            measured,
            target: "–".into(),
            met: None,
            baseline: None,
            digits,
        }
    }

    fn at_most(mut self, limit: Option<f64>, text: String) -> Self {
        self.met = self.measured.zip(limit).map(|(m, l)| m <= l);
        self.target = text;
        self
    }

    fn at_least(mut self, limit: Option<f64>, text: String) -> Self {
        self.met = self.measured.zip(limit).map(|(m, l)| m >= l);
        self.target = text;
        self
    }

    fn baseline(mut self, value: f64) -> Self {
        self.baseline = Some(value);
        self
    }

    fn print(&self) {
        let d = self.digits;
        let fmt = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.d$}"));
        let over = match (self.measured, self.baseline) {
            (Some(m), Some(b)) if b > 0.0 => format!("{:.2}", m / b),
            _ => "–".into(),
        };
        let met = match self.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            self.name,
            fmt(self.measured),
            self.target,
            fmt(self.baseline),
            over,
            met
        );
    }
}

fn div(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    a.zip(b).filter(|(_, b)| *b > 0.0).map(|(a, b)| a / b)
}

/// The message figures of one configuration, at saturation with pre-encrypted bodies.
struct Path {
    msg_s: Option<f64>,
    relay_us: Option<f64>,
    redis_us: Option<f64>,
}

impl Path {
    fn of(f: Option<&Figures>) -> Self {
        let m: Option<&Measured> = f.and_then(|f| f.sat_pre.as_ref());
        Self {
            msg_s: m.map(Measured::rate),
            relay_us: m.map(Measured::relays_cpu_us),
            redis_us: m.map(Measured::redis_cpu_us),
        }
    }

    fn total_us(&self) -> Option<f64> {
        self.relay_us.map(|r| r + self.redis_us.unwrap_or(0.0))
    }
}

/// Prints the targets table after the main one.
pub fn print(
    memory: &Figures,
    redis: Option<&Figures>,
    two_nodes: Option<&Figures>,
    bare: &Figures,
) {
    let mem = Path::of(Some(memory));
    let one = Path::of(redis);
    let two = Path::of(two_nodes);
    let mut rows = vec![
        Row::new("memory store: relayed msg/s", mem.msg_s, 0),
        Row::new("  relay CPU µs per message", mem.relay_us, 1),
        Row::new("one node, Redis: relayed msg/s", one.msg_s, 0).baseline(baseline::ONE_NODE_MSG_S),
        Row::new("  relay CPU µs per message", one.relay_us, 1),
        Row::new(
            "  relay CPU per message ÷ memory store's",
            div(one.relay_us, mem.relay_us),
            2,
        )
        .at_most(Some(1.5), "≤ 1.5".into())
        .baseline(baseline::RELAY_REDIS_OVER_MEMORY),
        Row::new("  redis-server CPU µs per message", one.redis_us, 1)
            .at_most(Some(12.0), "≤ 12".into())
            .baseline(baseline::REDIS_CPU_US),
        Row::new("  total CPU µs per message", one.total_us(), 1),
        Row::new("two nodes, one Redis: relayed msg/s", two.msg_s, 0)
            .at_least(one.msg_s, "≥ one node's".into())
            .baseline(baseline::TWO_NODES_MSG_S),
        Row::new("  both relays' CPU µs per message", two.relay_us, 1),
        Row::new("  redis-server CPU µs per message", two.redis_us, 1)
            .at_most(Some(12.0), "≤ 12".into())
            .baseline(baseline::REDIS_CPU_US),
        Row::new("  total CPU µs per message", two.total_us(), 1),
        Row::new(
            "  total CPU per message ÷ one node's",
            div(two.total_us(), one.total_us()),
            2,
        )
        .at_most(Some(1.3), "≤ 1.3".into()),
    ];
    let upgrade_cpu = bare.setup.as_ref().map(Measured::cpu_us);
    let upgrades = bare.setup.as_ref().map(Measured::rate);
    for (store, f) in [("memory store", Some(memory)), ("Redis", redis)] {
        let setup_cpu = f.and_then(|f| f.setup.as_ref()).map(Measured::cpu_us);
        let setups = f.and_then(|f| f.setup.as_ref()).map(Measured::rate);
        let arrivals = f.and_then(|f| f.arrival.as_ref()).map(Measured::rate);
        let arrival_cpu = f.and_then(|f| f.arrival.as_ref()).map(Measured::cpu_us);
        rows.push(
            Row::new(
                &format!("set-ups, {store}: server CPU per set-up ÷ per bare upgrade"),
                div(setup_cpu, upgrade_cpu),
                2,
            )
            .at_most(Some(2.0), "≤ 2".into())
            .baseline(baseline::SETUP_CPU_OVER_UPGRADE),
        );
        rows.push(
            Row::new("  set-ups/s ÷ bare upgrades/s", div(setups, upgrades), 2)
                .baseline(baseline::SETUPS_OVER_UPGRADES),
        );
        rows.push(Row::new(
            "  server CPU per arrival ÷ per bare upgrade",
            div(arrival_cpu, upgrade_cpu),
            2,
        ));
        rows.push(
            Row::new("  arrivals/s ÷ bare upgrades/s", div(arrivals, upgrades), 2)
                .at_least(Some(0.6), "≥ 0.6".into())
                .baseline(baseline::ARRIVALS_OVER_UPGRADES),
        );
    }
    println!("Issue 20 targets: messages at saturation, pre-encrypted (the relay's own work).");
    println!(
        "CPU per message is the robust figure: the cores are shared (with the clients, and on this \
         machine with other builds), so msg/s moves from run to run and two nodes share one core."
    );
    println!();
    println!("| figure | measured | target | baseline (issue 20) | measured ÷ baseline | met? |");
    println!("|---|---:|---:|---:|---:|---|");
    for row in &rows {
        row.print();
    }
    println!();
}

/// Where redis-server's CPU went, by command, over every phase of the run on it (with
/// `--only messages`: the message phases only), from its own `INFO commandstats`.
pub fn redis_profile(url: &str) -> Option<String> {
    let out = std::process::Command::new("redis-cli")
        .args(["-u", url, "INFO", "commandstats"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rows: Vec<(String, u64, u64)> = text
        .lines()
        .filter_map(|line| {
            let (name, fields) = line.trim().strip_prefix("cmdstat_")?.split_once(':')?;
            let field = |key: &str| {
                fields
                    .split(',')
                    .find_map(|f| f.strip_prefix(key)?.strip_prefix('=')?.parse::<u64>().ok())
            };
            Some((name.to_owned(), field("calls")?, field("usec")?))
        })
        .collect();
    rows.sort_by_key(|(_, _, usec)| std::cmp::Reverse(*usec));
    let mut out = String::from(
        "redis-server's time by command (INFO commandstats, every phase on it; the commands \
         a script calls are counted inside its own time too):\n\n\
         | command | calls | µs | µs per call |\n|---|---:|---:|---:|\n",
    );
    for (name, calls, usec) in rows.iter().take(12) {
        out.push_str(&format!(
            "| {name} | {calls} | {usec} | {:.2} |\n",
            *usec as f64 / (*calls).max(1) as f64,
        ));
    }
    Some(out)
}
