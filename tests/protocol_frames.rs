//! Strict decoding of wire frames: what is accepted, and the close code for what is not.

use lifeline::protocol::frames::{ConversationKind, PayloadKind, RelayFrame, VisitorFrame};
use lifeline::protocol::{self, Bytes, CloseCode, FrameError};
use proptest::prelude::*;

#[test]
fn frames_round_trip_with_version_and_type() {
    let hello = VisitorFrame::Hello {
        pow_nonce: 42,
        kind: ConversationKind::Chat,
        lang: Some("fr".into()),
        handshake: Bytes(vec![7; 32]),
    };
    let text = protocol::encode_frame(hello.clone());
    assert!(text.starts_with(r#"{"v":1,"type":"hello""#), "{text}");
    assert_eq!(protocol::decode_visitor(&text).unwrap(), hello);
    let deliver = RelayFrame::Deliver {
        session: None,
        seq: 3,
        kind: PayloadKind::Data,
        body: Bytes(vec![1, 2, 3]),
    };
    let text = protocol::encode_frame(deliver.clone());
    assert_eq!(
        text,
        r#"{"v":1,"type":"deliver","seq":3,"kind":"data","body":"AQID"}"#
    );
    assert_eq!(protocol::decode_relay(&text).unwrap(), deliver);
    assert_eq!(
        protocol::decode_visitor(r#"{"v":1,"type":"end"}"#).unwrap(),
        VisitorFrame::End {}
    );
}

#[test]
fn strict_decoding_names_the_reason() {
    let cases = [
        (r#"{"v":2,"type":"ping"}"#, CloseCode::Version),
        (r#"{"type":"ping"}"#, CloseCode::Malformed),
        (r#"{"v":1,"type":"pong"}"#, CloseCode::Malformed),
        (r#"{"v":1,"type":"ping","extra":1}"#, CloseCode::Malformed),
        (r#"{"v":1,"type":"ack","seq":-1}"#, CloseCode::Malformed),
        (
            r#"{"v":1,"type":"msg","seq":1,"body":"not base64!"}"#,
            CloseCode::Malformed,
        ),
        (
            r#"{"v":1,"type":"msg","seq":1,"body":"AQID="}"#,
            CloseCode::Malformed,
        ),
        (
            r#"{"v":1,"type":"resume","session":"AQID","token":"AQID","last_seq":0}"#,
            CloseCode::Malformed,
        ),
        ("not json", CloseCode::Malformed),
        ("", CloseCode::Malformed),
    ];
    for (text, code) in cases {
        let err = protocol::decode_visitor(text).unwrap_err();
        assert_eq!(err.close_code(), code, "{text}: {err}");
    }
    let huge = format!(
        r#"{{"v":1,"type":"msg","seq":1,"body":"{}"}}"#,
        "A".repeat(40_000)
    );
    assert!(matches!(
        protocol::decode_visitor(&huge),
        Err(FrameError::TooLarge(_))
    ));
    // A control frame padded out past its own kind's limit is refused even under the global one.
    let padded = format!(r#"{{"v":1,"type":"ack","seq":1{}}}"#, " ".repeat(1000));
    assert!(matches!(
        protocol::decode_visitor(&padded),
        Err(FrameError::TooLarge(_))
    ));
    // Languages are checked by the relay (close 4001), not by the codec: see relay_limits.
}

/// A refused frame's error reaches the relay's log: it names where, never what was sent.
#[test]
fn a_refusal_never_quotes_the_frame() {
    for text in [
        r#"{"v":1,"type":"msg","seq":"my name is Maria","body":""}"#,
        r#"{"v":1,"type":"my name is Maria"}"#,
        r#"{"v":1,"type":"ping","my name is Maria":1}"#,
        r#"{"v":1,"type":"hello","lang":["my name is Maria"]}"#,
        r#"my name is Maria"#,
    ] {
        for err in [
            protocol::decode_visitor(text).unwrap_err(),
            protocol::decode_coordinator(text).unwrap_err(),
            protocol::decode_relay(text).unwrap_err(),
        ] {
            let said = err.to_string();
            assert!(!said.contains("Maria"), "{text}: {said}");
            assert_eq!(err.close_code(), CloseCode::Malformed, "{text}: {said}");
        }
    }
}

/// §8.1: an optional field may be omitted, never `null` (serde alone reads `null` as absent).
#[test]
fn a_null_optional_field_is_malformed_and_an_omitted_one_is_not() {
    let hello = |lang: &str| {
        format!(
            r#"{{"v":1,"type":"hello","pow_nonce":1,"kind":"chat",{lang}"handshake":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"}}"#
        )
    };
    let refused = protocol::decode_visitor(&hello(r#""lang":null,"#)).unwrap_err();
    assert_eq!(refused.close_code(), CloseCode::Malformed, "{refused}");
    let omitted = protocol::decode_visitor(&hello("")).unwrap();
    assert!(matches!(omitted, VisitorFrame::Hello { lang: None, .. }));
    let given = protocol::decode_visitor(&hello(r#""lang":"fr","#)).unwrap();
    assert!(matches!(given, VisitorFrame::Hello { lang: Some(l), .. } if l == "fr"));
    // Clients read the relay's frames as strictly.
    assert!(protocol::decode_relay(r#"{"v":1,"type":"stored","session":null,"seq":1}"#).is_err());
    assert!(protocol::decode_relay(r#"{"v":1,"type":"stored","seq":1}"#).is_ok());
}

/// §8.2–§8.4, §9.6: the consent frames, exactly as written on the wire, and read as strictly.
#[test]
fn hand_over_consent_frames_are_exact_and_strict() {
    use lifeline::protocol::frames::TransferStatus;
    use lifeline::protocol::{CoordinatorFrame, SessionId};
    let answer = VisitorFrame::TransferAnswer { accept: false };
    let text = protocol::encode_frame(answer.clone());
    assert_eq!(text, r#"{"v":1,"type":"transfer_answer","accept":false}"#);
    assert_eq!(protocol::decode_visitor(&text).unwrap(), answer);
    let offer = RelayFrame::TransferOffer {
        certificate: Bytes(vec![1, 2, 3]),
        answer_within_s: 60,
    };
    let text = protocol::encode_frame(offer.clone());
    assert_eq!(
        text,
        r#"{"v":1,"type":"transfer_offer","certificate":"AQID","answer_within_s":60}"#
    );
    assert_eq!(protocol::decode_relay(&text).unwrap(), offer);
    assert_eq!(
        protocol::decode_relay(r#"{"v":1,"type":"transfer_withdrawn"}"#).unwrap(),
        RelayFrame::TransferWithdrawn {}
    );
    let session = SessionId([5; 16]);
    for (status, word) in [
        (TransferStatus::Waiting, "waiting"),
        (TransferStatus::Accepted, "accepted"),
        (TransferStatus::Declined, "declined"),
        (TransferStatus::Expired, "expired"),
    ] {
        let text = protocol::encode_frame(RelayFrame::TransferStatus { session, status });
        assert!(text.ends_with(&format!(r#""status":"{word}"}}"#)), "{text}");
        assert_eq!(
            protocol::decode_relay(&text).unwrap(),
            RelayFrame::TransferStatus { session, status }
        );
    }
    // With a note (304 bytes sealed) `transfer` is read under the 2 048-byte limit (§8.1).
    let note = CoordinatorFrame::Transfer {
        session,
        to: 7,
        note: Some(Bytes(vec![0; 304])),
    };
    let text = protocol::encode_frame(note.clone());
    assert_eq!(protocol::decode_coordinator(&text).unwrap(), note);
    let refused = [
        r#"{"v":1,"type":"transfer_answer"}"#,
        r#"{"v":1,"type":"transfer_answer","accept":1}"#,
        r#"{"v":1,"type":"transfer_answer","accept":true,"to":1}"#,
    ];
    for text in refused {
        let err = protocol::decode_visitor(text).unwrap_err();
        assert_eq!(err.close_code(), CloseCode::Malformed, "{text}");
    }
    let unknown =
        r#"{"v":1,"type":"transfer_offer","certificate":"AQID","answer_within_s":60,"alias":"x"}"#;
    assert!(protocol::decode_relay(unknown).is_err());
    let null_note =
        r#"{"v":1,"type":"transfer","session":"BQUFBQUFBQUFBQUFBQUFBQ","to":7,"note":null}"#;
    assert_eq!(
        protocol::decode_coordinator(null_note)
            .unwrap_err()
            .close_code(),
        CloseCode::Malformed
    );
}

#[test]
fn close_codes_are_distinct_and_round_trip() {
    let mut seen = std::collections::HashSet::new();
    for c in protocol::close::ALL {
        assert!(seen.insert(c.code()), "{c:?} reuses a code");
        assert_eq!(CloseCode::from_code(c.code()), Some(c));
        assert!(
            !c.reason().is_empty() && c.reason().len() < 123,
            "a close reason must fit a control frame"
        );
    }
}

#[test]
fn debug_of_binary_fields_shows_only_lengths() {
    let frame = VisitorFrame::Msg {
        seq: 1,
        body: Bytes(b"secret".to_vec()),
    };
    let text = format!("{frame:?}");
    assert!(text.contains("<6>") && !text.contains("115, 101"), "{text}");
}

proptest! {
    #[test]
    fn decoding_arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = protocol::decode_visitor(&text);
        let _ = protocol::decode_coordinator(&text);
        let _ = protocol::decode_relay(&text);
    }

    #[test]
    fn message_frames_round_trip(seq in any::<u64>(), body in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let frame = VisitorFrame::Msg { seq, body: Bytes(body) };
        prop_assert_eq!(protocol::decode_visitor(&protocol::encode_frame(frame.clone())).unwrap(), frame);
    }
}
