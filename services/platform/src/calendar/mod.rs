//! Finnish public holidays and working-day arithmetic for order cut-offs.
//!
//! Orders and changes for a service day (meals, cleaning) are accepted until a
//! number of *working days* before that day, at a given hour, Oulu (Europe/Helsinki)
//! local time. A working day is Monday–Friday that is neither a Finnish public
//! holiday (arkipyhä) nor one of the de-facto days off, Midsummer Eve
//! (juhannusaatto) and Christmas Eve (jouluaatto).
//!
//! This module is hand-written on purpose: no well-kept crate for Finnish holidays
//! exists on crates.io, and the rules are short and stable (fixed dates, dates
//! relative to Easter, and the Saturday/Friday rules of Midsummer and All Saints'
//! Day, per the Act on Holidays and Days off). Easter uses the Gregorian
//! "anonymous" (Meeus–Jones–Butcher) algorithm. Time zones and daylight saving
//! come from `chrono-tz`.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Europe::Helsinki;

pub mod sla;

/// Today's date in Oulu (Europe/Helsinki local time).
pub fn today() -> NaiveDate {
    crate::convert::today_helsinki()
}

/// Why a date is not a working day, in Finnish, e.g. "Pitkäperjantai".
///
/// Covers the Finnish public holidays and the de-facto days off Midsummer Eve and
/// Christmas Eve. Plain weekends give `None`. When two holidays fall on the same
/// date (Ascension Day on 1 May, as in 2008), the fixed-date one is named.
pub fn holiday_name(d: NaiveDate) -> Option<&'static str> {
    let fixed = match (d.month(), d.day()) {
        (1, 1) => Some("Uudenvuodenpäivä"),
        (1, 6) => Some("Loppiainen"),
        (5, 1) => Some("Vappu"),
        (12, 6) => Some("Itsenäisyyspäivä"),
        (12, 24) => Some("Jouluaatto"),
        (12, 25) => Some("Joulupäivä"),
        (12, 26) => Some("Tapaninpäivä"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if let Some(easter) = easter_sunday(d.year()) {
        let name = match (d - easter).num_days() {
            -2 => Some("Pitkäperjantai"),
            0 => Some("Pääsiäispäivä"),
            1 => Some("Toinen pääsiäispäivä"),
            39 => Some("Helatorstai"),
            49 => Some("Helluntaipäivä"),
            _ => None,
        };
        if name.is_some() {
            return name;
        }
    }
    match (d.month(), d.day(), d.weekday()) {
        (6, 19..=25, Weekday::Fri) => Some("Juhannusaatto"),
        (6, 20..=26, Weekday::Sat) => Some("Juhannuspäivä"),
        (10, 31, Weekday::Sat) | (11, 1..=6, Weekday::Sat) => Some("Pyhäinpäivä"),
        _ => None,
    }
}

/// Easter Sunday (Gregorian, anonymous algorithm / Meeus-Jones-Butcher).
///
/// `None` before 1583 (the Gregorian computus did not exist yet) and for years
/// outside the range `NaiveDate` can represent.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    if year < 1583 {
        return None;
    }
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// True for Mon–Fri that are not Finnish public holidays nor the de-facto days off Midsummer Eve (juhannusaatto) and Christmas Eve (jouluaatto).
pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && holiday_name(d).is_none()
}

/// The date `n` working days before `d` (n >= 1); e.g. n=2 before Monday 2027-03-08 is Thursday 2027-03-04.
///
/// `d` itself need not be a working day. `n = 0` returns `d` unchanged. At the
/// lower end of the calendar the walk stops at `NaiveDate::MIN`.
pub fn working_days_before(d: NaiveDate, n: u32) -> NaiveDate {
    let mut day = d;
    let mut left = n;
    while left > 0 {
        match day.pred_opt() {
            Some(prev) => day = prev,
            None => return day,
        }
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// A cut-off rule: changes are accepted until `working_days` working days before the service day at `hour`:00 Europe/Helsinki.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutoffRule {
    pub working_days: u32,
    pub hour: u32,
}

impl CutoffRule {
    /// The cut-off instant (UTC) for a service day, computed in Europe/Helsinki local time (DST-correct via chrono-tz).
    ///
    /// An `hour` above 23 is taken as 23. A local time that does not exist (the
    /// spring-forward gap) moves to the first instant after the gap; an ambiguous
    /// one (autumn fall-back) takes the earlier instant, so the cut-off never comes
    /// later than the rule says.
    pub fn cutoff(&self, service_day: NaiveDate) -> DateTime<Utc> {
        let day = working_days_before(service_day, self.working_days);
        let time = NaiveTime::from_hms_opt(self.hour.min(23), 0, 0).unwrap_or(NaiveTime::MIN);
        helsinki_to_utc(day.and_time(time))
    }

    /// True when `now` is at or before the cut-off.
    pub fn is_open(&self, service_day: NaiveDate, now: DateTime<Utc>) -> bool {
        now <= self.cutoff(service_day)
    }
}

/// Interprets a Helsinki wall-clock time as an instant.
fn helsinki_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    match Helsinki.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // Spring-forward gap (03:00–04:00 in Helsinki): whole hours in it move to
            // the next hour, the first wall-clock time after the jump.
            let later = local + Duration::hours(1);
            match Helsinki.from_local_datetime(&later) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                // Not reachable for Helsinki; standard time (UTC+2) as a last resort.
                LocalResult::None => (local - Duration::hours(2)).and_utc(),
            }
        }
    }
}

