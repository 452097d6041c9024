//! SLA clocks: how much of a service-level target a case has used, and when
//! it falls due, in working hours or around the clock, with pauses.
//!
//! A working-hours clock runs 8–16 Europe/Helsinki on working days (Mon–Fri,
//! not a Finnish public holiday nor Midsummer or Christmas Eve: the same
//! [`super::is_working_day`] the order cut-offs use; one calendar for the whole
//! platform). An around-the-clock clock (critical food-safety cases) runs
//! always. Either clock stands still during a pause (waiting for the
//! customer); a pause without an end is still going on.
//!
//! Invariants (property-tested in `sla/tests.rs`):
//! - `elapsed(a, c) == elapsed(a, b) + elapsed(b, c)` for `a <= b <= c`;
//! - `elapsed(a, b) <= b - a`, and a working-hours clock never counts more than
//!   an around-the-clock one over the same span;
//! - `deadline(start, target) = Some(d)` implies `elapsed(start, d) == target`
//!   and `d` is the earliest such instant;
//! - `deadline` is `None` only when an open pause begins before the target is
//!   used up (the due time is unknown until the customer answers).

#[cfg(test)]
mod tests;

use super::is_working_day;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Helsinki;

/// A pause of a clock: from, and until (`None`: still paused).
pub type Pause = (DateTime<Utc>, Option<DateTime<Utc>>);

/// The daily window of a working-hours clock, Europe/Helsinki local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

impl WorkingHours {
    /// 8–16, the producer's office hours.
    pub const STANDARD: Self = Self {
        opens: NaiveTime::from_hms_opt(8, 0, 0).expect("8:00 is a time"),
        closes: NaiveTime::from_hms_opt(16, 0, 0).expect("16:00 is a time"),
    };

    /// The working window of a date in UTC, if the date is a working day.
    /// (8:00 and 16:00 never fall into a daylight-saving gap in Helsinki; the
    /// earlier of two readings is taken should a window ever do so.)
    fn window(&self, d: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !is_working_day(d) {
            return None;
        }
        let at = |t: NaiveTime| Helsinki.from_local_datetime(&d.and_time(t)).earliest().map(|x| x.with_timezone(&Utc));
        Some((at(self.opens)?, at(self.closes)?))
    }

    /// Working time within `[from, to)`.
    fn worked(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        if to <= from {
            return total;
        }
        let last = to.with_timezone(&Helsinki).date_naive();
        let mut day = from.with_timezone(&Helsinki).date_naive();
        while day <= last {
            if let Some((s, e)) = self.window(day) {
                let (lo, hi) = (s.max(from), e.min(to));
                if hi > lo {
                    total += hi - lo;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        total
    }

    /// The instant `remaining` working time after `from`, if reached before
    /// `until`; otherwise the working time still left at `until`.
    fn consume(&self, from: DateTime<Utc>, remaining: Duration, until: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, Duration> {
        let mut left = remaining;
        if left <= Duration::zero() {
            return Ok(from);
        }
        let mut day = from.with_timezone(&Helsinki).date_naive();
        let last = until.map(|u| u.with_timezone(&Helsinki).date_naive());
        // 20 years of days is far beyond any target (the longest is a year of minutes).
        for _ in 0..7305 {
            if last.is_some_and(|l| day > l) {
                return Err(left);
            }
            if let Some((s, e)) = self.window(day) {
                let lo = s.max(from);
                let hi = until.map_or(e, |u| e.min(u));
                if hi > lo {
                    if hi - lo >= left {
                        return Ok(lo + left);
                    }
                    left -= hi - lo;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        Err(left)
    }
}

/// How a clock counts time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    WorkingHours(WorkingHours),
    AroundTheClock,
}

/// Sorted, merged pauses; an open pause swallows every later one.
fn merged(pauses: &[Pause]) -> Vec<Pause> {
    let mut v: Vec<Pause> = pauses.iter().copied().filter(|(s, e)| e.is_none_or(|e| e > *s)).collect();
    v.sort_by_key(|p| p.0);
    let mut out: Vec<Pause> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some((_, last_end)) if last_end.is_none_or(|le| s <= le) => {
                *last_end = match (*last_end, e) {
                    (None, _) | (_, None) => None,
                    (Some(a), Some(b)) => Some(a.max(b)),
                };
            }
            _ => out.push((s, e)),
        }
    }
    out
}

impl Clock {
    fn span(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        match self {
            Self::AroundTheClock => (to - from).max(Duration::zero()),
            Self::WorkingHours(w) => w.worked(from, to),
        }
    }

    /// Clock time used in `[from, to)` outside the pauses.
    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>, pauses: &[Pause]) -> Duration {
        let mut total = Duration::zero();
        let mut cur = from;
        for (s, e) in merged(pauses) {
            if cur >= to {
                break;
            }
            if s > cur {
                total += self.span(cur, s.min(to));
            }
            match e {
                None => return total,
                Some(e) => cur = cur.max(e),
            }
        }
        if cur < to {
            total += self.span(cur, to);
        }
        total
    }

    /// When `target` clock time since `start` is used up, skipping pauses;
    /// `None` when an open pause starts before that (the due time is not
    /// known while the clock stands still).
    pub fn deadline(&self, start: DateTime<Utc>, target: Duration, pauses: &[Pause]) -> Option<DateTime<Utc>> {
        // Nothing to use up: due at the start, even while a pause stands open.
        if target <= Duration::zero() {
            return Some(start);
        }
        let mut cur = start;
        let mut left = target;
        for (s, e) in merged(pauses) {
            if e.is_some_and(|e| e <= cur) {
                continue;
            }
            if s > cur {
                match self.consume(cur, left, Some(s)) {
                    Ok(at) => return Some(at),
                    Err(rest) => left = rest,
                }
            }
            cur = e?;
        }
        self.consume(cur, left, None).ok()
    }

    fn consume(&self, from: DateTime<Utc>, left: Duration, until: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, Duration> {
        match self {
            Self::AroundTheClock => match until {
                Some(u) if from + left > u => Err(left - (u - from).max(Duration::zero())),
                _ => Ok(from + left.max(Duration::zero())),
            },
            Self::WorkingHours(w) => w.consume(from, left, until),
        }
    }
}
