//! Working time as effective-dated data: per-organisation hours (with lunch break and a five- or
//! six-day week) that change over time, plus the country's days off and decreed transfers.
//!
//! Everything is reasoned about in the organisation's zone (`Asia/Almaty`, UTC+5) and answered in
//! UTC intervals.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

use crate::interval::Interval;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkWeek {
    FiveDay,
    SixDay,
}

impl WorkWeek {
    pub fn is_workday(self, day: Weekday) -> bool {
        match self {
            WorkWeek::FiveDay => !matches!(day, Weekday::Saturday | Weekday::Sunday),
            WorkWeek::SixDay => day != Weekday::Sunday,
        }
    }
}

/// A version of an organisation's hours, in force from `effective_from` until the next version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkSchedule {
    pub effective_from: Date,
    pub week: WorkWeek,
    pub start: Time,
    pub end: Time,
    pub lunch: Option<(Time, Time)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("the working day must end after it starts")]
    EndNotAfterStart,
    #[error("the lunch break must lie inside the working day and end after it starts")]
    LunchOutsideDay,
}

impl WorkSchedule {
    pub fn new(
        effective_from: Date,
        week: WorkWeek,
        start: Time,
        end: Time,
        lunch: Option<(Time, Time)>,
    ) -> Result<Self, ScheduleError> {
        if end <= start {
            return Err(ScheduleError::EndNotAfterStart);
        }
        if let Some((ls, le)) = lunch
            && !(start < ls && ls < le && le < end)
        {
            return Err(ScheduleError::LunchOutsideDay);
        }
        Ok(WorkSchedule {
            effective_from,
            week,
            start,
            end,
            lunch,
        })
    }

    fn periods(&self) -> Vec<(Time, Time)> {
        match self.lunch {
            Some((ls, le)) => vec![(self.start, ls), (le, self.end)],
            None => vec![(self.start, self.end)],
        }
    }
}

/// What a decree says of a date: a day off on a weekday (holiday or transfer), or a working
/// weekend day (the other side of a transfer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    DayOff,
    WorkingDay,
}

#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    tz: TimeZone,
    schedules: Vec<WorkSchedule>,
    days: BTreeMap<Date, DayKind>,
}

