//! What the desk page is shown (`docs/desk-api.md`): the shift core's state as one JSON
//! snapshot, rebuilt after every input, or, while locked, only that it is locked.
//!
//! It must never put anything of the shift into a locked view, and never decide anything:
//! what may be done (write, transfer, reply) is the core's answer, passed on.

use std::time::Instant;

use serde::Serialize;

use super::start_error::StartError;
use super::tip_view::{self, TipRow, TipView};
use crate::console::shift::{
    ConvState, Conversation, Line, Mark, Note, Notice, Screen, Selected, Shift, Target, Who,
};
use crate::protocol::SessionId;
use crate::protocol::frames::ConversationKind;
use crate::protocol::http::Holds;

/// The desk before the shift started: the keys are still locked.
#[derive(Serialize)]
pub struct Starting<'a> {
    /// `identity`: the identity's passphrase opens it; `development`: the page chooses a
    /// lock passphrase for development keys.
    pub keys: &'a str,
    /// Whether the inbox key is sealed with its own passphrase.
    pub inbox_sealed: bool,
    /// What went wrong with the last try, for the page to word.
    pub error: Option<StartError>,
    /// Seconds before another try is heard.
    pub retry_in: u64,
}

/// The idle lock.
#[derive(Serialize)]
pub struct Locked {
    /// The last passphrase typed was wrong.
    pub failed: bool,
    /// Seconds before another try is heard.
    pub retry_in: u64,
}

/// One message to the page.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToPage<'a> {
    /// The keys are locked: the shift has not started.
    Starting(Starting<'a>),
    /// The console is locked: nothing of the shift is sent.
    Locked(Locked),
    /// The whole shift as it stands.
    State(Box<State<'a>>),
    /// A new visitor, or one handed to me: the page may ring (never with any text).
    Bell,
    /// The shift is over; the desk stops.
    Ended(Ended),
}

/// Why the shift is over, when the coordinator did not end it.
#[derive(Serialize)]
pub struct Ended {
    /// `signed_in_elsewhere`: this identity signed in on another console or desk, and the
    /// relay closed this one (4011); absent when the coordinator ended the shift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<&'static str>,
}

/// The unlocked shift.
#[derive(Serialize)]
pub struct State<'a> {
    alias: &'a str,
    serial: u64,
    not_after: u64,
    on_duty: bool,
    connected: bool,
    capacity: u8,
    held: usize,
    inbox: bool,
    screen: &'static str,
    selected: Option<SelectedView>,
    queue: Vec<QueueView>,
    conversations: Vec<ConversationView<'a>>,
    colleagues: Vec<ColleagueView<'a>>,
    resources: Vec<ResourceView<'a>>,
    tips: Vec<TipRow<'a>>,
    opened_tip: Option<TipView<'a>>,
    /// The short fingerprint of my keys, to compare with the registry.
    fingerprint: Option<&'a str>,
    /// Whole days left while the certificate expires within the warning window.
    renew_days: Option<u64>,
    /// What the relay says it keeps and until when (§9.10); null when it does not say.
    holds: Option<&'a Holds>,
    status: &'a Notice,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum SelectedView {
    Queue(SessionId),
    Conversation(SessionId),
}

#[derive(Serialize)]
struct QueueView {
    session: SessionId,
    waited_s: u64,
    kind: ConversationKind,
    lang: Option<String>,
}

#[derive(Serialize)]
struct ConversationView<'a> {
    session: SessionId,
    number: u32,
    kind: ConversationKind,
    lang: Option<&'a str>,
    open_s: u64,
    transferred_from: Option<&'a str>,
    unread: u32,
    /// My messages the relay keeps, encrypted, until the visitor reads them (for the
    /// "what the server keeps" line, as the terminal counts them).
    kept_unread: usize,
    draft: &'a str,
    /// The note of the last hand-over that did not go through, for the next picker.
    handover_note: &'a str,
    state: &'static str,
    /// Why writing is refused, if it is.
    writable: Option<Notice>,
    /// Why a hand-over is refused, if it is.
    transferable: Option<Notice>,
    lines: Vec<LineView<'a>>,
}

