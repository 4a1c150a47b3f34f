//! `registry::load` and `registry::next_serial` on an arbitrary `registry.jsonl`: the
//! organisation's record of the certificates it issued, whose bytes whoever can write to its
//! key folder chose (or a disk that lost half a line). Read through the real entry point, a
//! file on disk.
//!
//! Besides "never panics": the file loads exactly when every non-blank line is an event,
//! otherwise the typed `RegistryError::File` naming the line; every event re-encodes and
//! decodes to itself; the entries are the `issued` events, soonest expiry first, each
//! revoked at the first `revoked` line for its serial after it, with the expiry and keys of
//! the last `renewed` line for its serial after it (else its own); and the next serial is above
//! every one issued but `u64::MAX` (which has none above it), never below the first the tool
//! assigns, and never one already issued unless none is left: then `append` refuses it with
//! `SerialReused`.

#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::registry::{self, Event, FIRST_SERIAL, RegistryError};

#[path = "../common/scratch.rs"]
mod scratch;

/// One scratch file per fuzzing process.
static PATH: LazyLock<PathBuf> = LazyLock::new(|| scratch::file("registry"));

fuzz_target!(|data: &[u8]| {
    std::fs::write(&*PATH, data).expect("scratch file writable");
    let loaded = registry::load(&PATH);
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(
            matches!(loaded, Err(RegistryError::File { .. })),
            "a registry that is not UTF-8 loaded"
        );
        return;
    };
    let events: Result<Vec<Event>, _> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str::<Event>)
        .collect();
    let Ok(events) = events else {
        assert!(
            matches!(loaded, Err(RegistryError::File { .. })),
            "a registry with a line that is not an event loaded"
        );
        return;
    };
    let entries = loaded.expect("every line is an event, yet the registry did not load");

    for event in &events {
        let line = serde_json::to_string(event).expect("an event encodes");
        assert!(!line.contains('\n'), "an event is one line: {line}");
        assert_eq!(
            &serde_json::from_str::<Event>(&line).expect("decodes"),
            event
        );
    }

    let issued: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            // An inbox rotation records the new inbox certificate as an entry of its own.
            Event::Issued { serial, .. } | Event::InboxRotated { serial, .. } => Some(*serial),
            Event::Renewed { .. } | Event::Revoked { .. } => None,
        })
        .collect();
    assert_eq!(entries.len(), issued.len());
    assert!(
        entries
            .windows(2)
            .all(|w| (w[0].expires, w[0].serial) <= (w[1].expires, w[1].serial)),
        "not soonest expiry first"
    );
    for entry in &entries {
        // The first revocation of its serial after the (first) line that issued it.
        let position = events.iter().position(|e| match e {
            Event::Issued {
                serial,
                alias,
                issued,
                ..
            } => *serial == entry.serial && *alias == entry.alias && *issued == entry.issued,
            Event::InboxRotated { serial, issued, .. } => {
                *serial == entry.serial
                    && entry.alias == registry::INBOX_ALIAS
                    && *issued == entry.issued
            }
            _ => false,
        });
        let position = position.expect("every entry comes from an issued or inbox-rotated line");
        let revoked = events[position..].iter().find_map(|e| match e {
            Event::Revoked { serial, at } if *serial == entry.serial => Some(*at),
            _ => None,
        });
        // Its expiry and keys: the last renewal of its serial after that line, else its own.
        let renewed = events[position..].iter().rev().find_map(|e| match e {
            Event::Renewed {
                serial,
                fingerprint,
                expires,
                ..
            } if *serial == entry.serial => Some((*expires, fingerprint)),
            _ => None,
        });
        let (Event::Issued {
            expires,
            fingerprint,
            ..
        }
        | Event::InboxRotated {
            expires,
            fingerprint,
            ..
        }) = &events[position]
        else {
            unreachable!("found as an issued or inbox-rotated line");
        };
        if issued.iter().filter(|s| **s == entry.serial).count() == 1 {
            assert_eq!(entry.revoked, revoked, "serial {}", entry.serial);
            assert_eq!(
                (entry.expires, &entry.fingerprint),
                renewed.unwrap_or((*expires, fingerprint)),
                "serial {}",
                entry.serial
            );
        }
    }

    let next = registry::next_serial(&entries);
    assert!(next >= FIRST_SERIAL);
    assert!(
        issued.iter().all(|s| *s < next || *s == u64::MAX),
        "next serial {next} is not above every one issued"
    );
    if issued.contains(&next) {
        // Only when no serial is left: issuing it again is refused, never written.
        assert_eq!(next, u64::MAX, "next serial {next} was already issued");
        let again = Event::Issued {
            serial: next,
            alias: String::new(),
            fingerprint: String::new(),
            issued: 0,
            expires: 0,
        };
        assert!(matches!(
            registry::append(&PATH, &again),
            Err(RegistryError::SerialReused(s)) if s == next
        ));
    }
});
