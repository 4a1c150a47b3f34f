//! What the desk page may ask (`docs/desk-api.md`): one JSON object per WebSocket text
//! message, mapped onto the shift core's [`Action`]s, so the browser refuses and allows
//! exactly what the terminal does.
//!
//! It must never carry anything the core could not get from a key press: no raw command
//! for the relay, no key, no file.

use serde::Deserialize;

use crate::console::shift::{Action, Edit, Passphrase, Screen, Selected, Target};
use crate::protocol::{SessionId, TipId};

/// The most a page message may hold (a draft is at most a few KiB; a passphrase less).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// What a draft belongs to, as the page names it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PageTarget {
    /// A held conversation.
    Conversation(SessionId),
    /// The opened tip's reply.
    Tip(TipId),
}

impl From<PageTarget> for Target {
    fn from(t: PageTarget) -> Self {
        match t {
            PageTarget::Conversation(s) => Target::Conversation(s),
            PageTarget::Tip(id) => Target::Tip(id),
        }
    }
}

/// One message from the page. The types without fields are empty structs, not unit
/// variants: serde lets an internally tagged unit variant carry any other field, and
/// `deny_unknown_fields` holds only for struct variants.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PageMessage {
    /// The passphrase (and, for a sealed inbox key, its own) typed at the lock or at start.
    Unlock {
        /// The identity's passphrase, or the lock passphrase chosen for development keys.
        passphrase: String,
        /// The inbox key's passphrase, when it is sealed and differs.
        #[serde(default)]
        inbox_passphrase: Option<String>,
    },
    /// The coordinator did something (a key, the mouse): the idle lock starts over.
    Touch {},
    /// Lock now.
    Lock {},
    /// On or off duty.
    Duty {
        /// On (`true`) or off.
        on: bool,
    },
    /// Look at a waiting visitor.
    SelectQueue {
        /// The waiting session.
        session: SessionId,
    },
    /// Look at a held conversation (reads its unread lines).
    SelectConversation {
        /// The conversation.
        session: SessionId,
    },
    /// Show the chats or the tips.
    Show {
        /// `chats` or `tips`.
        screen: PageScreen,
    },
    /// Answer this visitor.
    Claim {
        /// The waiting session.
        session: SessionId,
    },
    /// Answer the visitor waiting longest.
    ClaimNext {},
    /// The draft as it now stands in the page's text field.
    Draft {
        /// Whose draft.
        target: PageTarget,
        /// The whole text.
        text: String,
    },
    /// Append a resource (its place in the offered list) to a draft, to edit before sending.
    Resource {
        /// Whose draft.
        target: PageTarget,
        /// Its place among the offered resources.
        index: usize,
    },
    /// Send a draft.
    Send {
        /// Whose draft.
        target: PageTarget,
    },
    /// Hand a conversation to a colleague.
    Transfer {
        /// The conversation.
        session: SessionId,
        /// The colleague's certificate serial.
        to: u64,
        /// The note for the colleague, from the picker's own box (empty: none); never the
        /// visitor's draft.
        #[serde(default)]
        note: String,
    },
    /// End a conversation (or close one already over).
    End {
        /// The conversation.
        session: SessionId,
    },
    /// Ask the relay for the tips again.
    TipsRefresh {},
    /// Open a tip with the inbox key.
    TipOpen {
        /// The tip.
        id: TipId,
    },
    /// Mark a tip handled (deleted from the relay).
    TipHandled {
        /// The tip.
        id: TipId,
    },
    /// Take a tip so colleagues see I answer it.
    TipTake {
        /// The tip.
        id: TipId,
        /// From the colleague who holds it (they are told).
        #[serde(default)]
        over: bool,
    },
    /// End the shift.
    Quit {},
}

impl std::fmt::Debug for PageMessage {
    // A passphrase or a draft never reaches a debug string.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageMessage(..)")
    }
}

/// The two screens, as the page names them.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageScreen {
    /// Queue and conversations.
    Chats,
    /// The tips inbox.
    Tips,
}

impl PageMessage {
    /// Parses one text message; `None` for anything malformed or too long.
    pub fn parse(text: &str) -> Option<Self> {
        // Only an object is a message (docs/desk-api.md §2): serde would also read an
        // internally tagged enum from an array whose first element is the type.
        if text.len() > MAX_MESSAGE_BYTES || !text.trim_start().starts_with('{') {
            return None;
        }
        serde_json::from_str(text).ok()
    }