impl WorkingCalendar {
    pub fn new(
        tz: TimeZone,
        mut schedules: Vec<WorkSchedule>,
        days: BTreeMap<Date, DayKind>,
    ) -> Self {
        schedules.sort_by_key(|s| s.effective_from);
        WorkingCalendar {
            tz,
            schedules,
            days,
        }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The hours in force on `date`, if any version has started by then.
    pub fn schedule_on(&self, date: Date) -> Option<&WorkSchedule> {
        self.schedules
            .iter()
            .rev()
            .find(|s| s.effective_from <= date)
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        let Some(schedule) = self.schedule_on(date) else {
            return false;
        };
        match self.days.get(&date) {
            Some(DayKind::DayOff) => false,
            Some(DayKind::WorkingDay) => true,
            None => schedule.week.is_workday(date.weekday()),
        }
    }

    /// The working periods of one local date, as UTC intervals.
    pub fn working_periods(&self, date: Date) -> Vec<Interval> {
        if !self.is_working_day(date) {
            return Vec::new();
        }
        let Some(schedule) = self.schedule_on(date) else {
            return Vec::new();
        };
        schedule
            .periods()
            .into_iter()
            .filter_map(|(a, b)| {
                let start = self.tz.to_timestamp(date.to_datetime(a)).ok()?;
                let end = self.tz.to_timestamp(date.to_datetime(b)).ok()?;
                Interval::new(start, end).ok()
            })
            .collect()
    }

    /// The parts of `interval` that fall outside working time (weekends, days off, lunch, before
    /// the start or after the end of the day). Empty when the whole interval is working time.
    pub fn outside(&self, interval: &Interval) -> Vec<Interval> {
        let first = self.tz.to_datetime(interval.start()).date();
        let last = self.tz.to_datetime(interval.end()).date();
        let mut periods = Vec::new();
        let mut day = first;
        while day <= last {
            periods.extend(self.working_periods(day));
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        interval.subtract_all(&periods)
    }

    pub fn within(&self, interval: &Interval) -> bool {
        self.outside(interval).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    fn almaty() -> TimeZone {
        TimeZone::get("Asia/Almaty").expect("bundled tzdb has Asia/Almaty")
    }

    /// Astana akimat: 08:30–18:00, lunch 13:00–14:30; from 2025-09-15 the day starts at 07:30.
    fn astana() -> WorkingCalendar {
        let lunch = Some((time(13, 0, 0, 0), time(14, 30, 0, 0)));
        let v1 = WorkSchedule::new(
            date(2016, 1, 1),
            WorkWeek::FiveDay,
            time(8, 30, 0, 0),
            time(18, 0, 0, 0),
            lunch,
        )
        .expect("valid");
        let v2 = WorkSchedule::new(
            date(2025, 9, 15),
            WorkWeek::FiveDay,
            time(7, 30, 0, 0),
            time(18, 0, 0, 0),
            lunch,
        )
        .expect("valid");
        let mut days = BTreeMap::new();
        for d in [
            date(2026, 3, 9),
            date(2026, 3, 23),
            date(2026, 3, 24),
            date(2026, 3, 25),
        ] {
            days.insert(d, DayKind::DayOff);
        }
        days.insert(date(2026, 3, 28), DayKind::WorkingDay);
        WorkingCalendar::new(almaty(), vec![v2, v1], days)
    }

    fn local(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        almaty()
            .to_timestamp(date(y, m, d).at(h, min, 0, 0))
            .expect("ts")
    }

    fn iv(a: Timestamp, b: Timestamp) -> Interval {
        Interval::new(a, b).expect("iv")
    }

    #[test]
    fn almaty_is_utc_plus_5_since_2024_03_01() {
        let tz = almaty();
        let before = "2024-02-29T12:00:00Z".parse::<Timestamp>().expect("ts");
        let after = "2024-03-01T12:00:00Z".parse::<Timestamp>().expect("ts");
        assert_eq!(tz.to_offset(before).seconds(), 6 * 3600);
        assert_eq!(tz.to_offset(after).seconds(), 5 * 3600);
        assert_eq!(
            tz.to_offset("2026-07-01T00:00:00Z".parse::<Timestamp>().expect("ts"))
                .seconds(),
            5 * 3600
        );
    }

    #[test]
    fn table() {
        let cal = astana();
        // (from, to, within working time?)
        let cases = [
            (
                local(2026, 3, 20, 10, 0),
                local(2026, 3, 20, 11, 0),
                true,
                "ordinary Friday morning",
            ),
            (
                local(2026, 3, 20, 19, 0),
                local(2026, 3, 20, 20, 0),
                false,
                "19:00 after hours",
            ),
            (
                local(2026, 3, 20, 17, 30),
                local(2026, 3, 20, 18, 30),
                false,
                "runs past 18:00",
            ),
            (
                local(2026, 3, 20, 12, 30),
                local(2026, 3, 20, 13, 30),
                false,
                "runs into lunch",
            ),
            (
                local(2026, 3, 20, 14, 30),
                local(2026, 3, 20, 15, 0),
                true,
                "right after lunch",
            ),
            (
                local(2026, 3, 23, 10, 0),
                local(2026, 3, 23, 11, 0),
                false,
                "Nauryz day off",
            ),
            (
                local(2026, 3, 9, 10, 0),
                local(2026, 3, 9, 11, 0),
                false,
                "transfer for 8 March",
            ),
            (
                local(2026, 3, 21, 10, 0),
                local(2026, 3, 21, 11, 0),
                false,
                "Saturday",
            ),
            (
                local(2026, 3, 28, 10, 0),
                local(2026, 3, 28, 11, 0),
                true,
                "Saturday made a working day",
            ),
            (
                local(2025, 9, 12, 7, 45),
                local(2025, 9, 12, 8, 45),
                false,
                "07:45 before the 2025-09-15 change",
            ),
            (
                local(2025, 9, 15, 7, 45),
                local(2025, 9, 15, 8, 45),
                true,
                "07:45 after the 2025-09-15 change",
            ),
            (
                local(2026, 3, 20, 17, 0),
                local(2026, 3, 23, 9, 0),
                false,
                "across a weekend",
            ),
        ];
        for (a, b, expected, why) in cases {
            assert_eq!(cal.within(&iv(a, b)), expected, "{why}");
        }
    }

    #[test]
    fn outside_lists_the_exact_pieces() {
        let cal = astana();
        let out = cal.outside(&iv(local(2026, 3, 20, 12, 0), local(2026, 3, 20, 19, 0)));
        assert_eq!(
            out,
            vec![
                iv(local(2026, 3, 20, 13, 0), local(2026, 3, 20, 14, 30)),
                iv(local(2026, 3, 20, 18, 0), local(2026, 3, 20, 19, 0))
            ]
        );
    }

    #[test]
    fn six_day_week_works_saturdays() {
        let six = WorkSchedule::new(
            date(2020, 1, 1),
            WorkWeek::SixDay,
            time(9, 0, 0, 0),
            time(18, 0, 0, 0),
            None,
        )
        .expect("valid");
        let cal = WorkingCalendar::new(almaty(), vec![six], BTreeMap::new());
        assert!(cal.within(&iv(local(2026, 3, 21, 10, 0), local(2026, 3, 21, 11, 0))));
        assert!(!cal.within(&iv(local(2026, 3, 22, 10, 0), local(2026, 3, 22, 11, 0))));
    }

    #[test]
    fn invalid_schedules_are_refused() {
        let d = date(2026, 1, 1);
        assert_eq!(
            WorkSchedule::new(
                d,
                WorkWeek::FiveDay,
                time(18, 0, 0, 0),
                time(9, 0, 0, 0),
                None
            ),
            Err(ScheduleError::EndNotAfterStart)
        );
        assert_eq!(
            WorkSchedule::new(
                d,
                WorkWeek::FiveDay,
                time(9, 0, 0, 0),
                time(18, 0, 0, 0),
                Some((time(19, 0, 0, 0), time(20, 0, 0, 0)))
            ),
            Err(ScheduleError::LunchOutsideDay)
        );
    }

    proptest! {
        /// Holiday- and transfer-rich random calendars: an interval is within working time exactly
        /// when every minute of it is a working minute by the day-by-day definition.
        #[test]
        fn within_matches_minute_by_minute(
            offs in proptest::collection::vec((0i32..60, prop::bool::ANY), 0..25),
            start_min in 0i64..(60 * 24 * 50),
            len_min in 1i64..(60 * 30),
            six in prop::bool::ANY,
        ) {
            let base = date(2026, 3, 1);
            let mut days = BTreeMap::new();
            for (o, off) in &offs {
                let d = base.checked_add(jiff::Span::new().days(i64::from(*o))).expect("date");
                days.insert(d, if *off { DayKind::DayOff } else { DayKind::WorkingDay });
            }
            let week = if six { WorkWeek::SixDay } else { WorkWeek::FiveDay };
            let sched = WorkSchedule::new(date(2020, 1, 1), week, time(8, 30, 0, 0), time(18, 0, 0, 0), Some((time(13, 0, 0, 0), time(14, 30, 0, 0)))).expect("valid");
            let cal = WorkingCalendar::new(almaty(), vec![sched], days.clone());
            let t0 = almaty().to_timestamp(base.at(0, 0, 0, 0)).expect("ts");
            let a = t0.checked_add(jiff::SignedDuration::from_mins(start_min)).expect("ts");
            let b = a.checked_add(jiff::SignedDuration::from_mins(len_min)).expect("ts");
            let expected = (0..len_min).all(|m| {
                let t = a.checked_add(jiff::SignedDuration::from_mins(m)).expect("ts");
                let dt = almaty().to_datetime(t);
                let working_day = match days.get(&dt.date()) {
                    Some(DayKind::DayOff) => false,
                    Some(DayKind::WorkingDay) => true,
                    None => week.is_workday(dt.date().weekday()),
                };
                let tm = dt.time();
                working_day && ((tm >= time(8, 30, 0, 0) && tm < time(13, 0, 0, 0)) || (tm >= time(14, 30, 0, 0) && tm < time(18, 0, 0, 0)))
            });
            prop_assert_eq!(cal.within(&iv(a, b)), expected);
        }
    }
}
