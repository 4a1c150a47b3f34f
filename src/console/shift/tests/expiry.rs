//! The certificate's expiry in a shift: silent until three days before, then a warning that
//! repeats as the days run out, and a renewal on the live connection that ends it.

use super::*;
use crate::console::shift::expiry::RENEWAL_WARNING_S;

const DAY: u64 = 86_400;

#[test]
fn warned_from_three_days_before_expiry_each_day_until_renewed() {
    let mut k = kit();
    let not_after = k.shift.me.not_after;
    // A week before: nothing.
    k.shift.wall_clock(not_after - 7 * DAY);
    assert_eq!(k.shift.certificate_warning(), None);
    assert_eq!(k.shift.status, Notice::Welcome);

    // Three days before: warned, once.
    k.shift.wall_clock(not_after - RENEWAL_WARNING_S);
    assert_eq!(k.shift.status, Notice::CertificateExpiring { days_left: 3 });
    assert_eq!(
        k.shift.certificate_warning().map(|w| w.days_left()),
        Some(3)
    );
    k.shift.status = Notice::OnDuty;
    k.shift.wall_clock(not_after - RENEWAL_WARNING_S + 3600);
    assert_eq!(k.shift.status, Notice::OnDuty, "not again within the day");
    // A day later: warned again, with one day fewer, down to the last day.
    k.shift.wall_clock(not_after - 2 * DAY + 10);
    assert_eq!(k.shift.status, Notice::CertificateExpiring { days_left: 2 });
    k.shift.wall_clock(not_after - 3600);
    assert_eq!(k.shift.status, Notice::CertificateExpiring { days_left: 1 });

    // Renewed on the live connection: the new date, and no more warning.
    k.relay(CoordinatorEvent::Renewed {
        not_after: not_after + 14 * DAY,
    });
    assert_eq!(k.shift.me.not_after, not_after + 14 * DAY);
    assert_eq!(
        k.shift.status,
        Notice::CertificateRenewed {
            not_after: not_after + 14 * DAY
        }
    );
    k.shift.wall_clock(not_after - 1800);
    assert_eq!(k.shift.certificate_warning(), None);
}

#[test]
fn a_renewal_installed_meanwhile_is_taken_at_the_next_unlock_with_its_passphrase() {
    let mut k = kit();
    assert!(k.shift.handle(Input::IdentityRenewed, k.now).is_empty());
    assert_eq!(k.shift.status, Notice::RenewalWaiting);
    // Unlocking with a wrong passphrase gives nothing away and keeps it waiting.
    k.shift.act(Action::Lock, k.now);
    let wrong = k
        .shift
        .act(Action::Unlock(Passphrase::new("not it".into())), k.now);
    assert!(wrong.is_empty());
    let right = k
        .shift
        .act(Action::Unlock(Passphrase::new(PASS.into())), k.now);
    assert_eq!(
        right,
        vec![Command::UseRenewed(Passphrase::new(PASS.into()))]
    );
    // Once: the next unlock carries no passphrase anywhere.
    k.shift.act(Action::Lock, k.now);
    assert!(
        k.shift
            .act(Action::Unlock(Passphrase::new(PASS.into())), k.now)
            .is_empty()
    );
}
