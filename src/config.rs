//! Configuration: `config/lifeline.toml` with `LIFELINE_<SECTION>_<KEY>` overrides,
//! validated at start. A mistake names the key and the reason; the binary exits 2.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key `{key}`: {reason}")]
/// A configuration mistake: which key, and what it should be.
pub struct ConfigError {
    /// The key as written in the file (`section.key`) or the variable's name.
    pub key: String,
    /// What is wrong, or what is expected.
    pub reason: String,
}

fn err(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        reason: reason.into(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// The relay's whole configuration, one field per section of `config/lifeline.toml`.
pub struct Config {
    /// Where and how it listens and logs, where it keeps files.
    pub server: Server,
    /// The organisation key it trusts.
    pub keys: Keys,
    /// Where chat state and tips are kept.
    pub store: Store,
    /// Session lifetime, queue size, delivery buffers, auto-offer.
    pub sessions: Sessions,
    /// Connection and request limits.
    pub limits: Limits,
    /// Proof-of-work difficulty.
    pub pow: Pow,
    /// Sealed-tip retention.
    pub tips: Tips,
    /// What the widget shows.
    pub widget: Widget,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[server]`.
pub struct Server {
    /// Address and port to listen on; development keys only on loopback.
    pub listen: String,
    /// Folder for keys and sealed tips.
    pub data_dir: PathBuf,
    /// PEM certificate chain for TLS; empty to serve plain HTTP behind a proxy.
    pub tls_cert: String,
    /// PEM private key for TLS.
    pub tls_key: String,
    /// PEM certificate of the proxy that terminates TLS in front of the relay, watched for
    /// expiry like `tls_cert` (which is watched when set); empty: none.
    #[serde(default)]
    pub tls_watch_cert: String,
    /// Level of the relay's own log events.
    pub log_level: String,
    /// Address of the listener that serves `/metrics` alone; empty for none.
    #[serde(default = "private_metrics_listen")]
    pub metrics_listen: String,
    /// Whether the public listener serves `/metrics` too (off: counts stay private).
    #[serde(default)]
    pub metrics_public: bool,
}

fn private_metrics_listen() -> String {
    "127.0.0.1:9090".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[keys]`.
pub struct Keys {
    /// The organisation's Ed25519 public key (base64url); empty for development keys.
    pub organisation_public: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[store]`.
pub struct Store {
    /// Which backend keeps chat state.
    pub kind: StoreKind,
    /// The Redis URL (with `redis_cluster`, the seed nodes, comma-separated).
    pub redis_url: String,
    /// Whether `redis_url` names a Redis Cluster.
    pub redis_cluster: bool,
    /// Seconds within which what the relay erased leaves Redis's files (append-only
    /// rewrite, snapshot); 0 leaves it to Redis's own settings.
    pub redis_rewrite_s: u64,
}

/// Which backend keeps the relay's state; any other value in the file is refused at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// In the process: one node, sessions lost on restart, tips in files.
    Memory,
    /// A Redis server or Cluster, shared by every node.
    Redis,
}

impl Store {
    /// The Redis URL, or with `redis_cluster` the comma-separated seed nodes.
    pub fn redis_urls(&self) -> Vec<&str> {
        self.redis_url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect()
    }

    /// Where the Redis URLs point (`host:port`, comma-separated), without user or password:
    /// what an operator needs to read in an error, and nothing secret.
    pub fn redis_targets(&self) -> String {
        self.redis_urls()
            .iter()
            .map(|url| {
                let rest = url.split_once("://").map_or(*url, |(_, rest)| rest);
                let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                rest.split(['/', '?']).next().unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[sessions]`.
pub struct Sessions {
    /// Seconds without activity after which a session is erased.
    pub idle_ttl_s: u64,
    /// Most visitors waiting at once.
    pub queue_max: usize,
    /// Frames kept for a receiver that has not acknowledged them.
    pub buffer_max_frames: usize,
    /// Bytes kept for a receiver that has not acknowledged them.
    pub buffer_max_bytes: usize,
    /// Whether waiting visitors are offered to coordinators instead of waiting for a claim.
    pub auto_offer: bool,
    /// Seconds a visitor has to accept a proposed hand-over; silence counts as "stay" (§9.6).
    #[serde(default = "default_transfer_answer_s")]
    pub transfer_answer_s: u64,
    /// Seconds a dropped coordinator's conversations are held for them to reconnect and
    /// resume (§9.6); 0 requeues them at once. At most `idle_ttl_s`.
    #[serde(default = "default_coordinator_grace_s")]
    pub coordinator_grace_s: u64,
}

fn default_transfer_answer_s() -> u64 {
    60
}

fn default_coordinator_grace_s() -> u64 {
    120
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[limits]`.
pub struct Limits {
    /// Most WebSocket connections at once.
    pub max_connections: usize,
    /// Most coordinator connections at once: their own pool, so visitor floods never lock them out (F-6).
    pub max_coordinator_connections: usize,
    /// Sustained frames per second per connection.
    pub frames_per_s: u32,
    /// Frames allowed in a burst above that.
    pub frames_burst: u32,
    /// Sustained bytes per second per connection.
    pub bytes_per_s: u32,
    /// Seconds a connection may stay silent before it is closed.
    pub idle_timeout_s: u64,
    /// Seconds a visitor may take to answer the proof-of-work challenge; nothing extends it (F-6).
    pub challenge_timeout_s: u64,
    /// Seconds a coordinator may take to sign in after its challenge; nothing extends it (F-6).
    pub auth_timeout_s: u64,
    /// Frames queued for a slow client before it is cut off.
    pub outbound_queue: usize,
    /// Largest HTTP request body, in bytes.
    pub max_body_bytes: usize,
    /// Seconds a client may take to send a request's body, all of it: a body sent a byte at
    /// a time is cut off (`408`) instead of holding a socket and a task for ever.
    #[serde(default = "default_body_timeout_s")]
    pub body_timeout_s: u64,
}

fn default_body_timeout_s() -> u64 {
    60
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[pow]`.
pub struct Pow {
    /// Leading zero bits a proof-of-work needs with no one waiting.
    pub base_difficulty: u8,
    /// The most it ever needs.
    pub max_difficulty: u8,
    /// One more bit for every this many visitors waiting.
    pub visitors_per_step: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[tips]`.
pub struct Tips {
    /// Days a tip nobody marked handled is kept.
    pub retention_days: u64,
    /// Most tips filed at once.
    pub max_tips: usize,
    /// Most follow-ups one tip takes until it is handled (F-7).
    pub max_followups: usize,
    /// Most bytes of sealed follow-ups one tip takes until it is handled (F-7).
    pub max_followup_bytes: usize,
    /// Requests the no-script tip pages serve per hour over the whole deployment (counted in
    /// the shared store when nodes share one); 0 turns them off.
    #[serde(default = "default_noscript_per_hour")]
    pub noscript_per_hour: u32,
    /// Seconds a coordinator holds a tip they took without answering it; then it is free
    /// for any colleague (§9.9).
    #[serde(default = "default_hold_release_s")]
    pub hold_release_s: u64,
}

fn default_noscript_per_hour() -> u32 {
    120
}

fn default_hold_release_s() -> u64 {
    1800
}

pub use crate::protocol::http::EmergencyNumber;

use crate::crypto::encoding::check_display_text;
use crate::crypto::sealed_tip::MAX_CATEGORY_BYTES;
use crate::crypto::sealed_tip::MAX_SEALED_LEN as MAX_SEALED_TIP_BYTES;

/// The most days `tips.retention_days` and `widget.revocations_max_age_days` take.
const MAX_DAYS: u64 = 3650;

/// The most follow-ups `tips.max_followups` may allow: a tip and all its follow-ups, each
/// of the largest size, must fit one `tip` frame within the clients' relay-frame limit, so
/// the console can always open it (F-7). Each costs its base64url text, quotes and a comma.
pub const MAX_FOLLOWUPS: usize =
    crate::protocol::frames::MAX_RELAY_FRAME_BYTES / (MAX_SEALED_TIP_BYTES.div_ceil(3) * 4 + 8) - 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[widget]`.
pub struct Widget {
    /// Where quick exit sends the visitor.
    pub neutral_url: String,
    /// Whether the widget keeps its resume token across reloads of one tab.
    pub resume_in_session_storage: bool,
    /// Emergency services shown to every visitor, in order.
    pub emergency: Vec<EmergencyNumber>,
    /// Categories a tipster may pick from.
    pub tip_categories: Vec<String>,
    /// The revocation list's maximum age the embed pins (§2.2), published in `/v1/config`.
    pub revocations_max_age_days: u64,
    /// Tip categories as shown in other languages: language → category → label. The category
    /// sealed into a tip stays the one in `tip_categories`, so coordinators see one set.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tip_category_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// The tab title of the relay's `/help` page: neutral, because it stays in the history.
    #[serde(default = "neutral_page_title")]
    pub page_title: String,
}

fn neutral_page_title() -> String {
    "Information".into()
}

/// The shipped file: every key there is, commented, with its default.
const SHIPPED: &str = include_str!("../config/lifeline.toml");

/// Environment variables that are not config keys.
const NON_KEY_VARIABLES: [&str; 1] = ["LIFELINE_CONFIG"];

impl Config {
    /// The defaults shipped in `config/lifeline.toml`, compiled in so a test or a bare binary
    /// has the same values.
    pub fn defaults() -> Self {
        Self::parse(SHIPPED, std::iter::empty()).expect("shipped config is valid")
    }

    /// Reads a file and applies the process environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| err("(file)", format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text, std::env::vars())
    }

    /// Parses TOML text, applies `LIFELINE_*` overrides from `env`, and validates.
    pub fn parse(
        text: &str,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            // The line to look at: the message alone does not say where.
            let at = e.span().map_or(0, |span| span.start).min(text.len());
            let line = text.as_bytes()[..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            err("(file)", format!("line {line}: {}", e.message()))
        })?;
        // The keys an override may name; parsed once, and only when a variable is set.
        let mut shipped: Option<toml::Table> = None;
        for (name, value) in env {
            // The shorthand the operators' guide uses for the Redis URL.
            let name = if name == "LIFELINE_REDIS_URL" {
                "LIFELINE_STORE_REDIS_URL".to_owned()
            } else {
                name
            };
            let Some(rest) = name.strip_prefix("LIFELINE_") else {
                continue;
            };
            if NON_KEY_VARIABLES.contains(&name.as_str()) {
                continue;
            }
            let known = match &mut shipped {
                Some(known) => known,
                slot => slot.insert(
                    SHIPPED
                        .parse()
                        .map_err(|_| err("(file)", "the shipped defaults do not parse"))?,
                ),
            };
            apply_override(&mut table, known, rest, &value)
                .ok_or_else(|| err(&name, "no such config key"))?;
        }
        let config: Config =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let key = e.path().to_string();
                err(&key, e.into_inner().message().to_string())
            })?;
        config.validate()?;
        Ok(config)
    }

    /// `server.listen` as a socket address.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server
            .listen
            .parse()
            .map_err(|_| err("server.listen", "not an address:port (e.g. 127.0.0.1:8080)"))
    }

    /// `server.metrics_listen` as a socket address, `None` when it is empty.
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        let text = self.server.metrics_listen.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| {
            err(
                "server.metrics_listen",
                "not an address:port (e.g. 127.0.0.1:9090), or empty for no metrics listener",
            )
        })
    }

    /// Checks every value against what the relay can run with.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let listen = self.listen_addr()?;
        if let Some(metrics) = self.metrics_addr()?
            && metrics.port() != 0
            && metrics.port() == listen.port()
        {
            return Err(err(
                "server.metrics_listen",
                "must not use server.listen's port: metrics get their own listener",
            ));
        }
        if !["error", "warn", "info", "debug", "trace"].contains(&self.server.log_level.as_str()) {
            return Err(err(
                "server.log_level",
                "one of error, warn, info, debug, trace",
            ));
        }
        if self.server.tls_cert.is_empty() != self.server.tls_key.is_empty() {
            return Err(err(
                "server.tls_cert",
                "set both tls_cert and tls_key, or neither",
            ));
        }
        // Empty means development keys, made on first start: fit for a laptop, never for a
        // relay others reach (keyfile refuses them too; said here with the keys to set).
        if self.keys.organisation_public.is_empty() && !listen.ip().is_loopback() {
            return Err(err(
                "keys.organisation_public",
                format!(
                    "empty means development keys, and development keys are refused on \
                     {listen} (they only work on a loopback server.listen): set the \
                     organisation's public key"
                ),
            ));
        }
        if !self.keys.organisation_public.is_empty() {
            let ok = crate::protocol::b64::decode(&self.keys.organisation_public)
                .is_some_and(|k| k.len() == 32);
            if !ok {
                return Err(err(
                    "keys.organisation_public",
                    "must be a 32-byte Ed25519 key in base64url",
                ));
            }
        }
        match self.store.kind {
            // Set for a reason: nodes that each keep their own memory would never see one
            // another's visitors or coordinators, and nothing would say so.
            StoreKind::Memory if !self.store.redis_url.trim().is_empty() => {
                return Err(err(
                    "store.kind",
                    "store.redis_url is set but store.kind is \"memory\", which never uses it: \
                     set store.kind = \"redis\" (LIFELINE_STORE_KIND=redis), or leave redis_url empty",
                ));
            }
            StoreKind::Memory if self.store.redis_cluster => {
                return Err(err(
                    "store.kind",
                    "store.redis_cluster = true needs store.kind = \"redis\" and the seed nodes in \
                     store.redis_url",
                ));
            }
            StoreKind::Memory => {}
            StoreKind::Redis => {
                let urls = self.store.redis_urls();
                let well_formed = |url: &&str| {
                    ["redis://", "rediss://", "unix://"]
                        .iter()
                        .any(|scheme| url.starts_with(scheme))
                };
                if urls.is_empty() || !urls.iter().all(well_formed) {
                    return Err(err(
                        "store.redis_url",
                        "a redis:// or unix:// URL is needed with store.kind = \"redis\"",
                    ));
                }
                // The redis crate is built without TLS: such a URL would fail at every start
                // with "is it running there?", and systemd would restart it for ever.
                if urls.iter().any(|u| u.starts_with("rediss://")) {
                    return Err(err(
                        "store.redis_url",
                        "rediss:// (TLS to Redis) is not built into this relay: keep Redis on \
                         this machine (redis://127.0.0.1, or unix://), or carry it across machines \
                         over a private tunnel such as WireGuard (docs/redis.md)",
                    ));
                }
                if urls.len() > 1 && !self.store.redis_cluster {
                    return Err(err(
                        "store.redis_url",
                        "several URLs are the seed nodes of a Cluster: set store.redis_cluster = true",
                    ));
                }
            }
        }
        let positive = [
            ("sessions.idle_ttl_s", self.sessions.idle_ttl_s as usize),
            ("sessions.queue_max", self.sessions.queue_max),
            (
                "sessions.transfer_answer_s",
                self.sessions.transfer_answer_s as usize,
            ),
            (
                "sessions.buffer_max_frames",
                self.sessions.buffer_max_frames,
            ),
            ("limits.max_connections", self.limits.max_connections),
            (
                "limits.max_coordinator_connections",
                self.limits.max_coordinator_connections,
            ),
            (
                "limits.challenge_timeout_s",
                self.limits.challenge_timeout_s as usize,
            ),
            ("limits.auth_timeout_s", self.limits.auth_timeout_s as usize),
            ("limits.frames_per_s", self.limits.frames_per_s as usize),
            ("limits.bytes_per_s", self.limits.bytes_per_s as usize),
            ("limits.idle_timeout_s", self.limits.idle_timeout_s as usize),
            ("limits.outbound_queue", self.limits.outbound_queue),
            ("limits.body_timeout_s", self.limits.body_timeout_s as usize),
            ("tips.retention_days", self.tips.retention_days as usize),
            ("tips.max_tips", self.tips.max_tips),
            ("pow.visitors_per_step", self.pow.visitors_per_step),
            (
                "widget.revocations_max_age_days",
                self.widget.revocations_max_age_days as usize,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(err(key, "must be greater than zero"));
            }
        }
        for (key, value) in [
            (
                "limits.challenge_timeout_s",
                self.limits.challenge_timeout_s,
            ),
            ("limits.auth_timeout_s", self.limits.auth_timeout_s),
        ] {
            if value > self.limits.idle_timeout_s {
                return Err(err(key, "must not exceed limits.idle_timeout_s"));
            }
        }
        if self.tips.max_followups > MAX_FOLLOWUPS {
            return Err(err(
                "tips.max_followups",
                format!(
                    "at most {} (a tip and its follow-ups must fit one frame to the console)",
                    MAX_FOLLOWUPS
                ),
            ));
        }
        if self.tips.max_followup_bytes < MAX_SEALED_TIP_BYTES {
            return Err(err(
                "tips.max_followup_bytes",
                format!(
                    "must be at least {MAX_SEALED_TIP_BYTES} (one follow-up of the largest size)"
                ),
            ));
        }
        // The relay keeps a hold's minute only (§9.9): less than a minute cannot be kept, and
        // a hold longer than the tip itself would never lapse.
        if self.tips.hold_release_s < 60
            || self.tips.hold_release_s > self.tips.retention_days.saturating_mul(86_400)
        {
            return Err(err(
                "tips.hold_release_s",
                "must be at least 60 and at most tips.retention_days in seconds",
            ));
        }
        // Held longer than a session lives, a conversation would expire under the grace.
        if self.sessions.coordinator_grace_s > self.sessions.idle_ttl_s {
            return Err(err(
                "sessions.coordinator_grace_s",
                "must not exceed sessions.idle_ttl_s",
            ));
        }
        if self.sessions.buffer_max_bytes < 64 * 1024 {
            return Err(err(
                "sessions.buffer_max_bytes",
                "must be at least 65536 (a few full messages)",
            ));
        }
        if self.limits.frames_burst < self.limits.frames_per_s {
            return Err(err(
                "limits.frames_burst",
                "must be at least limits.frames_per_s",
            ));
        }
        if self.limits.bytes_per_s < 32 * 1024 {
            return Err(err(
                "limits.bytes_per_s",
                "must be at least 32768 (one full message per second)",
            ));
        }
        if self.pow.max_difficulty > crate::crypto::proof_of_work::MAX_DIFFICULTY {
            return Err(err(
                "pow.max_difficulty",
                format!("at most {}", crate::crypto::proof_of_work::MAX_DIFFICULTY),
            ));
        }
        if self.pow.base_difficulty > self.pow.max_difficulty {
            return Err(err(
                "pow.base_difficulty",
                "must not exceed pow.max_difficulty",
            ));
        }
        // A tip of the largest size, base64url inside its JSON: a smaller limit would refuse
        // honest tips with 413 (and 0 every request with a body).
        let largest_tip_body = MAX_SEALED_TIP_BYTES.div_ceil(3) * 4 + 1024;
        if self.limits.max_body_bytes < largest_tip_body {
            return Err(err(
                "limits.max_body_bytes",
                format!("must be at least {largest_tip_body} (a tip of the largest size)"),
            ));
        }
        // Days become seconds and minutes in unchecked arithmetic elsewhere: a bound keeps a
        // typo from wrapping silently.
        for (key, days) in [
            ("tips.retention_days", self.tips.retention_days),
            (
                "widget.revocations_max_age_days",
                self.widget.revocations_max_age_days,
            ),
        ] {
            if days > MAX_DAYS {
                return Err(err(key, format!("at most {MAX_DAYS} (ten years)")));
            }
        }
        // The category is sealed into the tip as it is written here: one the tip cannot carry
        // would fail every tip that picks it, long after start.
        for category in &self.widget.tip_categories {
            if check_display_text(category, MAX_CATEGORY_BYTES, "category").is_err() {
                return Err(err(
                    "widget.tip_categories",
                    format!(
                        "{category:?}: each must be 1 to {MAX_CATEGORY_BYTES} bytes, without \
                         control characters"
                    ),
                ));
            }
        }
        for (lang, labels) in &self.widget.tip_category_labels {
            if let Some(unknown) = labels
                .keys()
                .find(|category| !self.widget.tip_categories.contains(category))
            {
                return Err(err(
                    "widget.tip_category_labels",
                    format!("{lang}: {unknown:?} is not one of widget.tip_categories"),
                ));
            }
        }
        if !(self.widget.neutral_url.starts_with("https://")
            || self.widget.neutral_url.starts_with("http://"))
        {
            return Err(err("widget.neutral_url", "must be an http(s) URL"));
        }
        Ok(())
    }
}

/// `SERVER_LISTEN` → table["server"]["listen"], matching section and key case-insensitively.
/// A key is one the shipped file names, so a file that leaves an optional key to its default
/// (one from an older release) still takes its variable. The value is read as TOML (numbers,
/// booleans, arrays) and otherwise as a plain string.
fn apply_override(
    table: &mut toml::Table,
    shipped: &toml::Table,
    name: &str,
    value: &str,
) -> Option<()> {
    let lower = name.to_ascii_lowercase();
    for (section, known) in shipped {
        let Some(rest) = lower.strip_prefix(&format!("{section}_")) else {
            continue;
        };
        let inner = table
            .entry(section.as_str())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()?;
        let kind = inner.get(rest).or_else(|| known.as_table()?.get(rest))?;
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_owned()));
        // Keep strings strings: LIFELINE_KEYS_ORGANISATION_PUBLIC=123 must not become a number.
        let parsed = match (kind, parsed) {
            (toml::Value::String(_), other) if !other.is_str() => {
                toml::Value::String(value.to_owned())
            }
            (_, other) => other,
        };
        inner.insert(rest.to_owned(), parsed);
        return Some(());
    }
    None
}