#[derive(Serialize)]
struct LineView<'a> {
    who: &'static str,
    text: &'a str,
    note: Option<&'a Note>,
    mark: &'static str,
}

#[derive(Serialize)]
struct ColleagueView<'a> {
    serial: u64,
    alias: &'a str,
    load: u32,
    capacity: u32,
}

#[derive(Serialize)]
struct ResourceView<'a> {
    title: &'a str,
    text: &'a str,
    lang: &'a str,
    category: &'a str,
    region: &'a str,
}

fn line(l: &Line) -> LineView<'_> {
    let (who, note) = match &l.who {
        Who::Visitor => ("visitor", None),
        Who::Me => ("me", None),
        Who::System(note) => ("system", Some(note)),
    };
    let mark = match l.mark {
        Mark::Pending => "pending",
        Mark::Sent => "sent",
        Mark::Undelivered => "undelivered",
        Mark::Delivered => "delivered",
        Mark::NotSent => "not_sent",
    };
    LineView {
        who,
        text: &l.text,
        note,
        mark,
    }
}

fn conversation<'a>(shift: &Shift, c: &'a Conversation, now: Instant) -> ConversationView<'a> {
    ConversationView {
        session: c.session,
        number: c.number,
        kind: c.kind,
        lang: c.lang.as_deref(),
        open_s: c.open_for(now).as_secs(),
        transferred_from: c.transferred_from.as_deref(),
        unread: c.unread,
        kept_unread: c.kept_unread(),
        draft: &c.draft,
        handover_note: &c.handover_note,
        state: match c.state {
            ConvState::Ended => "ended",
            // Held by the relay while the desk signs in again and resumes it, as the
            // terminal says: the last line is the lost connection's note.
            _ if c
                .lines
                .last()
                .is_some_and(|l| l.who == Who::System(Note::ConnectionLost)) =>
            {
                "reconnecting"
            }
            ConvState::Open => "open",
            ConvState::Away => "away",
            ConvState::Transferring => "transferring",
        },
        writable: shift.writable(c.session).err(),
        transferable: shift.transferable(c.session).err(),
        lines: c.lines.iter().map(line).collect(),
    }
}

