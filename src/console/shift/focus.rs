//! What the coordinator is looking at: the selected queue row or conversation (kept on
//! session ids, so a moving queue never shifts it), the draft a front end writes into, and
//! the resources offered for it. Looking at a conversation reads its unread lines.
//!
//! It must never pick a conversation by position for anything but the sidebar order.

use super::Shift;
use super::state::{Conversation, Screen, Selected, Target};
use crate::console::resources::Resource;
use crate::protocol::SessionId;

impl Shift {
    /// The conversation shown, if the selection is on one.
    pub fn current(&self) -> Option<&Conversation> {
        match self.selected {
            Some(Selected::Conversation(s)) => self.conversation(&s),
            _ => None,
        }
    }

    /// The session of the conversation shown, if any.
    pub fn current_session(&self) -> Option<SessionId> {
        self.current().map(|c| c.session)
    }

    /// The draft the coordinator writes into on the current screen: the shown conversation's,
    /// or the opened tip's reply.
    pub fn current_target(&self) -> Option<Target> {
        match self.screen {
            Screen::Chats => self.current_session().map(Target::Conversation),
            Screen::Tips => self.opened_tip.as_ref().map(|t| Target::Tip(t.id)),
        }
    }

    /// The draft of `target`, if it still exists.
    pub fn draft(&self, target: Target) -> Option<&str> {
        match target {
            Target::Conversation(s) => self.conversation(&s).map(|c| c.draft.as_str()),
            Target::Tip(id) => self
                .opened_tip
                .as_ref()
                .filter(|t| t.id == id)
                .map(|t| t.draft.as_str()),
        }
    }

    pub(super) fn draft_mut(&mut self, target: Target) -> Option<&mut String> {
        match target {
            Target::Conversation(s) => self.conversation_mut(&s).map(|c| &mut c.draft),
            Target::Tip(id) => self
                .opened_tip
                .as_mut()
                .filter(|t| t.id == id)
                .map(|t| &mut t.draft),
        }
    }

    /// The resources offered for `target`: those in its visitor's language first.
    pub fn offered_resources(&self, target: Option<Target>) -> Vec<&Resource> {
        let lang = match target {
            Some(Target::Conversation(s)) => self.conversation(&s).and_then(|c| c.lang.as_deref()),
            Some(Target::Tip(_)) | None => None,
        };
        self.resources.for_lang(lang)
    }

    /// Sidebar order: the queue (oldest first), then my conversations.
    pub fn sidebar(&self) -> Vec<Selected> {
        self.queue
            .iter()
            .map(|q| Selected::Queue(q.session))
            .chain(
                self.conversations
                    .iter()
                    .map(|c| Selected::Conversation(c.session)),
            )
            .collect()
    }

    pub(super) fn select(&mut self, selected: Option<Selected>) {
        self.selected = selected;
        if let Some(Selected::Conversation(s)) = selected
            && let Some(c) = self.conversation_mut(&s)
        {
            c.unread = 0;
        }
    }

    /// After a queue update: a selection on a visitor who left the queue moves to the next
    /// row, and an empty selection takes the first waiting visitor.
    pub(super) fn follow_queue(&mut self) {
        if let Some(Selected::Queue(s)) = self.selected
            && !self.queue.iter().any(|q| q.session == s)
        {
            let next = self
                .queue
                .first()
                .map(|q| Selected::Queue(q.session))
                .or_else(|| self.first_conversation());
            self.select(next);
        }
        if self.selected.is_none()
            && let Some(q) = self.queue.first()
        {
            self.selected = Some(Selected::Queue(q.session));
        }
    }

    pub(super) fn first_conversation(&self) -> Option<Selected> {
        self.conversations
            .first()
            .map(|c| Selected::Conversation(c.session))
    }

    /// Forgets a conversation and its transcript; a selection on it moves to its neighbour.
    pub(super) fn remove_conversation(&mut self, session: SessionId) {
        let at = self
            .sidebar()
            .iter()
            .position(|s| *s == Selected::Conversation(session));
        self.conversations.retain(|c| c.session != session);
        if self.selected == Some(Selected::Conversation(session)) {
            let order = self.sidebar();
            let next = at.and_then(|i| order.get(i.min(order.len().saturating_sub(1))).copied());
            self.select(next);
        }
    }
}
