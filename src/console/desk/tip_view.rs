//! The tips part of the desk's snapshot (`docs/desk-api.md` §2.3): each listed tip with who
//! holds it, and the opened tip's whole thread with each reply's author and minute.
//!
//! It must never decide who may reply or take: the holder and `replyable` are the shift
//! core's answers ([`Shift::tip_holder`], [`Shift::replyable`]), passed on.

use serde::Serialize;

use crate::console::shift::{Followup, OpenedTip, Shift, ThreadReply, TipHolder};
use crate::protocol::TipId;
use crate::protocol::frames::TipSummary;

/// Who holds a tip, as the page is told: `"nobody"`, `"me"` or `{"colleague": alias}`.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum HolderView<'a> {
    Nobody,
    Me,
    Colleague(&'a str),
}

impl<'a> From<TipHolder<'a>> for HolderView<'a> {
    fn from(holder: TipHolder<'a>) -> Self {
        match holder {
            TipHolder::Nobody => HolderView::Nobody,
            TipHolder::Me => HolderView::Me,
            TipHolder::Colleague(alias) => HolderView::Colleague(alias),
        }
    }
}

/// One row of the tips list.
#[derive(Serialize)]
pub(super) struct TipRow<'a> {
    id: TipId,
    received: u64,
    followups: u32,
    replies: u32,
    holder: HolderView<'a>,
}

/// The opened tip.
#[derive(Serialize)]
pub(super) struct TipView<'a> {
    id: TipId,
    category: Option<&'a str>,
    text: &'a str,
    sealed_by_relay: bool,
    holder: HolderView<'a>,
    followups: Vec<Option<&'a str>>,
    replies: Vec<ReplyView<'a>>,
    /// Why replying is refused, if it is.
    replyable: Option<crate::console::shift::Notice>,
    draft: &'a str,
}

/// One reply in a tip's thread: who sent it and the minute the relay filed it, when known.
#[derive(Serialize)]
struct ReplyView<'a> {
    by: Option<&'a str>,
    filed: Option<u64>,
    text: Option<&'a str>,
}

fn reply(r: &ThreadReply) -> ReplyView<'_> {
    ReplyView {
        by: r.by.as_deref(),
        filed: r.filed,
        text: followup(&r.text),
    }
}

fn followup(f: &Followup) -> Option<&str> {
    match f {
        Followup::Text(t) => Some(t),
        Followup::DoesNotOpen | Followup::WithoutReplyKey => None,
    }
}

/// The tips list as it stands, each with its holder.
pub(super) fn rows(shift: &Shift) -> Vec<TipRow<'_>> {
    shift.tips.iter().map(|t| row(shift, t)).collect()
}

fn row<'a>(shift: &'a Shift, t: &TipSummary) -> TipRow<'a> {
    TipRow {
        id: t.id,
        received: t.received,
        followups: t.followups,
        replies: t.replies,
        holder: shift.tip_holder(t.id).into(),
    }
}

/// The opened tip, if one is.
pub(super) fn opened(shift: &Shift) -> Option<TipView<'_>> {
    let t: &OpenedTip = shift.opened_tip.as_ref()?;
    Some(TipView {
        id: t.id,
        category: t.category.as_deref(),
        text: &t.text,
        sealed_by_relay: t.sealed_by_relay,
        holder: shift.tip_holder(t.id).into(),
        followups: t.followups.iter().map(followup).collect(),
        replies: t.replies.iter().map(reply).collect(),
        replyable: shift.replyable().err(),
        draft: &t.draft,
    })
}

#[cfg(test)]
mod tests {
    use crate::client::coordinator::CoordinatorEvent;
    use crate::console::desk::view::{State, ToPage};
    use crate::console::shift::tests::kit;
    use crate::console::shift::{Action, Command, Screen};
    use crate::protocol::TipId;
    use crate::protocol::frames::TipSummary;
    use crate::protocol::http::Holds;

    fn summary(n: u8, held_by: Option<&str>) -> TipSummary {
        TipSummary {
            id: TipId([n; 16]),
            received: 1_700_000_040,
            followups: 0,
            replies: 0,
            held_by: held_by.map(str::to_owned),
        }
    }

    #[test]
    fn each_tip_says_who_holds_it_and_the_header_carries_the_key_and_what_the_server_keeps() {
        let mut k = kit();
        k.act(Action::Show(Screen::Tips));
        let me = k.shift.me.alias.clone();
        k.relay(CoordinatorEvent::Tips(vec![
            summary(1, None),
            summary(2, Some(&me)),
            summary(3, Some("Bastien")),
        ]));
        k.shift.fingerprint = Some("ab12 cd34".into());
        k.shift.holds = Some(Holds {
            erase_after_idle_s: 1800,
            tip_retention_days: 30,
            max_waiting_messages: 100,
        });
        let json = serde_json::to_value(ToPage::State(Box::new(State::of(&k.shift, true, k.now))))
            .unwrap();
        let holders: Vec<_> = json["tips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["holder"].clone())
            .collect();
        assert_eq!(
            holders,
            [
                serde_json::json!("nobody"),
                serde_json::json!("me"),
                serde_json::json!({"colleague": "Bastien"})
            ]
        );
        assert_eq!(json["fingerprint"], "ab12 cd34");
        assert_eq!(json["holds"]["erase_after_idle_s"], 1800);
        assert_eq!(json["holds"]["tip_retention_days"], 30);
        assert!(json["renew_days"].is_null());
        let last_day = k.shift.me.not_after - 3600;
        k.shift.wall_clock(last_day);
        let json = serde_json::to_value(State::of(&k.shift, true, k.now)).unwrap();
        assert_eq!(json["renew_days"], 1);

        // Taking over from the colleague goes to the relay as the core's own command.
        let id = TipId([3; 16]);
        assert_eq!(
            k.act(Action::TakeTip { id, over: true }),
            vec![Command::TakeTip { id, over: true }]
        );
    }
}
