//! The organisation's record of the certificates it issued (`registry.jsonl` in its key
//! folder): one JSON line appended per event, never rewritten. Serials are assigned from it
//! and never reused; `lifeline keys list` reads it.
//!
//! Also the short fingerprint both people read aloud at enrolment. Must never hold a private
//! key, and never lose or rewrite a line already written.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::keys::Fingerprint;

/// Why the registry could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file could not be read or appended to, or a line is not an event.
    #[error("{path}: {reason}")]
    File {
        /// The registry file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The serial was issued before: serials are never reused.
    #[error("serial {0} was already issued; serials are never reused")]
    SerialReused(u64),
    /// A renewal for a serial the registry never issued, or one it revoked.
    #[error(
        "serial {0} is not a certificate in force here (never issued, or revoked): enrol again"
    )]
    NotRenewable(u64),
}

/// One line of the registry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A certificate was issued.
    Issued {
        /// Its serial.
        serial: u64,
        /// The alias it carries.
        alias: String,
        /// The short fingerprint of the keys it certifies.
        fingerprint: String,
        /// Unix seconds.
        issued: u64,
        /// Unix seconds (`not_after`).
        expires: u64,
    },
    /// A certificate was renewed: same serial, a new expiry, perhaps new keys.
    Renewed {
        /// Its serial (issued before).
        serial: u64,
        /// The short fingerprint of the keys the renewed certificate certifies.
        fingerprint: String,
        /// Unix seconds.
        issued: u64,
        /// Unix seconds (the renewed `not_after`).
        expires: u64,
    },
    /// The tip inbox got a new key and certificate (`lifeline keys rotate-inbox`); the key
    /// it replaces is retired from `issued` on (it still opens the tips sealed to it).
    InboxRotated {
        /// The new inbox certificate's serial (assigned like any other, never reused).
        serial: u64,
        /// The short fingerprint of the new inbox key (with the organisation key).
        fingerprint: String,
        /// Unix seconds: when the new key took over and the old one was retired.
        issued: u64,
        /// Unix seconds (the new certificate's `not_after`).
        expires: u64,
        /// The serial of the inbox certificate it replaces.
        replaces: u64,
    },
    /// A serial was revoked.
    Revoked {
        /// The serial.
        serial: u64,
        /// Unix seconds.
        at: u64,
    },
}

/// A certificate as the registry knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its serial.
    pub serial: u64,
    /// The alias it carries.
    pub alias: String,
    /// The short fingerprint of its keys.
    pub fingerprint: String,
    /// When issued (Unix seconds).
    pub issued: u64,
    /// When it expires (Unix seconds).
    pub expires: u64,
    /// When revoked, if it was.
    pub revoked: Option<u64>,
}

/// The first serial the tool assigns; those below are kept for tip inboxes.
pub const FIRST_SERIAL: u64 = 100;
/// The first tip inbox certificate's serial (`keys create-inbox`, recorded as `Issued` with
/// [`INBOX_ALIAS`]; rotations take the next free serial, recorded as `InboxRotated`).
pub const FIRST_INBOX_SERIAL: u64 = 1;
/// The alias `lifeline keys list` shows for an inbox certificate.
pub const INBOX_ALIAS: &str = "Tip inbox";

/// The registry file of a key folder.
pub fn path(dir: &Path) -> PathBuf {
    dir.join("registry.jsonl")
}

fn file_error(path: &Path, reason: impl ToString) -> RegistryError {
    RegistryError::File {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Every event recorded at `path`, in the order written (none if no file yet).
pub fn events(path: &Path) -> Result<Vec<Event>, RegistryError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(file_error(path, e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| file_error(path, format!("line {}: {e}", n + 1)))
        })
        .collect()
}

/// Every certificate recorded at `path` (inbox certificates too), soonest expiry first
/// (none if no file yet).
pub fn load(path: &Path) -> Result<Vec<Entry>, RegistryError> {
    let mut entries: Vec<Entry> = Vec::new();
    for event in events(path)? {
        match event {
            Event::Issued {
                serial,
                alias,
                fingerprint,
                issued,
                expires,
            } => entries.push(Entry {
                serial,
                alias,
                fingerprint,
                issued,
                expires,
                revoked: None,
            }),
            Event::InboxRotated {
                serial,
                fingerprint,
                issued,
                expires,
                ..
            } => entries.push(Entry {
                serial,
                alias: INBOX_ALIAS.into(),
                fingerprint,
                issued,
                expires,
                revoked: None,
            }),
            Event::Renewed {
                serial,
                fingerprint,
                expires,
                ..
            } => {
                for e in entries.iter_mut().filter(|e| e.serial == serial) {
                    e.fingerprint.clone_from(&fingerprint);
                    e.expires = expires;
                }
            }
            Event::Revoked { serial, at } => {
                for e in entries.iter_mut().filter(|e| e.serial == serial) {
                    e.revoked.get_or_insert(at);
                }
            }
        }
    }
    entries.sort_by_key(|e| (e.expires, e.serial));
    Ok(entries)
}

/// The next serial nobody was issued: one above the highest. A serial of `u64::MAX` (given
/// by hand) has none above it and is passed over; should it be the only one left, `append`
/// refuses it as reused.
pub fn next_serial(entries: &[Entry]) -> u64 {
    entries
        .iter()
        .filter_map(|e| e.serial.checked_add(1))
        .max()
        .unwrap_or(FIRST_SERIAL)
        .max(FIRST_SERIAL)
}

