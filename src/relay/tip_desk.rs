//! The tips inbox as a team works it (`/v1/coordinator`, §9.9): listing, opening, taking
//! (one coordinator answers a tipster at a time, a colleague may take over), replying with
//! a copy for the team, marking handled, and the sweep that frees a tip its holder left.
//!
//! The relay knows who took and who answered a tip (a certified alias) and the minute; it
//! must never hold a tip's plaintext or anything about the tipster, and must never keep a
//! holder or an author past the tip (both are erased when it is handled).

use std::sync::Arc;

use super::connection::Outbox;
use super::delivery::tip_list;
use super::events::ForCoordinator;
use super::resend::RETRY_AFTER_S;
use super::state::Relay;
use crate::protocol::frames::ReplyCopyItem;
use crate::protocol::{Bytes, CoordinatorFrame, RelayFrame, TipId};
use crate::store::tips::{Reply, ReplyCopy, Take, TipHolder};

/// Answers one of a coordinator's tip frames. Any other frame is ignored here.
pub async fn handle(relay: &Arc<Relay>, out: &Outbox, serial: u64, frame: CoordinatorFrame) {
    match frame {
        CoordinatorFrame::ListTips {} => send_list(relay, out).await,
        CoordinatorFrame::OpenTip { id } => open(relay, out, id).await,
        CoordinatorFrame::TakeTip { id, over } => match take(relay, out, serial, id, over).await {
            Some(Take::NoTip) => send_list(relay, out).await,
            Some(Take::Taken | Take::TakenOver(_)) => changed_by(relay, out, serial).await,
            // Refused (`tip_held`) or the store failed (`retry`): nothing changed.
            Some(Take::HeldBy(_)) | None => {}
        },
        CoordinatorFrame::ReplyTip { id, sealed, copy } => {
            // Answering a free tip takes it: two colleagues never answer one tipster unaware.
            match take(relay, out, serial, id, false).await {
                None | Some(Take::HeldBy(_)) => return,
                Some(_) => {}
            }
            let reply = Reply {
                sealed: sealed.0,
                copy: copy.filter(|c| reply_copy_fits(&c.0)).map(|c| ReplyCopy {
                    sealed: c.0,
                    by: Some(alias_of(relay, serial)),
                    minute: Some(relay.clock.unix_minute()),
                }),
            };
            if relay.tips.add_reply(&id, reply).await.is_err() {
                retry(out);
            }
            changed_by(relay, out, serial).await;
        }
        CoordinatorFrame::CloseTip { id } => {
            match take(relay, out, serial, id, false).await {
                None | Some(Take::HeldBy(_)) => return,
                Some(_) => {}
            }
            if relay.tips.mark_handled(&id).await.is_err() {
                retry(out);
            }
            changed_by(relay, out, serial).await;
        }
        _ => {}
    }
}

async fn open(relay: &Arc<Relay>, out: &Outbox, id: TipId) {
    let tip = match relay.tips.get(&id).await {
        Ok(tip) => tip.filter(|t| !t.handled),
        // Not "no such tip" (the list it would send is unknown too): ask again later.
        Err(_) => return retry(out),
    };
    match tip {
        Some(tip) => {
            let replies = tip
                .reply_copies
                .into_iter()
                .map(|c| ReplyCopyItem {
                    sealed: Bytes(c.sealed),
                    by: c.by,
                    filed: c.minute.map(|m| m * 60),
                })
                .collect();
            out.send(RelayFrame::Tip {
                id,
                sealed: Bytes(tip.sealed),
                followups: tip.followups.into_iter().map(Bytes).collect(),
                replies,
            });
        }
        None => send_list(relay, out).await,
    }
}

/// Sends `out` the inbox, or `retry` if the store cannot list it: never an empty list on
/// doubt, which would tell the coordinator that nothing waits.
async fn send_list(relay: &Relay, out: &Outbox) {
    match tip_list(relay).await {
        Some(list) => {
            out.send(list);
        }
        None => retry(out),
    }
}

/// `serial` takes tip `id` (over a colleague with `over`), telling whoever must know: the
/// colleague it was taken from, or the taker that a colleague holds it. `None` when the
/// store failed (the taker was asked to retry).
async fn take(
    relay: &Arc<Relay>,
    out: &Outbox,
    serial: u64,
    id: TipId,
    over: bool,
) -> Option<Take> {
    let taker = TipHolder {
        serial,
        alias: alias_of(relay, serial),
        minute: relay.clock.unix_minute(),
    };
    let Ok(verdict) = relay.tips.take(&id, &taker, over).await else {
        retry(out);
        return None;
    };
    match &verdict {
        Take::HeldBy(holder) => {
            out.send(RelayFrame::TipHeld {
                id,
                by: holder.alias.clone(),
            });
        }
        Take::TakenOver(previous) => {
            let frame = RelayFrame::TipTaken {
                id,
                by: taker.alias,
            };
            relay
                .to_coordinator(previous.serial, ForCoordinator::Frame { frame })
                .await;
        }
        Take::Taken | Take::NoTip => {}
    }
    Some(verdict)
}

fn alias_of(relay: &Relay, serial: u64) -> String {
    relay.live.with(|live| {
        live.coordinators
            .get(&serial)
            .map(|c| c.alias.clone())
            .unwrap_or_default()
    })
}

fn retry(out: &Outbox) {
    out.send(RelayFrame::Retry {
        after_s: RETRY_AFTER_S,
    });
}

/// A reply's copy for the inbox is kept only in the 1024 or 4096 bucket (§5): with the
/// reply itself it must fit one `reply_tip` frame, and the copies held under one tip stay
/// within the `tip` frame's room.
fn reply_copy_fits(copy: &[u8]) -> bool {
    use crate::crypto::padding::TIP_BUCKETS;
    use crate::crypto::sealed_tip::ENC_LEN;
    TIP_BUCKETS[..2]
        .iter()
        .any(|b| copy.len() == ENC_LEN + b + 16)
}

/// After a coordinator changed a tip: everyone on duty sees the new inbox, and so does
/// that coordinator if off duty.
async fn changed_by(relay: &Arc<Relay>, out: &Outbox, serial: u64) {
    relay.tips_changed();
    let on_duty = relay
        .live
        .with(|live| live.coordinators.get(&serial).is_some_and(|c| c.on_duty));
    if !on_duty {
        send_list(relay, out).await;
    }
}

/// Frees every tip whose holder neither took nor answered it again for
/// `tips.hold_release_s` (the relay keeps the minute only, so it goes in that minute or
/// the next sweep's); everyone on duty sees the new inbox.
pub async fn release_stale_holds(relay: &Arc<Relay>) {
    let release_minutes = relay.config.tips.hold_release_s.div_ceil(60);
    // Held at minute m, the hold lasts while now < m + release_minutes.
    let before = (relay.clock.unix_minute() + 1).saturating_sub(release_minutes);
    if let Ok(n) = relay.tips.release_stale(before).await
        && n > 0
    {
        tracing::info!(count = n, "released tips left untouched");
        relay.tips_changed();
    }
}
