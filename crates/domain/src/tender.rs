//! Who is a tender winner of an organisation: a business holding a procurement contract that is
//! active on the day, or an award within the look-back (default 12 months).

use jiff::Span;
use jiff::civil::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwardKind {
    Award,
    Contract,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award {
    /// The procurement reference (contract number or OCDS ocid) shown as evidence.
    pub reference: String,
    pub kind: AwardKind,
    /// Award date, or the contract's signing date.
    pub date: Date,
    /// A contract's end; `None` when open-ended.
    pub end: Option<Date>,
    /// False for cancelled or terminated awards and contracts.
    pub active: bool,
}

/// The award or contract that makes the business a tender winner on `on`, if any.
pub fn tender_winner_evidence(awards: &[Award], on: Date, lookback_months: i32) -> Option<&Award> {
    let since = on.checked_sub(Span::new().months(lookback_months)).ok()?;
    awards.iter().filter(|a| a.active).find(|a| match a.kind {
        AwardKind::Contract => a.date <= on && a.end.is_none_or(|end| on <= end),
        AwardKind::Award => a.date <= on && a.date > since,
    })
}

/// An entry of a register of unreliable suppliers (реестр недобросовестных участников
/// государственных закупок): the business may not take part in procurement from `since` until
/// `until` (open-ended while it stays in the register).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreliableListing {
    /// Which register: `goszakup` (the state procurement portal) or another operator's.
    pub registry: String,
    pub since: Date,
    pub until: Option<Date>,
    /// The day the register no longer listed it (a full import without it).
    pub delisted: Option<Date>,
}

impl UnreliableListing {
    /// Whether the listing stands on `on`.
    pub fn stands_on(&self, on: Date) -> bool {
        self.since <= on
            && self.until.is_none_or(|u| on <= u)
            && self.delisted.is_none_or(|d| on < d)
    }
}

/// The listing that makes the business an unreliable supplier on `on`, if any (the earliest).
pub fn unreliable_on(listings: &[UnreliableListing], on: Date) -> Option<&UnreliableListing> {
    listings
        .iter()
        .filter(|l| l.stands_on(on))
        .min_by_key(|l| l.since)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_listing_stands_from_its_day_until_its_end_or_delisting() {
        let l = |since, until, delisted| UnreliableListing {
            registry: "goszakup".into(),
            since,
            until,
            delisted,
        };
        let on = date(2026, 3, 20);
        for (listing, expected, why) in [
            (l(date(2025, 6, 1), None, None), true, "listed, open-ended"),
            (l(date(2026, 3, 20), None, None), true, "listed that day"),
            (l(date(2026, 3, 21), None, None), false, "not yet listed"),
            (
                l(date(2024, 1, 1), Some(date(2026, 3, 20)), None),
                true,
                "last day",
            ),
            (
                l(date(2024, 1, 1), Some(date(2026, 3, 19)), None),
                false,
                "term over",
            ),
            (
                l(date(2024, 1, 1), None, Some(date(2026, 3, 20))),
                false,
                "delisted that day",
            ),
            (
                l(date(2024, 1, 1), None, Some(date(2026, 4, 1))),
                true,
                "delisted later",
            ),
        ] {
            assert_eq!(
                unreliable_on(std::slice::from_ref(&listing), on).is_some(),
                expected,
                "{why}"
            );
        }
    }

    fn award(kind: AwardKind, d: Date, end: Option<Date>, active: bool) -> Award {
        Award {
            reference: "ref".into(),
            kind,
            date: d,
            end,
            active,
        }
    }

    #[test]
    fn table() {
        let on = date(2026, 3, 20);
        let cases = [
            (
                award(
                    AwardKind::Contract,
                    date(2025, 1, 1),
                    Some(date(2026, 12, 31)),
                    true,
                ),
                true,
                "active contract",
            ),
            (
                award(
                    AwardKind::Contract,
                    date(2024, 1, 1),
                    Some(date(2025, 12, 31)),
                    true,
                ),
                false,
                "contract ended",
            ),
            (
                award(AwardKind::Contract, date(2026, 4, 1), None, true),
                false,
                "contract not yet signed",
            ),
            (
                award(AwardKind::Contract, date(2025, 1, 1), None, false),
                false,
                "terminated contract",
            ),
            (
                award(AwardKind::Award, date(2025, 4, 1), None, true),
                true,
                "award 11 months ago",
            ),
            (
                award(AwardKind::Award, date(2025, 3, 20), None, true),
                false,
                "award exactly 12 months ago",
            ),
            (
                award(AwardKind::Award, date(2025, 3, 1), None, true),
                false,
                "award 13 months ago",
            ),
            (
                award(AwardKind::Award, date(2025, 4, 1), None, false),
                false,
                "cancelled award",
            ),
        ];
        for (a, expected, why) in cases {
            assert_eq!(
                tender_winner_evidence(std::slice::from_ref(&a), on, 12).is_some(),
                expected,
                "{why}"
            );
        }
    }
}
