//! Lifeline's own vectors: the committed `tests/vectors/*.json` must equal what the code
//! computes from the same fixed inputs. The widget's tests check the same files.

#[test]
fn committed_vectors_match_the_implementation() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    for (name, computed) in lifeline::crypto::vectors::all() {
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let committed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            committed, computed,
            "{name} differs: run `cargo run --example generate-vectors` only for a deliberate protocol change"
        );
    }
}
