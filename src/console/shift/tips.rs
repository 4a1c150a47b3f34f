//! Tips with the inbox key: opening a fetched tip and its follow-ups into an [`OpenedTip`],
//! and sealing a reply to the tipster's receipt key.
//!
//! It must never keep a tip's plaintext outside the one [`OpenedTip`], never send a reply
//! unsealed, and never do I/O (the sealed bytes go out as a [`Command`]).

use rand_core::OsRng;

use super::Shift;
use super::commands::Command;
use super::inbox_set::NOT_GRANTED;
use super::notice::Notice;
use super::state::{Followup, OpenedTip, ThreadReply, TipHolder, TipId};
use crate::crypto::sealed_tip::{self, TipError, TipMessage};
use crate::protocol::frames::ReplyCopyItem;

impl Shift {
    /// Whether the opened tip can be answered; the reason it cannot otherwise.
    pub fn replyable(&self) -> Result<(), Notice> {
        match &self.opened_tip {
            Some(t) if t.reply_key.is_some() => Ok(()),
            Some(_) => Err(Notice::NoReplyKey),
            None => Err(Notice::OpenTipFirst),
        }
    }

    pub(super) fn ask_tip(&mut self, id: TipId) -> Vec<Command> {
        if self.tip_keys.is_none() {
            self.status = Notice::NoInboxKey;
            return Vec::new();
        }
        vec![Command::OpenTip(id)]
    }

    pub(super) fn open_tip(
        &mut self,
        id: TipId,
        sealed: &[u8],
        followups: &[Vec<u8>],
        replies: &[ReplyCopyItem],
    ) {
        let Some(keys) = &self.tip_keys else {
            self.status = Notice::NoInboxKey;
            return;
        };
        match keys.open_with(|org, key| sealed_tip::open_tip_marked(org, key, sealed)) {
            Ok((tip, sealed_by)) => {
                // A follow-up or a reply copy may be sealed to a newer key than its tip.
                let followups = followups
                    .iter()
                    .map(|f| match &tip.reply_key {
                        Some(k) => keys
                            .open_with(|org, key| sealed_tip::open_followup(org, key, k, f))
                            .map_or(Followup::DoesNotOpen, |m| Followup::Text(m.text)),
                        None => Followup::WithoutReplyKey,
                    })
                    .collect();
                let replies = replies
                    .iter()
                    .map(|r| ThreadReply {
                        by: r.by.clone(),
                        filed: r.filed,
                        text: keys
                            .open_with(|org, key| {
                                sealed_tip::open_reply_copy(org, key, &r.sealed.0)
                            })
                            .map_or(Followup::DoesNotOpen, |m| Followup::Text(m.text)),
                    })
                    .collect();
                self.opened_tip = Some(OpenedTip {
                    id,
                    category: tip.category,
                    text: tip.text,
                    sealed_by_relay: sealed_by == sealed_tip::SealedBy::Relay,
                    followups,
                    replies,
                    reply_key: tip.reply_key,
                    draft: String::new(),
                    replies_sent: 0,
                });
                self.status = Notice::TipOpened;
            }
            Err(TipError::Open) => {
                self.status = Notice::TipDoesNotOpen {
                    reason: NOT_GRANTED.into(),
                }
            }
            Err(e) => {
                self.status = Notice::TipDoesNotOpen {
                    reason: e.to_string(),
                }
            }
        }
    }

    pub(super) fn send_tip_reply(&mut self, id: TipId) -> Vec<Command> {
        if self.held_by_colleague(id) {
            return Vec::new();
        }
        let opened = self.opened_tip.as_mut().filter(|t| t.id == id);
        let (Some(keys), Some(tip)) = (&self.tip_keys, opened) else {
            return Vec::new();
        };
        let Some(reply_key) = tip.reply_key else {
            self.status = Notice::NoReplyKey;
            return Vec::new();
        };
        let text = tip.draft.trim().to_owned();
        if text.is_empty() {
            return Vec::new();
        }
        let message = TipMessage {
            reply_key: None,
            category: None,
            text,
        };
        match sealed_tip::seal_reply(
            &keys.organisation,
            keys.newest(),
            &reply_key,
            &message,
            &mut OsRng,
        ) {
            Ok(sealed) => {
                // The copy is for the team's view of the thread; a reply too long for a
                // copy in one frame (§5) still goes to the tipster.
                let copy = sealed_tip::seal_reply_copy(
                    &keys.organisation,
                    &keys.newest().public(),
                    &message,
                    &mut OsRng,
                )
                .ok()
                .filter(|c| c.len() <= sealed_tip::MAX_REPLY_COPY_LEN);
                tip.draft.clear();
                tip.replies_sent += 1;
                tip.replies.push(ThreadReply {
                    by: Some(self.me.alias.clone()),
                    filed: None,
                    text: Followup::Text(message.text.clone()),
                });
                let id = tip.id;
                self.reply_unconfirmed = Some(id);
                self.status = Notice::ReplySent;
                vec![Command::ReplyTip { id, sealed, copy }]
            }
            Err(e) => {
                self.status = Notice::ReplyNotSealed {
                    reason: e.to_string(),
                };
                Vec::new()
            }
        }
    }

    /// Who holds tip `id`, as the relay last listed it.
    pub fn tip_holder(&self, id: TipId) -> TipHolder<'_> {
        match self
            .tips
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| t.held_by.as_deref())
        {
            None => TipHolder::Nobody,
            Some(alias) if alias == self.me.alias => TipHolder::Me,
            Some(alias) => TipHolder::Colleague(alias),
        }
    }

    pub(super) fn take_tip(&mut self, id: TipId, over: bool) -> Vec<Command> {
        // A `retry` from here on may be this take's: it must not take back a filed reply.
        self.reply_unconfirmed = None;
        self.status = Notice::TakingTip;
        vec![Command::TakeTip { id, over }]
    }

    /// The relay refused a reply or a close: a colleague holds the tip. A reply shown as
    /// sent from here did not go: it leaves the thread and its words go back to the draft.
    pub(super) fn tip_held(&mut self, id: TipId, by: String) {
        self.take_back_reply(id);
        self.status = Notice::TipHeld { by };
    }

    /// The last reply sent from here to tip `id` was not filed: it leaves the thread and its
    /// words go back to the draft.
    pub(super) fn take_back_reply(&mut self, id: TipId) {
        self.reply_unconfirmed = None;
        if let Some(tip) = self.opened_tip.as_mut().filter(|t| t.id == id)
            && tip.replies_sent > 0
            && let Some(last) = tip.replies.pop_if(|r| r.filed.is_none())
        {
            tip.replies_sent -= 1;
            if let (Followup::Text(words), true) = (last.text, tip.draft.is_empty()) {
                tip.draft = words;
            }
        }
    }

    /// A colleague's hold stops my reply or close here, before the relay refuses it.
    fn held_by_colleague(&mut self, id: TipId) -> bool {
        if let TipHolder::Colleague(by) = self.tip_holder(id) {
            self.status = Notice::TipHeld { by: by.to_owned() };
            return true;
        }
        false
    }

    pub(super) fn tip_handled(&mut self, id: TipId) -> Vec<Command> {
        if self.held_by_colleague(id) {
            return Vec::new();
        }
        self.reply_unconfirmed = None;
        if self.opened_tip.as_ref().is_some_and(|t| t.id == id) {
            self.opened_tip = None;
        }
        self.status = Notice::TipHandled;
        vec![Command::CloseTip(id)]
    }
}
