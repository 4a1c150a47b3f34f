//! Away from a locked console: past its limit it must not leave the line looking staffed,
//! nor its visitors waiting on nobody; it gives them back to the queue, transcripts kept.

use super::*;

/// Moves the kit's clock on by `secs` and ticks; returns what the tick sends to the relay.
fn tick(k: &mut Kit, secs: u64) -> Vec<Command> {
    k.now += Duration::from_secs(secs);
    k.shift.handle(Input::Tick, k.now)
}

/// What each held conversation is, to compare before and after: number, state, lines,
/// draft.
fn held(k: &Kit) -> Vec<(u32, ConvState, usize, String)> {
    k.shift
        .conversations
        .iter()
        .map(|c| (c.number, c.state, c.lines.len(), c.draft.clone()))
        .collect()
}

/// What a kit with two conversations sends once locked past the limit: off duty, as Ctrl-D
/// sends it, and both visitors back to the queue.
fn off_duty_and_both_given_back() -> Vec<Command> {
    vec![
        duty(false),
        Command::Release(sid(1)),
        Command::Release(sid(2)),
    ]
}

fn unlock(k: &mut Kit) -> Vec<Command> {
    k.act(Action::Unlock(Passphrase::new(PASS.into())))
}

#[test]
fn locked_past_the_limit_it_goes_off_duty_gives_back_what_it_holds_and_says_so_at_unlock() {
    let mut k = kit();
    k.two_conversations();
    k.write(Target::Conversation(sid(1)), "half a reply");
    k.relay(roster());
    k.relay(queue(&[(5, 30, "en")]));
    let before = held(&k);
    assert!(k.act(Action::Lock).is_empty());

    assert!(tick(&mut k, 599).is_empty(), "still within the limit");
    assert!(k.shift.on_duty);
    assert_eq!(held(&k), before, "nothing moved within the limit");
    assert_eq!(
        tick(&mut k, 1),
        off_duty_and_both_given_back(),
        "off duty, as Ctrl-D sends it, and both visitors back to the queue for a colleague"
    );
    assert!(!k.shift.on_duty);
    assert!(
        k.shift.is_locked(),
        "still locked: only the passphrase opens it"
    );
    assert!(k.shift.queue.is_empty() && k.shift.roster.is_empty());
    assert_eq!(k.shift.held(), 0, "nobody waits on this console");
    for c in &k.shift.conversations {
        assert_eq!(c.state, ConvState::Ended, "read-only here");
        assert_eq!(
            c.lines.last().map(|l| &l.who),
            Some(&Who::System(Note::BackInQueue)),
            "the transcript says where it went"
        );
    }
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().draft,
        "half a reply",
        "kept"
    );
    assert!(tick(&mut k, 600).is_empty(), "told to the relay once");
    // The relay's answer changes nothing more.
    assert!(k.relay(CoordinatorEvent::Released(sid(1))).is_empty());
    assert_eq!(
        k.shift
            .conversation(&sid(1))
            .unwrap()
            .lines
            .last()
            .map(|l| &l.who),
        Some(&Who::System(Note::BackInQueue))
    );

    // A wrong passphrase tells nothing of the shift.
    k.act(Action::Unlock(Passphrase::new("wrong".into())));
    assert!(k.shift.is_locked());
    // The unlock says so, and does not go back on duty by itself.
    assert!(unlock(&mut k).is_empty());
    assert!(!k.shift.on_duty);
    assert_eq!(
        k.shift.status,
        Notice::LockedTooLong {
            after_s: 600,
            off_duty: true,
            released: 2
        }
    );
    // Said once: the next lock, off duty already and holding nothing, unlocks plainly.
    k.act(Action::Lock);
    tick(&mut k, 1200);
    unlock(&mut k);
    assert_eq!(k.shift.status, Notice::Unlocked);
    // Back on duty is the coordinator's own choice, as always; a visitor still waiting is
    // claimed again as one conversation, the old transcript above.
    assert_eq!(
        k.act(Action::Duty(true)),
        vec![duty(true), Command::ListTips]
    );
    k.relay(queue(&[(1, 700, "en")]));
    assert_eq!(k.act(Action::Claim(sid(1))), vec![Command::Claim(sid(1))]);
    let lines = k.shift.conversation(&sid(1)).unwrap().lines.len();
    k.relay(claimed(1, None));
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(c.state, ConvState::Open);
    assert!(
        c.lines.len() > lines,
        "the old transcript kept, the new start below"
    );
    assert_eq!(k.shift.held(), 1);
}

