//! What Redis promises to keep across its own restart, read from its configuration at start
//! and periodically: only an append-only file is "persistent" (snapshots alone lose every
//! write since the last one, and come back older, which the store generation then reports);
//! `appendfsync` says how much a crash may still lose; `min-replicas-to-write` whether a
//! promoted replica may lag behind what was acknowledged.
//!
//! Must never report "persistent" for anything it did not read from Redis itself.

use super::connection::{RedisConnection, unavailable};
use crate::store::chat::StoreError;

/// Redis's persistence settings, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persistence {
    /// `appendonly yes`: every write goes to the append-only file.
    pub appendonly: bool,
    /// `always`, `everysec` or `no`: how often the file is flushed to disk.
    pub appendfsync: String,
    /// RDB snapshots are configured (`save` not empty).
    pub snapshots: bool,
    /// `min-replicas-to-write`: 0 means a write is acknowledged before any replica has it.
    pub min_replicas_to_write: u32,
}

impl Persistence {
    /// Reads the settings from Redis.
    pub async fn read(con: &mut RedisConnection) -> Result<Self, StoreError> {
        let mut get = async |name: &str| -> Result<String, StoreError> {
            let pair: Vec<String> = redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query_async(con)
                .await
                .map_err(unavailable)?;
            Ok(pair.get(1).cloned().unwrap_or_default())
        };
        Ok(Self {
            appendonly: get("appendonly").await? == "yes",
            appendfsync: get("appendfsync").await?,
            snapshots: !get("save").await?.trim().is_empty(),
            min_replicas_to_write: get("min-replicas-to-write").await?.parse().unwrap_or(0),
        })
    }

    /// Whether what was acknowledged survives a Redis restart: the append-only file only.
    pub fn persistent(&self) -> bool {
        self.appendonly
    }

    /// One line for logs and `/readyz`.
    pub fn describe(&self) -> String {
        format!(
            "appendonly={} appendfsync={} snapshots={} min-replicas-to-write={} ({})",
            if self.appendonly { "yes" } else { "no" },
            self.appendfsync,
            if self.snapshots { "yes" } else { "no" },
            self.min_replicas_to_write,
            if self.persistent() {
                "persistent"
            } else {
                "NOT persistent: a restart loses or rewinds data"
            }
        )
    }

    /// The settings as Prometheus gauges, for `/metrics`.
    pub fn prometheus(&self) -> String {
        let fsync = |mode: &str| u8::from(self.appendfsync == mode);
        format!(
            "# TYPE lifeline_store_persistent gauge\nlifeline_store_persistent {}\n\
             # TYPE lifeline_store_appendonly gauge\nlifeline_store_appendonly {}\n\
             # TYPE lifeline_store_appendfsync gauge\n\
             lifeline_store_appendfsync{{mode=\"always\"}} {}\n\
             lifeline_store_appendfsync{{mode=\"everysec\"}} {}\n\
             lifeline_store_appendfsync{{mode=\"no\"}} {}\n\
             # TYPE lifeline_store_snapshots gauge\nlifeline_store_snapshots {}\n\
             # TYPE lifeline_store_min_replicas_to_write gauge\nlifeline_store_min_replicas_to_write {}\n",
            u8::from(self.persistent()),
            u8::from(self.appendonly),
            fsync("always"),
            fsync("everysec"),
            fsync("no"),
            u8::from(self.snapshots),
            self.min_replicas_to_write,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_alone_are_not_persistent() {
        let mut p = Persistence {
            appendonly: false,
            appendfsync: "everysec".into(),
            snapshots: true,
            min_replicas_to_write: 0,
        };
        assert!(!p.persistent());
        assert!(p.describe().contains("NOT persistent"));
        assert!(p.prometheus().contains("lifeline_store_persistent 0\n"));
        p.appendonly = true;
        assert!(p.persistent());
        assert!(
            p.prometheus()
                .contains("lifeline_store_appendfsync{mode=\"everysec\"} 1\n")
        );
    }
}
