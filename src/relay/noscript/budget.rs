//! The no-script path's global budget: requests per clock hour on this node, whoever sends
//! them. There is no script for proof-of-work and no address to count by (nor should there
//! be), and each request costs a slow receipt derivation, so the path as a whole is capped.
//!
//! Must never count by anything about a client.

use std::sync::Mutex;

/// Requests left in the current hour.
pub struct Budget {
    per_hour: u32,
    used: Mutex<(u64, u32)>,
}

impl Budget {
    /// `per_hour` requests an hour; 0 turns the path off.
    pub fn new(per_hour: u32) -> Self {
        Self {
            per_hour,
            used: Mutex::new((0, 0)),
        }
    }

    /// Takes one request from the hour containing `now_s`; `false` when the hour's budget
    /// is spent.
    pub fn take(&self, now_s: u64) -> bool {
        let hour = now_s / 3600;
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        if used.0 != hour {
            *used = (hour, 0);
        }
        if used.1 >= self.per_hour {
            return false;
        }
        used.1 += 1;
        true
    }

    /// Whether the hour containing `now_s` has any request left.
    pub fn left(&self, now_s: u64) -> bool {
        let used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.0 != now_s / 3600 && self.per_hour > 0 || used.1 < self.per_hour
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_spent_within_an_hour_and_comes_back_with_the_next() {
        let budget = Budget::new(2);
        assert!(budget.take(7200) && budget.take(7201));
        assert!(!budget.take(7202) && !budget.left(7202));
        assert!(budget.left(10_800) && budget.take(10_800), "a new hour");
        assert!(
            !Budget::new(0).take(1) && !Budget::new(0).left(1),
            "0 is off"
        );
    }
}
