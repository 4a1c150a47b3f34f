//! The inbox key set moving during a shift: a granted key stops opening tips when the
//! shift's wall clock (here a [`Clock::manual`] one) passes its grant's end, the keys of a
//! grant imported meanwhile replace the set at the next unlock (and the status line says
//! so), and a development `--inbox-key` stays as it was given.

use rand_core::OsRng;

use super::*;
use crate::clock::Clock;
use crate::console::shift::inbox_set::NOT_GRANTED;
use crate::crypto::sealed_tip::{self, TipMessage};

const DAY: u64 = 86_400;

fn shift_with(tip_keys: Option<TipKeys>, clock: &Clock) -> Shift {
    let mut shift = Shift::new(
        Me {
            alias: "Amara (Lyon)".into(),
            serial: 101,
            // Far from expiry: no certificate warning takes the status line.
            not_after: clock.unix_s() + 365 * DAY,
        },
        Settings::default(),
        PassphraseLock::with_cost(PASS, 64, 1),
        resources(),
        tip_keys,
        clock.instant(),
    );
    shift.wall_clock(clock.unix_s());
    shift
}

/// A tip sealed to `key` for `org` reaches the shift: the text opened, if any.
fn opens(shift: &mut Shift, org: &Fingerprint, key: &DhPublicKey) -> Option<String> {
    let tip = TipMessage {
        reply_key: None,
        category: None,
        text: "a tip".into(),
    };
    let sealed = sealed_tip::seal_tip(org, key, &tip, &mut OsRng).unwrap();
    shift.opened_tip = None;
    shift.handle(
        Input::Net(NetEvent::Relay(CoordinatorEvent::Tip {
            id: TipId([4; 16]),
            sealed,
            followups: vec![],
            replies: vec![],
        })),
        Instant::now(),
    );
    shift.opened_tip.as_ref().map(|t| t.text.clone())
}

#[test]
fn a_granted_key_stops_opening_tips_once_the_wall_clock_passes_its_end() {
    let clock = Clock::manual(1_780_000_000);
    let org = SigningKey::generate().public().fingerprint();
    let (newer, older) = (DhSecret::generate(), DhSecret::generate());
    let (newer_public, older_public) = (newer.public(), older.public());
    let start = clock.unix_s();
    let keys = TipKeys::granted(org, vec![(start + 14 * DAY, newer), (start + DAY, older)]);
    let mut shift = shift_with(keys, &clock);
    assert!(opens(&mut shift, &org, &older_public).is_some());

    // A long shift: one second before the older key's end it still opens, at its end not.
    clock.advance(Duration::from_secs(DAY - 1));
    shift.wall_clock(clock.unix_s());
    assert!(opens(&mut shift, &org, &older_public).is_some());
    clock.advance(Duration::from_secs(1));
    shift.wall_clock(clock.unix_s());
    assert_eq!(opens(&mut shift, &org, &older_public), None);
    assert_eq!(
        shift.status,
        Notice::TipDoesNotOpen {
            reason: NOT_GRANTED.into()
        }
    );
    assert!(opens(&mut shift, &org, &newer_public).is_some());

    // The last key ended: no tip opens, and the desk's `inbox` says so.
    clock.advance(Duration::from_secs(13 * DAY));
    shift.wall_clock(clock.unix_s());
    assert!(!shift.opens_tips());
    assert_eq!(opens(&mut shift, &org, &newer_public), None);
    assert_eq!(shift.status, Notice::NoInboxKey);
}

#[test]
fn the_keys_of_a_grant_imported_meanwhile_replace_the_set_and_are_said_once() {
    let clock = Clock::manual(1_780_000_000);
    let start = clock.unix_s();
    let org = SigningKey::generate().public().fingerprint();
    let (first, rotated) = (DhSecret::generate(), DhSecret::generate());
    let (first_public, rotated_public) = (first.public(), rotated.public());
    let copy = |k: &DhSecret| DhSecret::from_bytes(*k.to_bytes());
    let mut shift = shift_with(
        TipKeys::granted(org, vec![(start + 14 * DAY, copy(&first))]),
        &clock,
    );
    assert_eq!(opens(&mut shift, &org, &rotated_public), None);

    shift.status = Notice::Unlocked;
    shift.take_granted(TipKeys::granted(
        org,
        vec![(start + 28 * DAY, rotated), (start + 3 * DAY, first)],
    ));
    assert_eq!(shift.status, Notice::InboxKeysTaken);
    assert!(opens(&mut shift, &org, &rotated_public).is_some());
    assert!(opens(&mut shift, &org, &first_public).is_some());
    // Each key keeps its own end.
    clock.advance(Duration::from_secs(3 * DAY));
    shift.wall_clock(clock.unix_s());
    assert_eq!(opens(&mut shift, &org, &first_public), None);
    assert!(opens(&mut shift, &org, &rotated_public).is_some());

    // The identity rewritten with the same keys (another rewrite): nothing new to say. A
    // key already ended in it is not taken back.
    let held = shift.tip_keys.as_ref().map(|k| {
        k.inbox
            .iter()
            .map(|(end, key)| (end.unwrap_or_default(), copy(key)))
            .collect::<Vec<_>>()
    });
    let mut again = held.unwrap_or_default();
    again.push((start + 3 * DAY, DhSecret::generate()));
    shift.status = Notice::Unlocked;
    shift.take_granted(TipKeys::granted(org, again));
    assert_eq!(shift.status, Notice::Unlocked);
}

#[test]
fn a_development_inbox_key_is_not_replaced_by_a_grant() {
    let clock = Clock::manual(1_780_000_000);
    let org = SigningKey::generate().public().fingerprint();
    let development = DhSecret::generate();
    let development_public = development.public();
    let mut shift = shift_with(TipKeys::new(org, vec![development]), &clock);
    let granted = DhSecret::generate();
    let granted_public = granted.public();
    shift.status = Notice::Unlocked;
    shift.take_granted(TipKeys::granted(org, vec![(clock.unix_s() + DAY, granted)]));
    assert_eq!(shift.status, Notice::Unlocked);
    assert_eq!(opens(&mut shift, &org, &granted_public), None);
    // And it never ends.
    clock.advance(Duration::from_secs(10_000 * DAY));
    shift.wall_clock(clock.unix_s());
    assert!(opens(&mut shift, &org, &development_public).is_some());

    // A console started with no key at all takes a grant's.
    let mut bare = shift_with(None, &clock);
    let granted = DhSecret::generate();
    let granted_public = granted.public();
    bare.take_granted(TipKeys::granted(org, vec![(clock.unix_s() + DAY, granted)]));
    assert_eq!(bare.status, Notice::InboxKeysTaken);
    assert!(bare.opens_tips());
    assert!(opens(&mut bare, &org, &granted_public).is_some());
}
