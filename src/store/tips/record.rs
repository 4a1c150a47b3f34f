//! A sealed tip as the relay files it, in whichever backend: HPKE ciphertexts, SHA-256 of
//! the receipt's lookup id, and the minute it arrived.
//!
//! Must never hold the receipt code, the lookup id itself, or anything about the sender.

use crate::protocol::ids::TipId;

/// SHA-256 of a receipt lookup id: the only form in which the relay files it.
pub fn lookup_hash(lookup_id: &[u8]) -> [u8; 32] {
    crate::crypto::keys::Fingerprint::of(lookup_id).0
}

/// Tip files hold the id as the array of its bytes, as they did before [`TipId`] was a type
/// of its own: files written by an earlier relay still load.
mod id_as_array {
    use crate::protocol::ids::TipId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(id: &TipId, s: S) -> Result<S::Ok, S::Error> {
        id.0.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TipId, D::Error> {
        <[u8; 16]>::deserialize(d).map(TipId)
    }
}

/// Sealed bytes are filed as base64url text, not serde's array of numbers (about 3.6 bytes
/// of JSON per byte, F-7). Files written as arrays by an earlier relay still load.
mod sealed_as_text {
    use crate::protocol::b64;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Filed {
        Text(String),
        Array(Vec<u8>),
    }

    fn bytes<E: Error>(filed: Filed) -> Result<Vec<u8>, E> {
        match filed {
            Filed::Text(text) => b64::decode(&text).ok_or_else(|| E::custom("bad base64url")),
            Filed::Array(bytes) => Ok(bytes),
        }
    }

    pub fn serialize<S: Serializer>(sealed: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64::encode(sealed))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        bytes(Filed::deserialize(d)?)
    }

    pub mod list {
        use super::*;
        use serde::ser::SerializeSeq;

        pub fn serialize<S: Serializer>(items: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(items.len()))?;
            for item in items {
                seq.serialize_element(&b64::encode(item))?;
            }
            seq.end()
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
            Vec::<Filed>::deserialize(d)?
                .into_iter()
                .map(bytes)
                .collect()
        }
    }
}

/// A sealed tip as filed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TipRecord {
    #[serde(with = "id_as_array")]
    /// The id coordinators open, answer and close it by.
    pub id: TipId,
    /// SHA-256 of the receipt's lookup id.
    pub lookup_hash: [u8; 32],
    /// Unix minute it arrived: retention counts from here.
    pub received_minute: u64,
    /// The HPKE-sealed tip, for the inbox key only (filed as base64url text).
    #[serde(with = "sealed_as_text")]
    pub sealed: Vec<u8>,
    /// The tipster's sealed follow-ups, oldest first.
    #[serde(with = "sealed_as_text::list")]
    pub followups: Vec<Vec<u8>>,
    /// The coordinators' sealed replies, oldest first.
    #[serde(with = "sealed_as_text::list")]
    pub replies: Vec<Vec<u8>>,
    /// Copies of the replies sealed to the inbox key, so coordinators see the thread, each
    /// with its author's alias and minute; absent from files written before copies existed.
    #[serde(default)]
    pub reply_copies: Vec<ReplyCopy>,
    /// Marked handled by a coordinator: the tip and its follow-ups are erased, the replies
    /// stay readable by the tipster until the retention period ends.
    #[serde(default)]
    pub handled: bool,
    /// The coordinator who took the tip, while the hold lasts (§9.9); erased with the tip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<TipHolder>,
}

/// Who holds a tip: one coordinator at a time answers a tipster (§9.9).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TipHolder {
    /// Their certificate serial: what decides whether a reply or a close is theirs.
    pub serial: u64,
    /// Their certified alias, shown to colleagues.
    pub alias: String,
    /// The Unix minute they last took or answered it: the hold lapses `tips.hold_release_s`
    /// after it.
    pub minute: u64,
}

/// A reply's copy sealed to the inbox key (§5), with what the relay itself knows of it:
/// the alias of the coordinator who filed it and the minute.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReplyCopy {
    /// The copy, for the inbox key.
    #[serde(with = "sealed_as_text")]
    pub sealed: Vec<u8>,
    /// The author's certified alias; `None` for a copy filed before authors were kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The Unix minute it was filed; `None` as for `by`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minute: Option<u64>,
}

/// A copy filed before authors were kept was its base64url text alone: it still loads.
impl<'de> serde::Deserialize<'de> for ReplyCopy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Filed {
            #[serde(with = "sealed_as_text")]
            sealed: Vec<u8>,
            by: Option<String>,
            minute: Option<u64>,
        }
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Filed(Filed),
            Bare(String),
        }
        match Either::deserialize(d)? {
            Either::Filed(f) => Ok(Self {
                sealed: f.sealed,
                by: f.by,
                minute: f.minute,
            }),
            Either::Bare(text) => Ok(Self {
                sealed: crate::protocol::b64::decode(&text)
                    .ok_or_else(|| serde::de::Error::custom("bad base64url"))?,
                by: None,
                minute: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bytes_are_filed_as_text_and_old_files_of_arrays_still_load() {
        let mut record = TipRecord {
            id: TipId([1; 16]),
            lookup_hash: [2; 32],
            received_minute: 7,
            sealed: vec![255; 300],
            followups: vec![vec![1, 2, 3]],
            replies: vec![],
            reply_copies: vec![],
            handled: false,
            holder: None,
        };
        let text = serde_json::to_string(&record).unwrap();
        // 400 bytes of base64url for the 300 sealed; as numbers they alone took 1,200.
        assert!(
            text.len() < 700,
            "{} bytes of JSON for 300 sealed",
            text.len()
        );
        assert_eq!(serde_json::from_str::<TipRecord>(&text).unwrap(), record);
        // A copy with its author and minute, and a holder, load back as filed.
        record.reply_copies.push(ReplyCopy {
            sealed: vec![3; 40],
            by: Some("Amara".into()),
            minute: Some(8),
        });
        record.holder = Some(TipHolder {
            serial: 4,
            alias: "Amara".into(),
            minute: 8,
        });
        let text = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<TipRecord>(&text).unwrap(), record);
        let old_copies = r#"{"id":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"lookup_hash":[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2],"received_minute":7,"sealed":"","followups":[],"replies":[],"reply_copies":["AAE"]}"#;
        let loaded: TipRecord = serde_json::from_str(old_copies).unwrap();
        assert_eq!(
            loaded.reply_copies,
            vec![ReplyCopy {
                sealed: vec![0, 1],
                by: None,
                minute: None
            }]
        );
        assert_eq!(loaded.holder, None);
        let old = r#"{"id":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"lookup_hash":[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2],"received_minute":7,"sealed":[9,8],"followups":[[1,2,3]],"replies":[[4]]}"#;
        let loaded: TipRecord = serde_json::from_str(old).unwrap();
        assert_eq!(
            (loaded.sealed, loaded.followups, loaded.replies),
            (vec![9, 8], vec![vec![1, 2, 3]], vec![vec![4]])
        );
    }
}
