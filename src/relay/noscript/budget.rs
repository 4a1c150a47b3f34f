//! The no-script path's global budget: requests per clock hour, whoever sends them; with
//! Redis the count is shared by every node, so the budget is the deployment's. There is no
//! script for proof-of-work and no address to count by (nor should there be), and each
//! request costs a slow receipt derivation, so the path as a whole is capped.
//!
//! Must never count by anything about a client.

use std::sync::Mutex;

use crate::store::redis::budget::SharedBudget;

/// Requests left in the current hour.
pub struct Budget {
    per_hour: u32,
    /// This node's count (the memory store): `(hour, used)`.
    used: Mutex<(u64, u32)>,
    /// Every node's count (Redis).
    shared: Option<SharedBudget>,
}

impl Budget {
    /// `per_hour` requests an hour; 0 turns the path off. With `shared`, counted in Redis.
    pub fn new(per_hour: u32, shared: Option<SharedBudget>) -> Self {
        Self {
            per_hour,
            used: Mutex::new((0, 0)),
            shared,
        }
    }

    /// Takes one request from the hour containing `now_s`.
    pub async fn take(&self, now_s: u64) -> Room {
        let hour = now_s / 3600;
        if self.per_hour == 0 {
            return Room::Spent;
        }
        if let Some(shared) = &self.shared {
            return Room::of(shared.take(hour, self.per_hour).await);
        }
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        if used.0 != hour {
            *used = (hour, 0);
        }
        if used.1 >= self.per_hour {
            return Room::Spent;
        }
        used.1 += 1;
        Room::Left
    }

    /// Whether the hour containing `now_s` has any request left.
    pub async fn left(&self, now_s: u64) -> Room {
        let hour = now_s / 3600;
        if self.per_hour == 0 {
            return Room::Spent;
        }
        if let Some(shared) = &self.shared {
            let used = shared.used(hour).await;
            return Room::of(used.map(|n| n < u64::from(self.per_hour)));
        }
        let used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        Room::of(Some(used.0 != hour || used.1 < self.per_hour))
    }
}

/// What the hour's budget has room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// A request more.
    Left,
    /// Nothing more this hour.
    Spent,
    /// The shared count cannot be read (Redis is down): refused, but not for the budget.
    Unknown,
}

impl Room {
    fn of(answer: Option<bool>) -> Self {
        match answer {
            Some(true) => Self::Left,
            Some(false) => Self::Spent,
            None => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_is_spent_within_an_hour_and_comes_back_with_the_next() {
        let budget = Budget::new(2, None);
        assert_eq!(
            (budget.take(7200).await, budget.take(7201).await),
            (Room::Left, Room::Left)
        );
        assert_eq!(
            (budget.take(7202).await, budget.left(7202).await),
            (Room::Spent, Room::Spent)
        );
        assert!(
            budget.left(10_800).await == Room::Left && budget.take(10_800).await == Room::Left,
            "a new hour"
        );
        let off = Budget::new(0, None);
        assert_eq!(
            (off.take(1).await, off.left(1).await),
            (Room::Spent, Room::Spent),
            "0 is off"
        );
    }
}
