//! Tombstones in a store dump (protocol §9.5, `store::ended`): after an end or an expiry the
//! store keeps, for a while, a line that holds nothing but a 32-hex-digit digest (never the
//! session id). Suites that check a session left nothing behind accept exactly that.
//!
//! Must never let through a line that holds anything else.

/// Whether `line` of a store dump is a tombstone and nothing more: `ll:ended:<digest> 1` on
/// Redis, `ended <digest>` in memory.
fn is_bare_tombstone(line: &str) -> bool {
    let digest = line
        .strip_prefix("ll:ended:")
        .and_then(|rest| rest.strip_suffix(" 1"))
        .or_else(|| line.strip_prefix("ended "));
    digest.is_some_and(|d| d.len() == 32 && d.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `state` without its bare tombstones: what an end or an expiry must leave empty.
pub fn without_tombstones(state: &str) -> String {
    state
        .lines()
        .filter(|line| !is_bare_tombstone(line))
        .map(|line| format!("{line}\n"))
        .collect()
}
