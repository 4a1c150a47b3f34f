//! Erasure that reaches Redis's files. Deleting a key removes it from memory, but the
//! append-only file keeps every write ever made (session records, handshakes, relayed
//! frames) until Redis rewrites it, and an RDB snapshot keeps what was live when it was
//! taken. So the relay asks Redis to rewrite its append-only file (`BGREWRITEAOF`) and, if
//! RDB snapshots are on, to take a fresh one (`BGSAVE SCHEDULE`) whenever anything was
//! written since the last one, at most once per bound, one node at a time (a lock key in
//! Redis). What was erased is then gone from Redis's files within the bound plus one tick
//! (`docs/redis.md`, `docs/threat-model.md`).
//!
//! Must never write anything to Redis but its lock, and never make an erasure wait for a
//! rewrite: it runs beside the relay, on its own schedule.

use std::time::Duration;

use redis::cluster_routing::{MultipleNodeRoutingInfo, ResponsePolicy, RoutingInfo};

use super::connection::{RedisConnection, unavailable};
use crate::store::chat::StoreError;

/// Held by the node asking for a rewrite, for the bound: the cadence is one per bound
/// across every node, and two nodes never ask at once.
pub(crate) const LOCK: &str = "ll:rewrite:lock";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why the relay cannot keep Redis's files free of what it erased.
pub enum RewriteError {
    #[error(
        "Redis refuses `{command}` to the relay's user ({reason}). Erased chats would stay in \
         Redis's files. Give the relay's ACL user the command (`ACL SETUSER <user> \
         +{lower}`), or set store.redis_rewrite_s = 0 and {remedy} (docs/redis.md)"
    )]
    /// ACLs (or a renamed command) forbid the command the relay needs.
    Refused {
        /// The command refused.
        command: &'static str,
        /// Its name in lower case, as ACL rules spell it.
        lower: &'static str,
        /// What Redis answered (its error code only).
        reason: String,
        /// What the operator must configure instead.
        remedy: &'static str,
    },
    #[error(transparent)]
    /// Redis could not be asked.
    Store(#[from] StoreError),
}

/// What Redis writes to disk, as its settings say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Files {
    append_only: bool,
    snapshots: bool,
}

/// The relay's side of keeping Redis's files in step with its erasures.
#[derive(Clone)]
pub struct DiskErasure {
    con: RedisConnection,
    bound: Duration,
}

impl DiskErasure {
    pub(crate) fn new(con: RedisConnection, bound: Duration) -> Self {
        Self { con, bound }
    }

    /// How often the relay looks: a fifteenth of the bound (a minute for the default
    /// 15 minutes), so a rewrite follows the lock's release closely.
    pub fn tick(&self) -> Duration {
        (self.bound / 15).clamp(Duration::from_millis(200), Duration::from_secs(60))
    }

    /// At start: compacts Redis's files once (anything a previous run erased goes now), and
    /// so learns whether Redis lets this user do it. `Refused` names the setting the
    /// operator must give instead.
    pub async fn start(&self) -> Result<(), RewriteError> {
        let files = self.files().await;
        if files.append_only {
            self.ask(&rewrite_aof()).await?;
        }
        if files.snapshots {
            self.ask(&snapshot()).await?;
        }
        Ok(())
    }

    /// Runs for ever: asks for a rewrite once per tick when one is due.
    pub async fn run(self) {
        let mut warned = false;
        loop {
            tokio::time::sleep(self.tick()).await;
            match self.compact_if_due().await {
                Ok(_) => warned = false,
                Err(e) if !warned => {
                    warned = true;
                    tracing::warn!(error = %e, "could not have Redis rewrite its files");
                }
                Err(_) => {}
            }
        }
    }

    /// One step: if anything was written since the last rewrite (or snapshot) and no node
    /// asked within the bound, asks Redis to compact. Returns whether it asked.
    pub async fn compact_if_due(&self) -> Result<bool, RewriteError> {
        let files = self.files().await;
        let due = self.due(files).await?;
        if !(due.append_only || due.snapshots) || !self.lock().await? {
            return Ok(false);
        }
        if due.append_only {
            self.ask(&rewrite_aof()).await?;
        }
        if due.snapshots {
            self.ask(&snapshot()).await?;
        }
        tracing::debug!("asked Redis to rewrite its files");
        Ok(true)
    }

