//! The order week's cut-off state: what a change of a line does now, per
//! service line of a day (not per day).

use super::LineCutoff;
use chrono::{DateTime, NaiveDate, Utc};
use kumppani_platform::calendar::CutoffRule;
use kumppani_proto::ordering::v1 as pb;

/// What a change of an order line does when placed now. Cut-offs belong to
/// the service line of the product, not to the day: on one day meals may be
/// past their cut-off (2 working days) while cleaning (1 working day) is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeMode {
    /// Before the cut-off, or staff (the producer is not held to it): takes effect.
    Normal,
    /// After the cut-off: becomes a late-change request staff decide.
    LateRequest,
    /// The day has passed: refused (deliveries are reported instead).
    Closed,
}

impl ChangeMode {
    /// The mode of a change to a line under `rule` for `day`, placed `now` by staff or not.
    pub fn of(rule: CutoffRule, day: NaiveDate, now: DateTime<Utc>, today: NaiveDate, staff: bool) -> Self {
        if day < today {
            Self::Closed
        } else if staff || rule.is_open(day, now) {
            Self::Normal
        } else {
            Self::LateRequest
        }
    }

    pub fn to_proto(self) -> pb::ChangeMode {
        match self {
            Self::Normal => pb::ChangeMode::Normal,
            Self::LateRequest => pb::ChangeMode::LateChangeRequest,
            Self::Closed => pb::ChangeMode::Closed,
        }
    }
}

/// When the order week is looked at, and by whom.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub staff: bool,
}

/// The mode of a change to a product of `line` on a day with these cut-offs:
/// a line no agreement covers that day cannot be changed.
pub fn line_mode(cutoffs: &[LineCutoff], line: &str) -> (Option<DateTime<Utc>>, ChangeMode) {
    cutoffs.iter().find(|c| c.service_line == line).map_or((None, ChangeMode::Closed), |c| (Some(c.cutoff), c.mode))
}
