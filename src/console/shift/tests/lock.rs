//! The idle lock, quitting and a lost connection through the core.

use super::*;

#[test]
fn idle_lock_hides_tips_hears_only_the_passphrase_and_relay_events_still_arrive() {
    let mut k = kit();
    k.two_conversations();
    k.shift.opened_tip = Some(OpenedTip {
        id: TipId([1; 16]),
        category: None,
        text: "secret".into(),
        sealed_by_relay: false,
        followups: vec![],
        replies: vec![],
        reply_key: None,
        draft: "half a reply".into(),
        replies_sent: 0,
    });
    k.tick_after(299);
    assert!(!k.shift.is_locked());
    k.act(Action::Select(Some(Selected::Conversation(sid(1)))));
    k.tick_after(299);
    assert!(!k.shift.is_locked(), "any action starts the idle time over");
    k.tick_after(1);
    assert!(k.shift.is_locked(), "locked after the idle period");
    assert!(k.shift.opened_tip.is_none(), "opened tips leave memory");

    // Relay events still arrive while locked, and a new visitor still rings.
    k.shift.take_bell();
    k.relay(queue(&[(5, 0, "en")]));
    assert!(k.shift.take_bell());
    k.relay(text(1, "hello?"));
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().unread,
        1,
        "shown, but not seen while locked"
    );

    // Nothing but the passphrase is heard.
    assert!(k.act(Action::Duty(false)).is_empty());
    assert!(k.act(Action::Quit).is_empty());
    assert!(k.act(Action::End(sid(1))).is_empty());
    assert!(k.shift.on_duty);
    assert!(!k.shift.quit);
    assert!(k.shift.conversation(&sid(1)).is_some());
    k.act(Action::Unlock(Passphrase::new("wrong".into())));
    assert!(k.shift.is_locked());
    assert!(k.shift.unlock_failed());
    k.act(Action::Unlock(Passphrase::new(PASS.into())));
    assert!(!k.shift.is_locked());
    assert!(!k.shift.unlock_failed());
    assert_eq!(k.shift.status, Notice::Unlocked);
    // Locking by hand too.
    k.act(Action::Lock);
    assert!(k.shift.is_locked());
    assert!(!k.shift.unlock_failed());
    k.act(Action::Unlock(Passphrase::new(PASS.into())));
    assert!(!k.shift.is_locked());
}

#[test]
fn a_passphrase_is_never_printed() {
    let typed = Passphrase::new(PASS.into());
    assert!(!format!("{typed:?}").contains(PASS));
    assert!(!format!("{:?}", Action::Unlock(typed)).contains(PASS));
}

#[test]
fn quitting_goes_off_duty_first() {
    let mut k = kit();
    k.act(Action::Duty(true));
    let commands = k.act(Action::Quit);
    assert!(k.shift.quit);
    assert_eq!(commands, vec![duty(false), Command::Quit]);
    assert!(!k.shift.on_duty);
    let mut idle = kit();
    assert_eq!(
        idle.act(Action::Quit),
        vec![Command::Quit],
        "off duty already"
    );
}

#[test]
fn a_lost_connection_ends_duty_keeps_the_conversations_and_duty_resumes_on_reconnect() {
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    k.relay(queue(&[(5, 0, "en")]));
    k.net(NetEvent::Disconnected("closed".into()));
    assert!(!k.shift.connected);
    assert!(!k.shift.on_duty);
    assert!(k.shift.queue.is_empty() && k.shift.roster.is_empty());
    assert_eq!(k.shift.status, Notice::Reconnecting);
    for c in &k.shift.conversations {
        assert_ne!(
            c.state,
            ConvState::Ended,
            "held by the relay for us to resume"
        );
        assert_eq!(
            c.lines.last().unwrap().who,
            Who::System(Note::ConnectionLost)
        );
    }
    k.net(NetEvent::Failed(Reason::Offline));
    assert_eq!(
        k.shift.status,
        Notice::NotDone {
            reason: Reason::Offline
        }
    );
    // Duty cannot change while the relay cannot hear it: no ghost on duty.
    assert!(k.act(Action::Duty(true)).is_empty());
    assert!(k.act(Action::Duty(false)).is_empty());
    assert!(!k.shift.on_duty);
    assert_eq!(k.shift.status, Notice::Offline);
    let commands = k.net(NetEvent::Reconnected);
    assert!(k.shift.connected);
    assert!(k.shift.on_duty, "back on duty as before the loss");
    assert_eq!(commands, vec![duty(true), Command::ListTips]);
    assert_eq!(k.shift.status, Notice::Reconnected { on_duty: true });
    // Every transcript stays on screen, marked, until dismissed.
    assert_eq!(k.shift.conversations.len(), 2);
    let first = k.shift.conversations[0].session;
    k.act(Action::End(first));
    assert_eq!(k.shift.conversations.len(), 1);
    // A second loss while off duty does not put it back on duty.
    k.act(Action::Duty(false));
    k.net(NetEvent::Disconnected("closed".into()));
    assert_eq!(
        k.net(NetEvent::Reconnected),
        vec![Command::ListTips],
        "no duty: the tips only"
    );
    assert!(!k.shift.on_duty);
}

#[test]
fn a_busy_relay_is_reported() {
    let mut k = kit();
    k.relay(CoordinatorEvent::Retry(30));
    assert_eq!(
        k.shift.status,
        Notice::NotStoredTryAgain { retry_after: 30 }
    );
}
