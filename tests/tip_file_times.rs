//! The file tip store's times on disk (a seized-server review, 2026-12-01): a tip file's
//! modification, change and birth times, and its folder's, must say no more than the minute
//! the store itself keeps. Each write of a file (a tip filed, a follow-up, a reply, a hold)
//! carries the nanosecond it happened until the relay's next minute sweep re-writes it as a
//! fresh file stamped with that minute; a disk or a `cp -a` backup joined with a provider's
//! netflow logs would otherwise point at the tipster's address for the whole retention.
//!
//! Filed through the real `/v1/tips` and `/v1/receipt/followup` over loopback HTTP, on the
//! memory store (whose tips are files) whatever `LIFELINE_TEST_STORE` says.

use crate::common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use lifeline::client::tipster::Tipster;
use lifeline::crypto::sealed_tip::{self, TipMessage};
use rand_core::OsRng;

/// What `statx` tells of a file: birth (where the file system keeps it), change, modification
/// and access times.
#[derive(Debug)]
struct Times {
    birth: Option<SystemTime>,
    changed: SystemTime,
    modified: SystemTime,
    accessed: SystemTime,
}

fn times(path: &Path) -> Times {
    let meta = std::fs::metadata(path).expect("metadata");
    let changed = u64::try_from(meta.ctime()).expect("ctime after 1970");
    let changed_nanos = u32::try_from(meta.ctime_nsec()).expect("nanoseconds");
    Times {
        birth: meta.created().ok(),
        changed: UNIX_EPOCH + Duration::new(changed, changed_nanos),
        modified: meta.modified().expect("mtime"),
        accessed: meta.accessed().expect("atime"),
    }
}

fn whole_minute(t: SystemTime) -> bool {
    let since = t.duration_since(UNIX_EPOCH).expect("after 1970");
    since.subsec_nanos() == 0 && since.as_secs().is_multiple_of(60)
}

fn only_tip_file(folder: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("tip folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// The file re-stamped since `written` (its times then): access and modification at a whole
/// minute, change and birth no longer those of the write.
fn assert_minute_only(file: &Path, written: &Times, what: &str) {
    let now = times(file);
    assert!(whole_minute(now.modified), "{what}: mtime {now:?}");
    assert!(whole_minute(now.accessed), "{what}: atime {now:?}");
    assert!(
        now.changed > written.changed,
        "{what}: ctime still the write's: {now:?} vs {written:?}"
    );
    if let (Some(birth), Some(at_write)) = (now.birth, written.birth) {
        assert!(birth > at_write, "{what}: birth still the write's: {now:?}");
    }
}

fn assert_folder_minute(folder: &Path, what: &str) {
    let now = times(folder);
    assert!(whole_minute(now.modified), "{what}: folder mtime {now:?}");
    assert!(whole_minute(now.accessed), "{what}: folder atime {now:?}");
}

/// Past the sweep's next minute tick: the relay's clock moves on, and a little real time
/// passes so the re-stamp's own instant cannot be the write's.
async fn past_the_tick(relay: &TestRelay) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    relay.relay.clock.advance(Duration::from_secs(61));
    relay.relay.sweep().await;
}

/// The relay's own sweeper ticks once as it starts, then every minute: the test files its tip
/// once that first tick is over (it dates the folder last), so the re-stamp it looks at is
/// the one it asked for, not one racing the filing.
async fn first_sweep_done(folder: &Path) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !whole_minute(times(folder).modified) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay's first sweep never dated the folder to a minute"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_tip_file_and_its_folder_keep_only_the_minute_once_the_sweep_has_run() {
    let relay = TestRelay::start_with(|c| c.store.kind = lifeline::config::StoreKind::Memory).await;
    let folder = relay.data_dir.join("tips");
    first_sweep_done(&folder).await;
    let tipster = Tipster::new(&relay.addr.to_string());
    let (_, first) = file_first_tip(&relay, &tipster, "Locked in at night", None).await;
    let file = only_tip_file(&folder);
    let filed = times(&file);

    past_the_tick(&relay).await;
    assert_minute_only(&file, &filed, "the tip");
    assert_folder_minute(&folder, "the tip");

    // A follow-up re-writes the file at the tipster's second visit: re-stamped in turn.
    let org = relay.relay.keys.organisation.fingerprint();
    let inbox = relay.relay.keys.inbox.body().x25519_public;
    let message = TipMessage {
        reply_key: None,
        category: None,
        text: "They moved them.".into(),
    };
    let sealed =
        sealed_tip::seal_followup(&org, &inbox, &first.keys.tipster_key, &message, &mut OsRng)
            .expect("seal follow-up");
    tipster
        .follow_up(first.keys.lookup_id, sealed)
        .await
        .expect("follow-up filed");
    let followed = times(&file);
    assert!(!whole_minute(followed.modified) || followed.changed > filed.changed);

    past_the_tick(&relay).await;
    assert_minute_only(&file, &followed, "the follow-up");
    assert_folder_minute(&folder, "the follow-up");
    assert_eq!(only_tip_file(&folder), file, "nothing left beside it");

    // A restart reads every file again: reading must not give one a finer access time.
    let relay = relay.restart().await;
    let after = times(&file);
    assert!(whole_minute(after.accessed), "after a restart: {after:?}");
    assert!(whole_minute(after.modified), "after a restart: {after:?}");
    assert_eq!(relay.tips_held().await, 1);
}
