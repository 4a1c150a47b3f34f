//! A handled tip's file keeps only what `docs/protocol.md` §9 says it keeps (issue 26): the
//! tip's id, `SHA-256(lookup id)`, the minute it arrived, that it was handled, and the sealed
//! replies (for the tipster, until retention ends). The sealed tip and its follow-ups are
//! gone from every file in the tip folder, temporary ones included.
//!
//! The memory store's tip files; Redis's tip keys are held to `docs/redis.md` by
//! `tests/redis_schema.rs` and its files by `tests/disk_erasure.rs`.

use crate::common;

use common::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::tipster::Tipster;
use lifeline::protocol::b64;

#[tokio::test]
async fn a_handled_tip_file_keeps_only_its_id_lookup_hash_minute_flag_and_replies() {
    let relay = TestRelay::start_with(|c| c.store.kind = lifeline::config::StoreKind::Memory).await;
    let tipster = Tipster::new(&relay.addr.to_string());
    let (_, FirstTip { code, keys, sealed }) =
        file_first_tip(&relay, &tipster, "tip files: the tip", None).await;

    let mut c = relay.on_duty(950, "Amara", 1).await;
    let id = listed_tips(&mut c).await[0].id;
    reply_to_tip(
        &relay,
        &mut c,
        id,
        &keys.tipster_key.public(),
        "tip files: a reply",
    )
    .await;
    let (_, again) = read_reply_and_follow_up(&relay, &tipster, &code, "tip files: more").await;
    let (_, followups) = open_tip(&mut c, id, 1).await;
    c.close_tip(id).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.is_empty()))
        .await
        .unwrap();
    assert_eq!(again.lookup_id, keys.lookup_id);

    let folder = relay.data_dir.join("tips");
    let files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one file, no leftover temporary: {files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let filed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    let fields: Vec<&str> = filed.keys().map(String::as_str).collect();
    let listed = [
        "id",
        "lookup_hash",
        "received_minute",
        "sealed",
        "followups",
        "replies",
        "reply_copies",
        "handled",
    ];
    assert!(
        fields.iter().all(|f| listed.contains(f)),
        "only the documented fields: {fields:?}"
    );
    assert_eq!(filed["sealed"], "", "the sealed tip is erased");
    assert_eq!(
        filed["followups"],
        serde_json::json!([]),
        "follow-ups erased"
    );
    assert_eq!(filed["handled"], true);
    assert!(
        filed
            .get("reply_copies")
            .is_none_or(|c| c == &serde_json::json!([])),
        "the team's copies of the replies are erased with the tip"
    );
    assert_eq!(
        filed["replies"].as_array().map(Vec::len),
        Some(1),
        "the reply stays"
    );
    let minute = filed["received_minute"].as_u64().unwrap();
    assert!(
        minute < 100_000_000,
        "a Unix minute, not a finer time: {minute}"
    );
    for (what, bytes) in [
        ("the sealed tip", &sealed),
        ("the follow-up", &followups[0]),
    ] {
        let encoded = b64::encode(bytes);
        assert!(
            !text.contains(&encoded[..64]),
            "{what} is gone from the file"
        );
    }
    assert!(
        !text.contains(&b64::encode(&keys.lookup_id))
            && !text.contains(&lifeline::crypto::keys::hex(&keys.lookup_id)),
        "the lookup id itself is never filed"
    );

    // What a crash mid-write leaves beside the tips (a partial copy of a tip, under today's
    // name or an older release's) is erased when the relay starts; the tips stay.
    let strays = [
        folder.join(format!(".{}.json.partial-4242-0", "ab".repeat(16))),
        folder.join(format!(".{}.tmp", "cd".repeat(16))),
    ];
    for stray in &strays {
        std::fs::write(stray, b"{\"sealed\":\"a cut-short copy\"}").unwrap();
    }
    let relay = relay.restart().await;
    let left: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, files, "the strays are gone, the tip's file kept");
    relay.stop().await;
}
