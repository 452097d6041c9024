#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

/// A Helsinki wall-clock time as UTC.
fn hel(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Helsinki.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap().with_timezone(&Utc)
}

const WH: Clock = Clock::WorkingHours(WorkingHours::STANDARD);

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

#[test]
fn within_one_working_day_counts_wall_time() {
    // Tuesday 2026-12-01
    assert_eq!(WH.elapsed(hel(2026, 12, 1, 9, 0), hel(2026, 12, 1, 11, 30), &[]), Duration::minutes(150));
    assert_eq!(WH.deadline(hel(2026, 12, 1, 9, 0), hours(4), &[]), Some(hel(2026, 12, 1, 13, 0)));
}

#[test]
fn evenings_and_nights_do_not_count() {
    // Tuesday 15:00 → Wednesday 10:00 = 1 h + 2 h
    assert_eq!(WH.elapsed(hel(2026, 12, 1, 15, 0), hel(2026, 12, 2, 10, 0), &[]), hours(3));
    // Submitted at 22:00: 4 working hours are due at 12:00 next morning.
    assert_eq!(WH.deadline(hel(2026, 12, 1, 22, 0), hours(4), &[]), Some(hel(2026, 12, 2, 12, 0)));
    // Submitted before opening: the clock starts at 8.
    assert_eq!(WH.deadline(hel(2026, 12, 2, 6, 30), hours(1), &[]), Some(hel(2026, 12, 2, 9, 0)));
}

#[test]
fn a_weekend_is_skipped() {
    // Friday 2026-11-27 14:00 + 4 h → Monday 30.11. 10:00
    assert_eq!(WH.deadline(hel(2026, 11, 27, 14, 0), hours(4), &[]), Some(hel(2026, 11, 30, 10, 0)));
    assert_eq!(WH.elapsed(hel(2026, 11, 27, 14, 0), hel(2026, 11, 30, 10, 0), &[]), hours(4));
    // Saturday to Sunday: nothing.
    assert_eq!(WH.elapsed(hel(2026, 11, 28, 8, 0), hel(2026, 11, 29, 20, 0), &[]), Duration::zero());
}

#[test]
fn finnish_holidays_are_skipped() {
    // Independence Day Sunday 6.12.2026 is a weekend anyway; 6.12.2027 is a Monday.
    // Friday 3.12.2027 15:00 + 2 h → Tuesday 7.12. 09:00 (Monday is a holiday).
    assert_eq!(WH.deadline(hel(2027, 12, 3, 15, 0), hours(2), &[]), Some(hel(2027, 12, 7, 9, 0)));
    // Christmas 2026: Wed 23.12 15:00 + 3 working days (24 h); Christmas Eve, Christmas Day,
    // Boxing Day (Sat) and Sunday off; 1 h on Wed 23, 8 h Mon 28, 8 h Tue 29, 7 h Wed 30 → 15:00.
    assert_eq!(WH.deadline(hel(2026, 12, 23, 15, 0), hours(24), &[]), Some(hel(2026, 12, 30, 15, 0)));
    // Easter 2027: Good Friday 26.3 and Easter Monday 29.3 are off.
    assert_eq!(WH.deadline(hel(2027, 3, 25, 12, 0), hours(8), &[]), Some(hel(2027, 3, 30, 12, 0)));
    // Midsummer Eve 2027 is Friday 25.6.
    assert_eq!(WH.elapsed(hel(2027, 6, 24, 8, 0), hel(2027, 6, 28, 8, 0), &[]), hours(8));
}

#[test]
fn the_window_is_helsinki_time_across_daylight_saving() {
    // Summer time ends Sunday 25.10.2026; Friday 23.10 15:00 + 2 h → Monday 26.10 09:00 Helsinki,
    // which is 07:00 UTC (winter), not 06:00.
    let due = WH.deadline(hel(2026, 10, 23, 15, 0), hours(2), &[]).unwrap();
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 10, 26, 7, 0, 0).unwrap());
    // Summer time starts 28.3.2027: Friday 26.3 is Good Friday; Thursday 25.3 15:00 + 2 h → Tuesday 30.3 09:00 EEST.
    let due = WH.deadline(hel(2027, 3, 25, 15, 0), hours(2), &[]).unwrap();
    assert_eq!(due, Utc.with_ymd_and_hms(2027, 3, 30, 6, 0, 0).unwrap());
}

