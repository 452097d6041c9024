//! Optimistic concurrency of order lines: a caller that saw an order at some
//! version (0: no order yet) and changes it is refused when the order moved on
//! meanwhile (two browser tabs, two people), instead of overwriting silently.

use super::{Intake, Key, Rejection, fi_date};
use std::collections::HashMap;

/// The field a version conflict names (relative to the line).
pub const VERSION_FIELD: &str = "expected_version";

/// Why a line whose caller expected `expected` conflicts with the order now at
/// `current` = (version, quantity); `None` when there is nothing to check or it matches.
pub fn version_conflict(key: &Key, expected: Option<i32>, current: Option<(i32, i32)>) -> Option<Rejection> {
    let expected = expected?;
    let line = format!("{} {}{}", key.2, fi_date(key.1), if key.3.is_empty() { String::new() } else { format!(" ({})", key.3) });
    let reason = match current {
        Some((version, _)) if version == expected => return None,
        None if expected == 0 => return None,
        Some((version, quantity)) if expected == 0 => {
            format!("{line}: an order was placed meanwhile (version {version}, quantity {quantity}); reload and decide again")
        }
        Some((version, quantity)) => format!(
            "{line}: the order changed meanwhile (now version {version}, quantity {quantity}; you saw version {expected}); reload and decide again"
        ),
        None => format!("{line}: the order you saw (version {expected}) does not exist"),
    };
    Some(Rejection::new(VERSION_FIELD, reason))
}

/// Turns the accepted and late lines whose expected version does not match
/// the current orders into rejections. `expected[i]` belongs to `intakes[i]`.
pub fn check_versions(intakes: &mut [Intake], expected: &[Option<i32>], current: &HashMap<Key, (i32, i32)>) {
    for (intake, expected) in intakes.iter_mut().zip(expected) {
        let conflict = match intake {
            Intake::Accepted(a) | Intake::LateChange(a) => version_conflict(&a.key, *expected, current.get(&a.key).copied()),
            Intake::Rejected(_) => None,
        };
        if let Some(r) = conflict {
            *intake = Intake::Rejected(r);
        }
    }
}

/// The keys whose versions must be read (lines with an expected version that intake would write).
pub fn keys_to_check(intakes: &[Intake], expected: &[Option<i32>]) -> Vec<Key> {
    intakes
        .iter()
        .zip(expected)
        .filter_map(|(i, e)| match (i, e) {
            (Intake::Accepted(a) | Intake::LateChange(a), Some(_)) => Some(a.key.clone()),
            _ => None,
        })
        .collect()
}
