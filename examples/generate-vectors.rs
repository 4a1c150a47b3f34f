//! Writes Lifeline's own test vectors to `tests/vectors/`.
//!
//! Run: `cargo run --example generate-vectors`. `tests/vectors.rs` fails if the committed
//! files differ from what the code computes, so regenerate only on a deliberate protocol change.

fn main() -> anyhow::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    std::fs::create_dir_all(&dir)?;
    for (name, value) in lifeline::crypto::vectors::all() {
        let text = serde_json::to_string_pretty(&value)? + "\n";
        std::fs::write(dir.join(name), text)?;
        println!("wrote tests/vectors/{name}");
    }
    Ok(())
}