    /// Takes the lock for the bound; `false` if a node holds it.
    async fn lock(&self) -> Result<bool, StoreError> {
        let taken: Option<String> = redis::cmd("SET")
            .arg(LOCK)
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(self.bound.as_millis().max(1) as u64)
            .query_async(&mut self.con.clone())
            .await
            .map_err(unavailable)?;
        Ok(taken.is_some())
    }

    /// Which files have fallen behind the keyspace. A Cluster's nodes answer apart: there
    /// every file counts as behind, and rewriting an unchanged dataset costs little.
    async fn due(&self, files: Files) -> Result<Files, StoreError> {
        if matches!(self.con, RedisConnection::Cluster(_)) {
            return Ok(files);
        }
        let info: String = redis::cmd("INFO")
            .arg("persistence")
            .query_async(&mut self.con.clone())
            .await
            .map_err(unavailable)?;
        let field = |name: &str| -> u64 {
            info.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok())
                .unwrap_or(0)
        };
        // A rewrite under way has not yet seen what came after it started: look again
        // next tick.
        let busy = field("aof_rewrite_in_progress") + field("aof_rewrite_scheduled") > 0;
        Ok(Files {
            append_only: files.append_only
                && !busy
                && field("aof_current_size") > field("aof_base_size"),
            snapshots: files.snapshots
                && field("rdb_bgsave_in_progress") == 0
                && field("rdb_changes_since_last_save") > 0,
        })
    }

    /// The persistence settings; when `CONFIG` is refused, an append-only file is assumed
    /// (the recommended setting), so the rewrite is asked for and its answer tells.
    async fn files(&self) -> Files {
        let setting = |name: &'static str| {
            let mut con = self.con.clone();
            async move {
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg(name)
                    .query_async::<Vec<String>>(&mut con)
                    .await
                    .ok()
                    .and_then(|v| v.get(1).cloned())
            }
        };
        let (aof, save) = (setting("appendonly").await, setting("save").await);
        Files {
            append_only: aof.as_deref().is_none_or(|v| v == "yes"),
            snapshots: save.is_some_and(|rule| !rule.trim().is_empty()),
        }
    }

    /// Sends `command` to the server, or to every node of a Cluster (each keeps its own
    /// files). A rewrite already under way or scheduled is as good as a new one.
    async fn ask(&self, command: &Command) -> Result<(), RewriteError> {
        let mut cmd = redis::cmd(command.name);
        for arg in command.args {
            cmd.arg(*arg);
        }
        let answer = match self.con.clone() {
            RedisConnection::Single(mut con) => cmd.query_async::<redis::Value>(&mut con).await,
            RedisConnection::Cluster(mut con) => {
                let every_node = RoutingInfo::MultiNode((
                    MultipleNodeRoutingInfo::AllNodes,
                    Some(ResponsePolicy::AllSucceeded),
                ));
                con.route_command(cmd, every_node).await
            }
        };
        match answer {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("in progress") => Ok(()),
            Err(e) if refused(&e) => Err(RewriteError::Refused {
                command: command.name,
                lower: command.lower,
                reason: e.code().unwrap_or("refused").to_owned(),
                remedy: command.remedy,
            }),
            Err(e) => Err(unavailable(e).into()),
        }
    }
}

/// ACLs answer `NOPERM`; a command renamed away answers "unknown command".
fn refused(e: &redis::RedisError) -> bool {
    e.code() == Some("NOPERM") || e.to_string().contains("unknown command")
}

/// A command the relay sends, and what replaces it when Redis refuses it.
struct Command {
    name: &'static str,
    lower: &'static str,
    args: &'static [&'static str],
    remedy: &'static str,
}

fn rewrite_aof() -> Command {
    Command {
        name: "BGREWRITEAOF",
        lower: "bgrewriteaof",
        args: &[],
        remedy: "run `redis-cli BGREWRITEAOF` as an admin user from cron every 15 minutes",
    }
}

/// `SCHEDULE`: an append-only rewrite may be under way, and a snapshot must wait for it.
fn snapshot() -> Command {
    Command {
        name: "BGSAVE",
        lower: "bgsave",
        args: &["SCHEDULE"],
        remedy: "turn RDB snapshots off (`save \"\"`: the append-only file is enough)",
    }
}