#[test]
fn off_duty_already_it_still_gives_back_what_it_holds_but_not_a_hand_over_under_way() {
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    let commands = k.act(Action::Transfer {
        session: sid(2),
        to: 102,
        note: String::new(),
    });
    assert_eq!(commands.len(), 1, "{commands:?}");
    k.act(Action::Duty(false));
    k.act(Action::Lock);
    assert_eq!(
        tick(&mut k, 600),
        vec![Command::Release(sid(1))],
        "the visitor asked about a colleague decides for themselves"
    );
    assert_eq!(
        k.shift.conversation(&sid(2)).unwrap().state,
        ConvState::Transferring
    );
    unlock(&mut k);
    assert_eq!(
        k.shift.status,
        Notice::LockedTooLong {
            after_s: 600,
            off_duty: false,
            released: 1
        }
    );
}

#[test]
fn unlocking_before_the_limit_changes_nothing_and_each_lock_counts_afresh() {
    let mut k = kit();
    k.two_conversations();
    let before = held(&k);
    k.act(Action::Lock);
    assert!(tick(&mut k, 599).is_empty());
    assert!(unlock(&mut k).is_empty());
    assert_eq!(k.shift.status, Notice::Unlocked);
    assert!(k.shift.on_duty);
    assert_eq!(held(&k), before);

    // Locked again: the time locked starts over from this lock, not the first.
    k.act(Action::Lock);
    assert!(tick(&mut k, 599).is_empty());
    assert!(k.shift.on_duty);
    assert_eq!(tick(&mut k, 1), off_duty_and_both_given_back());
}

#[test]
fn the_idle_lock_counts_too_and_locking_again_does_not_start_the_time_over() {
    let mut k = kit();
    k.act(Action::Duty(true));
    assert!(tick(&mut k, 300).is_empty());
    assert!(k.shift.is_locked(), "the idle lock");
    assert!(tick(&mut k, 300).is_empty());
    // The desk locks again when its page is reloaded: no sign that anyone is answering.
    k.shift.lock_now(k.now);
    assert!(tick(&mut k, 299).is_empty());
    assert_eq!(tick(&mut k, 1), vec![duty(false)]);
}

#[test]
fn a_lock_while_off_duty_unlocks_plainly() {
    let mut k = kit();
    k.act(Action::Lock);
    assert!(tick(&mut k, 3600).is_empty());
    unlock(&mut k);
    assert_eq!(k.shift.status, Notice::Unlocked);
    assert!(!k.shift.on_duty);
}

#[test]
fn offline_past_the_limit_it_does_not_go_back_on_duty_when_signed_in_again() {
    let mut k = kit();
    k.two_conversations();
    k.act(Action::Lock);
    k.net(NetEvent::Disconnected("closed".into()));
    assert!(
        tick(&mut k, 600).is_empty(),
        "offline: the relay already counts it off duty"
    );
    assert_eq!(
        k.net(NetEvent::Reconnected),
        vec![Command::ListTips],
        "signed in again while locked past the limit: no duty (the tips only)"
    );
    assert!(!k.shift.on_duty);
    assert_eq!(k.shift.status, Notice::Reconnected { on_duty: false });
    unlock(&mut k);
    assert_eq!(
        k.shift.status,
        Notice::LockedTooLong {
            after_s: 600,
            off_duty: true,
            released: 0
        }
    );
    assert_eq!(k.shift.held(), 2);

    // Signed in again before the limit, it goes back on duty as before, then off at the
    // limit.
    let mut k = kit();
    k.act(Action::Duty(true));
    k.act(Action::Lock);
    k.net(NetEvent::Disconnected("closed".into()));
    tick(&mut k, 100);
    assert_eq!(
        k.net(NetEvent::Reconnected),
        vec![duty(true), Command::ListTips]
    );
    assert!(tick(&mut k, 499).is_empty());
    assert_eq!(tick(&mut k, 1), vec![duty(false)]);
}