/// Plain-language Finnish/Swedish/English description of a cut-off local time, e.g. fi: "ti 12:00", sv: "tis 12:00", en: "Tue 12:00" (weekday abbreviation + 24h time, local Helsinki time). `lang` is "fi" | "sv" | "en" (anything else = fi).
pub fn describe_cutoff(cutoff: DateTime<Utc>, lang: &str) -> String {
    let local = cutoff.with_timezone(&Helsinki);
    format!("{} {:02}:{:02}", weekday_short(local.date_naive(), lang), local.hour(), local.minute())
}

/// Weekday abbreviation in the language ("ma","ti","ke","to","pe","la","su" / "mån","tis","ons","tor","fre","lör","sön" / "Mon".."Sun").
pub fn weekday_short(d: NaiveDate, lang: &str) -> &'static str {
    const FI: [&str; 7] = ["ma", "ti", "ke", "to", "pe", "la", "su"];
    const SV: [&str; 7] = ["mån", "tis", "ons", "tor", "fre", "lör", "sön"];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let names = match lang {
        "sv" => &SV,
        "en" => &EN,
        _ => &FI,
    };
    names[d.weekday().num_days_from_monday() as usize % 7]
}

/// The part of a budget year that has passed by a day: a year's budget is
/// pro-rated by calendar days (rounded down). Ordering's budget usage and
/// invoicing's year-end reconciliation both use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetPeriod {
    pub start: NaiveDate,
    /// Clamped to [the day before the year, the year's last day].
    pub as_of: NaiveDate,
    elapsed: i64,
    total: i64,
}

impl BudgetPeriod {
    pub fn new(year: i32, as_of: NaiveDate) -> Option<Self> {
        let start = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let end = NaiveDate::from_ymd_opt(year, 12, 31)?;
        let as_of = as_of.clamp(start - Duration::days(1), end);
        Some(Self { start, as_of, elapsed: (as_of - start).num_days() + 1, total: (end - start).num_days() + 1 })
    }

    /// The budget's share for the days passed (rounded down).
    pub fn to_date(&self, budget: i64) -> i64 {
        if self.elapsed <= 0 { 0 } else { budget * self.elapsed.min(self.total) / self.total }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
    }