/// Appends `event` (owner-only file). Refused: an `Issued` for a serial already recorded,
/// a `Renewed` for one never issued or revoked.
pub fn append(path: &Path, event: &Event) -> Result<(), RegistryError> {
    match event {
        Event::Issued { serial, .. } | Event::InboxRotated { serial, .. }
            if load(path)?.iter().any(|e| e.serial == *serial) =>
        {
            return Err(RegistryError::SerialReused(*serial));
        }
        Event::Renewed { serial, .. }
            if !load(path)?
                .iter()
                .any(|e| e.serial == *serial && e.revoked.is_none()) =>
        {
            return Err(RegistryError::NotRenewable(*serial));
        }
        _ => {}
    }
    let line = serde_json::to_string(event).map_err(|e| file_error(path, e))? + "\n";
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| file_error(path, e))?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| file_error(path, e))
}

/// What both people compare by phone before a certificate is signed: 25 digits in five
/// groups, from SHA-256 over the X25519 then the Ed25519 public key.
pub fn short_fingerprint(x25519_public: &[u8; 32], ed25519_public: &[u8; 32]) -> String {
    let mut both = [0u8; 64];
    both[..32].copy_from_slice(x25519_public);
    both[32..].copy_from_slice(ed25519_public);
    let digest = Fingerprint::of(&both).0;
    digest[..10]
        .chunks(2)
        .map(|pair| format!("{:05}", u16::from_be_bytes([pair[0], pair[1]])))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(serial: u64, expires: u64) -> Event {
        Event::Issued {
            serial,
            alias: format!("c{serial}"),
            fingerprint: "00000 00000 00000 00000 00000".into(),
            issued: 1,
            expires,
        }
    }

    #[test]
    fn append_only_soonest_expiry_first_serials_never_reused() {
        let dir = std::env::temp_dir().join(format!("lifeline-registry-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = path(&dir);
        assert_eq!(next_serial(&load(&file).unwrap_or_default()), FIRST_SERIAL);
        for (serial, expires) in [(100, 50), (101, 20), (102, 90)] {
            assert!(append(&file, &issued(serial, expires)).is_ok());
        }
        assert!(append(&file, &Event::Revoked { serial: 102, at: 7 }).is_ok());
        assert!(matches!(
            append(&file, &issued(101, 99)),
            Err(RegistryError::SerialReused(101))
        ));
        let entries = load(&file).unwrap_or_default();
        let order: Vec<u64> = entries.iter().map(|e| e.serial).collect();
        assert_eq!(order, [101, 100, 102]);
        assert_eq!(entries[2].revoked, Some(7));
        let renewed = |serial| Event::Renewed {
            serial,
            fingerprint: "11111 11111 11111 11111 11111".into(),
            issued: 30,
            expires: 95,
        };
        assert!(matches!(
            append(&file, &renewed(102)),
            Err(RegistryError::NotRenewable(102))
        ));
        assert!(matches!(
            append(&file, &renewed(150)),
            Err(RegistryError::NotRenewable(150))
        ));
        assert!(append(&file, &renewed(101)).is_ok());
        let entries = load(&file).unwrap_or_default();
        let order: Vec<u64> = entries.iter().map(|e| e.serial).collect();
        assert_eq!(order, [100, 102, 101], "renewed: expires later");
        assert_eq!(entries[2].expires, 95);
        assert_eq!(entries[2].fingerprint, "11111 11111 11111 11111 11111");
        assert_eq!(next_serial(&entries), 103);
        // Revoking the newest does not free its serial.
        assert_eq!(
            std::fs::read_to_string(&file)
                .unwrap_or_default()
                .lines()
                .count(),
            5
        );
        std::fs::write(&file, "not json\n").unwrap_or_default();
        let err = load(&file).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.contains("registry.jsonl") && err.contains("line 1"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// FZ-3 (`docs/SECURITY.md` §3), seen while writing the fuzz target `registry_load`: a
    /// registry line with the largest serial made `next_serial` overflow (a panic with debug
    /// assertions, a silent wrap without).
    #[test]
    fn the_largest_serial_has_no_successor_and_is_passed_over() {
        let entry = |serial: u64| Entry {
            serial,
            alias: "a".into(),
            fingerprint: String::new(),
            issued: 0,
            expires: 0,
            revoked: None,
        };
        assert_eq!(next_serial(&[entry(u64::MAX)]), FIRST_SERIAL);
        assert_eq!(next_serial(&[entry(u64::MAX), entry(200)]), 201);
        assert_eq!(
            next_serial(&[entry(u64::MAX), entry(u64::MAX - 1)]),
            u64::MAX
        );
    }

    #[test]
    fn the_short_fingerprint_is_five_groups_of_five_digits_and_key_bound() {
        let a = short_fingerprint(&[1; 32], &[2; 32]);
        assert_eq!(a.len(), 29);
        assert!(
            a.split(' ')
                .all(|g| g.len() == 5 && g.chars().all(|c| c.is_ascii_digit()))
        );
        assert_ne!(a, short_fingerprint(&[1; 32], &[3; 32]));
        assert_ne!(a, short_fingerprint(&[2; 32], &[1; 32]));
    }
}