impl<'a> State<'a> {
    /// The shift as it stands at `now`; `inbox` says whether tips can be opened here.
    pub fn of(shift: &'a Shift, inbox: bool, now: Instant) -> Self {
        let target: Option<Target> = shift.current_target();
        State {
            alias: &shift.me.alias,
            serial: shift.me.serial,
            not_after: shift.me.not_after,
            on_duty: shift.on_duty,
            connected: shift.connected,
            capacity: shift.settings.capacity,
            held: shift.held(),
            inbox,
            screen: match shift.screen {
                Screen::Chats => "chats",
                Screen::Tips => "tips",
            },
            selected: shift.selected.map(|s| match s {
                Selected::Queue(s) => SelectedView::Queue(s),
                Selected::Conversation(s) => SelectedView::Conversation(s),
            }),
            queue: shift
                .queue
                .iter()
                .map(|q| QueueView {
                    session: q.session,
                    waited_s: q.waited(now).as_secs(),
                    kind: q.kind,
                    lang: q.lang.clone(),
                })
                .collect(),
            conversations: shift
                .conversations
                .iter()
                .map(|c| conversation(shift, c, now))
                .collect(),
            colleagues: shift
                .transfer_targets()
                .into_iter()
                .map(|c| ColleagueView {
                    serial: c.serial,
                    alias: &c.alias,
                    load: c.load,
                    capacity: c.capacity,
                })
                .collect(),
            resources: shift
                .offered_resources(target)
                .into_iter()
                .map(|r| ResourceView {
                    title: &r.title,
                    text: &r.text,
                    lang: &r.lang,
                    category: &r.category,
                    region: &r.region,
                })
                .collect(),
            tips: tip_view::rows(shift),
            opened_tip: tip_view::opened(shift),
            fingerprint: shift.fingerprint.as_deref(),
            renew_days: shift.certificate_warning().map(|w| w.days_left()),
            holds: shift.holds.as_ref(),
            status: &shift.status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::shift::tests::{claimed, kit, queue, roster, sid, text};
    use crate::console::shift::{Action, NetEvent, Selected};

    #[test]
    fn the_snapshot_carries_the_cores_state_and_a_lock_carries_nothing() {
        let mut k = kit();
        k.act(Action::Duty(true));
        k.relay(queue(&[(1, 120, "fr"), (2, 0, "en")]));
        k.relay(roster());
        k.act(Action::Claim(sid(1)));
        k.relay(claimed(1, None));
        k.relay(text(1, "bonjour"));
        let json = serde_json::to_value(ToPage::State(Box::new(State::of(&k.shift, true, k.now))))
            .unwrap();
        assert_eq!(json["type"], "state");
        assert_eq!(json["on_duty"], true);
        assert_eq!(json["queue"][0]["lang"], "en");
        assert_eq!(json["queue"].as_array().unwrap().len(), 1);
        let c = &json["conversations"][0];
        assert_eq!(c["number"], 1);
        assert_eq!(c["lines"][0]["note"], "joined");
        assert_eq!(c["lines"][1]["who"], "visitor");
        assert_eq!(c["lines"][1]["text"], "bonjour");
        assert!(c["writable"].is_null() && c["transferable"].is_null());
        assert_eq!(
            json["status"],
            serde_json::json!({"claimed": {"number": 1}})
        );
        assert_eq!(json["colleagues"][0]["alias"], "Bastien");
        assert_eq!(json["colleagues"].as_array().unwrap().len(), 1);
        assert_eq!(
            json["selected"],
            serde_json::json!({"conversation": serde_json::to_value(sid(1)).unwrap()})
        );
        assert!(matches!(k.shift.selected, Some(Selected::Conversation(_))));

        // A lost connection: the relay holds the conversation, the page says reconnecting.
        k.net(NetEvent::Disconnected("reset".into()));
        let json = serde_json::to_value(State::of(&k.shift, true, k.now)).unwrap();
        assert_eq!(json["conversations"][0]["state"], "reconnecting");
        assert_eq!(
            json["conversations"][0]["lines"][2]["note"],
            "connection_lost"
        );

        k.act(Action::Lock);
        let locked = serde_json::to_string(&ToPage::Locked(Locked {
            failed: k.shift.unlock_failed(),
            retry_in: 0,
        }))
        .unwrap();
        assert_eq!(locked, r#"{"type":"locked","failed":false,"retry_in":0}"#);
    }

    #[test]
    fn the_page_is_told_of_the_outage_and_of_what_never_arrived() {
        use crate::client::coordinator::CoordinatorEvent;
        use crate::console::shift::Target;
        use crate::protocol::frames::PeerEvent;
        let mut k = kit();
        k.act(Action::Duty(true));
        k.relay(queue(&[(1, 0, "en")]));
        k.act(Action::Claim(sid(1)));
        k.relay(claimed(1, None));
        k.write(Target::Conversation(sid(1)), "are you safe?");
        k.act(Action::Send(Target::Conversation(sid(1))));
        k.relay(CoordinatorEvent::Retry(1));
        let json = serde_json::to_value(State::of(&k.shift, true, k.now)).unwrap();
        assert_eq!(json["conversations"][0]["lines"][1]["mark"], "pending");
        assert_eq!(
            json["status"],
            serde_json::json!({"relay_busy": {"retry_after": 1}})
        );
        k.relay(CoordinatorEvent::Peer {
            session: sid(1),
            event: PeerEvent::Ended,
        });
        let json = serde_json::to_value(State::of(&k.shift, true, k.now)).unwrap();
        assert_eq!(json["conversations"][0]["lines"][1]["mark"], "undelivered");
        assert_eq!(json["conversations"][0]["kept_unread"], 0);
        assert_eq!(
            json["status"],
            serde_json::json!({"not_delivered": {"number": 1, "count": 1}})
        );
    }
}