    /// The core's action for this message; `None` for the ones the desk handles itself
    /// (touch), or that are not actions (an unlock is passed on with its passphrase).
    pub fn into_action(self) -> Option<Action> {
        Some(match self {
            PageMessage::Unlock { passphrase, .. } => Action::Unlock(Passphrase::new(passphrase)),
            PageMessage::Touch {} => return None,
            PageMessage::Lock {} => Action::Lock,
            PageMessage::Duty { on } => Action::Duty(on),
            PageMessage::SelectQueue { session } => Action::Select(Some(Selected::Queue(session))),
            PageMessage::SelectConversation { session } => {
                Action::Select(Some(Selected::Conversation(session)))
            }
            PageMessage::Show { screen } => Action::Show(match screen {
                PageScreen::Chats => Screen::Chats,
                PageScreen::Tips => Screen::Tips,
            }),
            PageMessage::Claim { session } => Action::Claim(session),
            PageMessage::ClaimNext {} => Action::ClaimNext,
            PageMessage::Draft { target, text } => Action::Edit {
                target: target.into(),
                edit: Edit::Replace(text),
            },
            PageMessage::Resource { target, index } => Action::InsertResource {
                target: target.into(),
                index,
            },
            PageMessage::Send { target } => Action::Send(target.into()),
            PageMessage::Transfer { session, to, note } => Action::Transfer { session, to, note },
            PageMessage::End { session } => Action::End(session),
            PageMessage::TipsRefresh {} => Action::RefreshTips,
            PageMessage::TipOpen { id } => Action::OpenTip(id),
            PageMessage::TipHandled { id } => Action::TipHandled(id),
            PageMessage::TipTake { id, over } => Action::TakeTip { id, over },
            PageMessage::Quit {} => Action::Quit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_messages_map_onto_the_cores_actions_and_nothing_else_parses() {
        let s = "AAAAAAAAAAAAAAAAAAAAAA";
        let send = format!(r#"{{"type":"send","target":{{"conversation":"{s}"}}}}"#);
        assert!(matches!(
            PageMessage::parse(&send).and_then(PageMessage::into_action),
            Some(Action::Send(Target::Conversation(_)))
        ));
        let draft = format!(r#"{{"type":"draft","target":{{"tip":"{s}"}},"text":"hi"}}"#);
        assert!(matches!(
            PageMessage::parse(&draft).and_then(PageMessage::into_action),
            Some(Action::Edit {
                target: Target::Tip(_),
                edit: Edit::Replace(_)
            })
        ));
        let take = format!(r#"{{"type":"tip_take","id":"{s}","over":true}}"#);
        assert!(matches!(
            PageMessage::parse(&take).and_then(PageMessage::into_action),
            Some(Action::TakeTip { over: true, .. })
        ));
        let take = format!(r#"{{"type":"tip_take","id":"{s}"}}"#);
        assert!(matches!(
            PageMessage::parse(&take).and_then(PageMessage::into_action),
            Some(Action::TakeTip { over: false, .. })
        ));
        assert!(PageMessage::parse(r#"{"type":"duty","on":true,"extra":1}"#).is_none());
        assert!(PageMessage::parse(r#"{"type":"raw_frame","frame":"x"}"#).is_none());
        assert!(PageMessage::parse(&" ".repeat(MAX_MESSAGE_BYTES + 1)).is_none());
        assert!(
            PageMessage::parse(r#"{"type":"touch"}"#)
                .and_then(PageMessage::into_action)
                .is_none()
        );
    }

    /// Fuzz finding (desk_page_message): the types without fields parsed with any other
    /// field (serde ignores them for a unit variant, `deny_unknown_fields` or not).
    #[test]
    fn types_without_fields_refuse_extra_fields_too() {
        for kind in ["touch", "lock", "claim_next", "tips_refresh", "quit"] {
            assert!(PageMessage::parse(&format!(r#"{{"type":"{kind}"}}"#)).is_some());
            let extra = format!(r#"{{"type":"{kind}","passphrase":"x"}}"#);
            assert!(PageMessage::parse(&extra).is_none(), "{extra} parsed");
        }
    }

    #[test]
    fn only_an_object_is_a_message() {
        // FZ-7: serde read `["lock"]` as a lock, `["duty", true]` as going on duty.
        for array in [r#"["lock"]"#, r#" ["duty", true]"#, r#"["claim_next"]"#] {
            assert!(PageMessage::parse(array).is_none(), "{array} parsed");
        }
        assert!(PageMessage::parse(r#" {"type":"duty","on":true}"#).is_some());
    }
}