#[test]
fn a_pause_stops_the_clock() {
    let start = hel(2026, 12, 1, 8, 0);
    let pause = (hel(2026, 12, 1, 10, 0), Some(hel(2026, 12, 2, 10, 0)));
    // 2 h before the pause, then from Wed 10:00.
    assert_eq!(WH.deadline(start, hours(4), &[pause]), Some(hel(2026, 12, 2, 12, 0)));
    assert_eq!(WH.elapsed(start, hel(2026, 12, 2, 12, 0), &[pause]), hours(4));
    // Around the clock: the paused day is not counted either.
    assert_eq!(Clock::AroundTheClock.elapsed(start, hel(2026, 12, 2, 12, 0), &[pause]), hours(4));
}

#[test]
fn an_open_pause_has_no_due_time_but_counts_what_was_used() {
    let start = hel(2026, 12, 1, 8, 0);
    let pause = (hel(2026, 12, 1, 9, 0), None);
    assert_eq!(WH.deadline(start, hours(4), &[pause]), None);
    assert_eq!(WH.elapsed(start, hel(2026, 12, 10, 9, 0), &[pause]), hours(1));
    // A target met before the pause starts still has its due time.
    assert_eq!(WH.deadline(start, Duration::minutes(30), &[pause]), Some(hel(2026, 12, 1, 8, 30)));
}

#[test]
fn overlapping_and_unsorted_pauses_count_once() {
    let start = hel(2026, 12, 1, 8, 0);
    let a = (hel(2026, 12, 1, 10, 0), Some(hel(2026, 12, 1, 12, 0)));
    let b = (hel(2026, 12, 1, 11, 0), Some(hel(2026, 12, 1, 13, 0)));
    assert_eq!(WH.elapsed(start, hel(2026, 12, 1, 16, 0), &[b, a]), hours(5));
    assert_eq!(WH.deadline(start, hours(5), &[b, a, a]), Some(hel(2026, 12, 1, 16, 0)));
}

#[test]
fn critical_clock_runs_around_the_clock() {
    // Critical: 1 hour, Saturday night.
    let start = hel(2026, 12, 5, 23, 30);
    assert_eq!(Clock::AroundTheClock.deadline(start, hours(1), &[]), Some(hel(2026, 12, 6, 0, 30)));
}

#[test]
fn zero_target_is_due_at_once() {
    let start = hel(2026, 12, 5, 23, 30);
    assert_eq!(WH.deadline(start, Duration::zero(), &[]), Some(start));
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2026-01-01 … 2028-12-31, minute resolution.
    (0i64..(3 * 366 * 24 * 60)).prop_map(|m| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(m))
}

fn pauses() -> impl Strategy<Value = Vec<Pause>> {
    prop::collection::vec((instant(), prop::option::weighted(0.85, 0i64..(10 * 24 * 60))), 0..4)
        .prop_map(|v| v.into_iter().map(|(s, len)| (s, len.map(|m| s + Duration::minutes(m)))).collect())
}

fn clock() -> impl Strategy<Value = Clock> {
    prop_oneof![Just(WH), Just(Clock::AroundTheClock)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn elapsed_is_additive(c in clock(), a in instant(), b in instant(), x in instant(), p in pauses()) {
        let mut v = [a, b, x];
        v.sort();
        let [a, b, x] = v;
        prop_assert_eq!(c.elapsed(a, x, &p), c.elapsed(a, b, &p) + c.elapsed(b, x, &p));
    }

    #[test]
    fn working_hours_never_exceed_wall_time(a in instant(), b in instant(), p in pauses()) {
        let (a, b) = (a.min(b), a.max(b));
        let w = WH.elapsed(a, b, &p);
        prop_assert!(w <= Clock::AroundTheClock.elapsed(a, b, &p));
        prop_assert!(Clock::AroundTheClock.elapsed(a, b, &p) <= b - a);
    }

    #[test]
    fn the_deadline_is_where_the_target_is_used_up(c in clock(), start in instant(), target_min in 0i64..(5 * 8 * 60), p in pauses()) {
        let target = Duration::minutes(target_min);
        match c.deadline(start, target, &p) {
            Some(due) => {
                prop_assert_eq!(c.elapsed(start, due, &p), target);
                if target > Duration::zero() {
                    // A minute earlier the target was not yet used up.
                    prop_assert!(c.elapsed(start, due - Duration::minutes(1), &p) < target);
                }
            }
            None => {
                // Only an open pause can hide the due time, and then the clock stands still for good.
                let open = p.iter().filter(|(_, e)| e.is_none()).map(|(s, _)| *s).min();
                prop_assert!(open.is_some());
                let far = start + Duration::days(3650);
                prop_assert!(c.elapsed(start, far, &p) < target);
            }
        }
    }
}
