//! Conversions between storage (UTC microseconds, ISO dates, 'HH:MM') and jiff.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

use crate::AppError;

pub const ORG_ZONE: &str = "Asia/Almaty";

pub fn to_us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn from_us(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub fn parse_date(s: &str) -> Option<Date> {
    s.parse::<Date>().ok()
}

pub fn parse_hm(s: &str) -> Option<Time> {
    let t = s.parse::<Time>().ok()?;
    (s.len() == 5).then_some(t)
}

pub fn hm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The organisation's zone from the bundled database.
pub fn zone(name: &str) -> Result<TimeZone, AppError> {
    TimeZone::get(name)
        .map_err(|_| AppError::Internal(format!("time zone {name} is not in the bundled database")))
}

/// An instant as the organisation's wall clock shows it (Asia/Almaty): its local date and time.
pub fn local(t: Timestamp) -> Result<jiff::civil::DateTime, AppError> {
    Ok(zone(ORG_ZONE)?.to_datetime(t))
}

/// Refuses to run with a time-zone database that predates Kazakhstan's move to UTC+5.
pub fn check_zone_database() -> Result<(), AppError> {
    let tz = zone(ORG_ZONE)?;
    let probe: Timestamp = "2025-06-01T00:00:00Z"
        .parse()
        .map_err(|_| AppError::Internal("timestamp".into()))?;
    if tz.to_offset(probe).seconds() != 5 * 3600 {
        return Err(AppError::Internal(format!(
            "{ORG_ZONE} is not UTC+5 in 2025: the bundled time-zone database is older than 2024a"
        )));
    }
    Ok(())
}

/// RFC 3339 with the organisation's offset, e.g. `2026-03-20T10:00:00+05:00`.
pub fn local_rfc3339(t: Timestamp, tz: &TimeZone) -> String {
    let offset = tz.to_offset(t);
    t.display_with_offset(offset).to_string()
}