    const MEALS: CutoffRule = CutoffRule { working_days: 2, hour: 12 };

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2024), Some(ymd(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(ymd(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(ymd(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(ymd(2027, 3, 28)));
        assert_eq!(easter_sunday(2028), Some(ymd(2028, 4, 16)));
        // Extremes of the computus: earliest (22.3.) and latest (25.4.) possible.
        assert_eq!(easter_sunday(2285), Some(ymd(2285, 3, 22)));
        assert_eq!(easter_sunday(2038), Some(ymd(2038, 4, 25)));
        assert_eq!(easter_sunday(1500), None);
    }

    #[test]
    fn easter_is_always_a_sunday_in_range() {
        for y in 1583..=3000 {
            let e = easter_sunday(y).unwrap();
            assert_eq!(e.weekday(), Weekday::Sun, "{y}");
            assert!(e >= ymd(y, 3, 22) && e <= ymd(y, 4, 25), "{y}: {e}");
        }
    }

    #[test]
    fn easter_relative_holidays_2027() {
        assert_eq!(holiday_name(ymd(2027, 3, 26)), Some("Pitkäperjantai"));
        assert_eq!(holiday_name(ymd(2027, 3, 28)), Some("Pääsiäispäivä"));
        assert_eq!(holiday_name(ymd(2027, 3, 29)), Some("Toinen pääsiäispäivä"));
        assert_eq!(holiday_name(ymd(2027, 5, 6)), Some("Helatorstai"));
        assert_eq!(ymd(2027, 5, 6).weekday(), Weekday::Thu);
        assert_eq!(holiday_name(ymd(2027, 5, 16)), Some("Helluntaipäivä"));
        assert_eq!(ymd(2027, 5, 16).weekday(), Weekday::Sun);
        assert!(!is_working_day(ymd(2027, 3, 26)));
        assert!(!is_working_day(ymd(2027, 3, 29)));
        assert!(!is_working_day(ymd(2027, 5, 6)));
        assert!(is_working_day(ymd(2027, 3, 25)));
        assert!(is_working_day(ymd(2027, 3, 30)));
    }

    #[test]
    fn fixed_holidays() {
        assert_eq!(holiday_name(ymd(2027, 1, 1)), Some("Uudenvuodenpäivä"));
        assert_eq!(holiday_name(ymd(2027, 1, 6)), Some("Loppiainen"));
        assert_eq!(holiday_name(ymd(2027, 5, 1)), Some("Vappu"));
        assert_eq!(holiday_name(ymd(2027, 12, 6)), Some("Itsenäisyyspäivä"));
        assert_eq!(holiday_name(ymd(2027, 12, 24)), Some("Jouluaatto"));
        assert_eq!(holiday_name(ymd(2027, 12, 25)), Some("Joulupäivä"));
        assert_eq!(holiday_name(ymd(2027, 12, 26)), Some("Tapaninpäivä"));
        // Christmas Eve 2027 is a Friday: a de-facto day off, not a working day.
        assert_eq!(ymd(2027, 12, 24).weekday(), Weekday::Fri);
        assert!(!is_working_day(ymd(2027, 12, 24)));
        // Ascension Day on May Day (2008): the fixed-date name wins.
        assert_eq!(holiday_name(ymd(2008, 5, 1)), Some("Vappu"));
    }

    #[test]
    fn midsummer() {
        assert_eq!(ymd(2027, 6, 25).weekday(), Weekday::Fri);
        assert_eq!(holiday_name(ymd(2027, 6, 25)), Some("Juhannusaatto"));
        assert_eq!(holiday_name(ymd(2027, 6, 26)), Some("Juhannuspäivä"));
        assert!(!is_working_day(ymd(2027, 6, 25)));
        assert!(is_working_day(ymd(2027, 6, 18)));
        assert_eq!(holiday_name(ymd(2027, 6, 18)), None);
        assert_eq!(holiday_name(ymd(2027, 6, 19)), None);
        // 2026: Midsummer Eve Fri 19.6., Midsummer Day Sat 20.6.
        assert_eq!(holiday_name(ymd(2026, 6, 19)), Some("Juhannusaatto"));
        assert_eq!(holiday_name(ymd(2026, 6, 20)), Some("Juhannuspäivä"));
        assert_eq!(holiday_name(ymd(2026, 6, 26)), None);
        // Exactly one of each every year.
        for y in 2000..=2100 {
            let june: Vec<_> = (1..=30).map(|d| holiday_name(ymd(y, 6, d))).collect();
            assert_eq!(june.iter().filter(|n| **n == Some("Juhannusaatto")).count(), 1, "{y}");
            assert_eq!(june.iter().filter(|n| **n == Some("Juhannuspäivä")).count(), 1, "{y}");
        }
    }

    #[test]
    fn all_saints_day() {
        assert_eq!(ymd(2026, 10, 31).weekday(), Weekday::Sat);
        assert_eq!(holiday_name(ymd(2026, 10, 31)), Some("Pyhäinpäivä"));
        assert_eq!(ymd(2027, 11, 6).weekday(), Weekday::Sat);
        assert_eq!(holiday_name(ymd(2027, 11, 6)), Some("Pyhäinpäivä"));
        assert_eq!(holiday_name(ymd(2027, 10, 30)), None);
        assert_eq!(holiday_name(ymd(2026, 11, 7)), None);
    }

    #[test]
    fn independence_day_2026_is_a_sunday() {
        let d = ymd(2026, 12, 6);
        assert_eq!(d.weekday(), Weekday::Sun);
        assert_eq!(holiday_name(d), Some("Itsenäisyyspäivä"));
        assert!(!is_working_day(d));
        // A Sunday holiday gives no extra day off: Monday 7.12.2026 is a working day.
        assert!(is_working_day(ymd(2026, 12, 7)));
    }

    #[test]
    fn weekends_are_not_working_days() {
        assert!(!is_working_day(ymd(2027, 3, 6)));
        assert!(!is_working_day(ymd(2027, 3, 7)));
        assert_eq!(holiday_name(ymd(2027, 3, 6)), None);
        assert!(is_working_day(ymd(2027, 3, 8)));
    }

    #[test]
    fn working_days_before_examples() {
        // Doc example: across a weekend.
        assert_eq!(working_days_before(ymd(2027, 3, 8), 2), ymd(2027, 3, 4));
        assert_eq!(working_days_before(ymd(2027, 3, 8), 1), ymd(2027, 3, 5));
        assert_eq!(working_days_before(ymd(2027, 3, 10), 1), ymd(2027, 3, 9));
        assert_eq!(working_days_before(ymd(2027, 3, 10), 0), ymd(2027, 3, 10));
        // Starting from a non-working day.
        assert_eq!(working_days_before(ymd(2027, 3, 7), 1), ymd(2027, 3, 5));
        assert_eq!(working_days_before(NaiveDate::MIN, 3), NaiveDate::MIN);
    }

    #[test]
    fn cutoff_across_easter() {
        // Tue 30.3.2027, day after Easter Monday. Working days back: Thu 25.3. (1),
        // Wed 24.3. (2); Good Friday 26.3. and Easter Monday 29.3. are skipped.
        assert_eq!(working_days_before(ymd(2027, 3, 30), 2), ymd(2027, 3, 24));
        assert_eq!(MEALS.cutoff(ymd(2027, 3, 30)), utc(2027, 3, 24, 10, 0, 0));
        // Wed 31.3.2027: Tue 30.3. (1), Thu 25.3. (2).
        assert_eq!(MEALS.cutoff(ymd(2027, 3, 31)), utc(2027, 3, 25, 10, 0, 0));
        // One working day before Tue 30.3. is Thu 25.3.
        assert_eq!(CutoffRule { working_days: 1, hour: 12 }.cutoff(ymd(2027, 3, 30)), utc(2027, 3, 25, 10, 0, 0));
        assert_eq!(describe_cutoff(MEALS.cutoff(ymd(2027, 3, 31)), "fi"), "to 12:00");
    }

    #[test]
    fn cutoff_across_independence_day() {
        // Independence Day 2027 is Monday 6.12.; the service day Tue 7.12.
        assert_eq!(ymd(2027, 12, 6).weekday(), Weekday::Mon);
        assert_eq!(ymd(2027, 12, 7).weekday(), Weekday::Tue);
        assert_eq!(working_days_before(ymd(2027, 12, 7), 2), ymd(2027, 12, 2));
        assert_eq!(MEALS.cutoff(ymd(2027, 12, 7)), utc(2027, 12, 2, 10, 0, 0));
    }

    #[test]
    fn cutoff_across_midsummer() {
        let rule = CutoffRule { working_days: 1, hour: 12 };
        assert_eq!(ymd(2027, 6, 28).weekday(), Weekday::Mon);
        assert_eq!(working_days_before(ymd(2027, 6, 28), 1), ymd(2027, 6, 24));
        // Summer time: 12:00 Helsinki (UTC+3) is 09:00 UTC.
        assert_eq!(rule.cutoff(ymd(2027, 6, 28)), utc(2027, 6, 24, 9, 0, 0));
    }

    #[test]
    fn cutoff_dst() {
        // Winter (EET, UTC+2): 12:00 local = 10:00 UTC.
        assert_eq!(MEALS.cutoff(ymd(2027, 1, 20)), utc(2027, 1, 18, 10, 0, 0));
        // Summer (EEST, UTC+3): 12:00 local = 09:00 UTC.
        assert_eq!(MEALS.cutoff(ymd(2027, 8, 18)), utc(2027, 8, 16, 9, 0, 0));
        // DST starts Sun 28.3.2027 at 03:00 local; Thu 25.3. is still winter time,
        // Tue 30.3. is summer time.
        assert_eq!(CutoffRule { working_days: 0, hour: 12 }.cutoff(ymd(2027, 3, 25)), utc(2027, 3, 25, 10, 0, 0));
        assert_eq!(CutoffRule { working_days: 0, hour: 12 }.cutoff(ymd(2027, 3, 30)), utc(2027, 3, 30, 9, 0, 0));
        // Autumn: DST ends Sun 31.10.2027; Fri 29.10. summer, Mon 1.11. winter.
        assert_eq!(CutoffRule { working_days: 1, hour: 12 }.cutoff(ymd(2027, 11, 1)), utc(2027, 10, 29, 9, 0, 0));
        assert_eq!(CutoffRule { working_days: 1, hour: 12 }.cutoff(ymd(2027, 11, 2)), utc(2027, 11, 1, 10, 0, 0));
    }

    #[test]
    fn cutoff_odd_hours() {
        // Hours past 23 are clamped.
        assert_eq!(CutoffRule { working_days: 0, hour: 99 }.cutoff(ymd(2027, 1, 20)), utc(2027, 1, 20, 21, 0, 0));
        // Gap (spring forward 03:00 → 04:00 on 28.3.2027): 03:00 does not exist; moves to 04:00 EEST = 01:00 UTC.
        assert_eq!(CutoffRule { working_days: 0, hour: 3 }.cutoff(ymd(2027, 3, 28)), utc(2027, 3, 28, 1, 0, 0));
        // Overlap (fall back 04:00 → 03:00 on 31.10.2027): 03:00 happens twice; the earlier (EEST) one.
        assert_eq!(CutoffRule { working_days: 0, hour: 3 }.cutoff(ymd(2027, 10, 31)), utc(2027, 10, 31, 0, 0, 0));
        assert_eq!(CutoffRule { working_days: 0, hour: 0 }.cutoff(ymd(2027, 1, 20)), utc(2027, 1, 19, 22, 0, 0));
    }

    #[test]
    fn is_open_boundary() {
        let day = ymd(2027, 12, 7);
        let cutoff = MEALS.cutoff(day);
        assert!(MEALS.is_open(day, cutoff - Duration::hours(1)));
        assert!(MEALS.is_open(day, cutoff));
        assert!(!MEALS.is_open(day, cutoff + Duration::seconds(1)));
        // Summer.
        let day = ymd(2027, 6, 28);
        let rule = CutoffRule { working_days: 1, hour: 12 };
        assert!(rule.is_open(day, utc(2027, 6, 24, 9, 0, 0)));
        assert!(!rule.is_open(day, utc(2027, 6, 24, 9, 0, 1)));
    }

    #[test]
    fn describe_cutoff_languages() {
        // Thu 2.12.2027 12:00 Helsinki.
        let c = MEALS.cutoff(ymd(2027, 12, 7));
        assert_eq!(describe_cutoff(c, "fi"), "to 12:00");
        assert_eq!(describe_cutoff(c, "sv"), "tor 12:00");
        assert_eq!(describe_cutoff(c, "en"), "Thu 12:00");
        assert_eq!(describe_cutoff(c, "de"), "to 12:00");
        assert_eq!(describe_cutoff(c, ""), "to 12:00");
        // Summer, local time shown (09:00 UTC → 12:00).
        assert_eq!(describe_cutoff(utc(2027, 6, 24, 9, 0, 0), "en"), "Thu 12:00");
        // Local date differs from the UTC date: Mon 22:30 UTC is Tue 00:30 Helsinki.
        assert_eq!(describe_cutoff(utc(2027, 1, 18, 22, 30, 0), "fi"), "ti 00:30");
        assert_eq!(describe_cutoff(utc(2027, 1, 19, 7, 5, 0), "sv"), "tis 09:05");
    }

    #[test]
    fn weekday_abbreviations() {
        // 8.3.2027 is a Monday.
        let week: Vec<_> = (8..=14).map(|d| ymd(2027, 3, d)).collect();
        let fi: Vec<_> = week.iter().map(|d| weekday_short(*d, "fi")).collect();
        let sv: Vec<_> = week.iter().map(|d| weekday_short(*d, "sv")).collect();
        let en: Vec<_> = week.iter().map(|d| weekday_short(*d, "en")).collect();
        assert_eq!(fi, ["ma", "ti", "ke", "to", "pe", "la", "su"]);
        assert_eq!(sv, ["mån", "tis", "ons", "tor", "fre", "lör", "sön"]);
        assert_eq!(en, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
        assert_eq!(weekday_short(week[0], "xx"), "ma");
    }

    #[test]
    fn holidays_2027_count() {
        // Weekday days off in 2027: 1.1. Fri, 6.1. Wed, Good Friday, Easter Monday,
        // Ascension, Midsummer Eve, 6.12. Mon, 24.12. Fri (1.5. is a Saturday,
        // 25.–26.12. a weekend).
        let days_off = (1..=365)
            .filter_map(|o| NaiveDate::from_yo_opt(2027, o))
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_working_day(*d))
            .count();
        assert_eq!(days_off, 8);
    }

    #[test]
    fn today_is_a_date() {
        let t = today();
        assert!(t.year() >= 2024);
    }
}
