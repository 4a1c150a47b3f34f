//! The two random identifiers the relay hands out: a live-chat session's and a sealed tip's.
//!
//! Each is 16 random bytes, base64url on the wire (`docs/protocol.md` §8.1). One type each,
//! used from the wire to the store, so a tip's id can never be passed where a session's is
//! meant. `Debug` shows neither value: an id in a log line would link a person's events.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::b64::Fixed;

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 16]);

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                Fixed(self.0).serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Fixed::<16>::deserialize(d).map(|f| Self(f.0))
            }
        }
    };
}

random_id!(
    /// A live-chat session: names a visitor's conversation in every frame and store key.
    SessionId
);

random_id!(
    /// A sealed tip as filed by the relay: how coordinators answer or close it.
    TipId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_base64url_of_exactly_sixteen_bytes_and_never_show_in_debug() {
        let id = SessionId([0xfb; 16]);
        let text = serde_json::to_string(&id).unwrap();
        assert_eq!(text, "\"-_v7-_v7-_v7-_v7-_v7-w\"");
        assert_eq!(serde_json::from_str::<SessionId>(&text).unwrap(), id);
        assert!(serde_json::from_str::<TipId>("\"-_v7-_v7-_v7-_v7-_v7\"").is_err());
        assert!(serde_json::from_str::<TipId>("\"+/v7-_v7-_v7-_v7-_v7-w\"").is_err());
        assert_eq!(format!("{id:?}"), "SessionId");
    }
}
