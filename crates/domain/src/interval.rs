//! Half-open time intervals `[start, end)` in UTC.

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntervalError {
    #[error("end must be after start")]
    EndNotAfterStart,
    #[error("interval is longer than allowed")]
    TooLong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Interval {
    start: Timestamp,
    end: Timestamp,
}

impl Interval {
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, IntervalError> {
        if end <= start {
            return Err(IntervalError::EndNotAfterStart);
        }
        Ok(Interval { start, end })
    }

    /// A meeting's interval: positive and at most `max`.
    pub fn bounded(
        start: Timestamp,
        end: Timestamp,
        max: SignedDuration,
    ) -> Result<Self, IntervalError> {
        let iv = Self::new(start, end)?;
        if iv.duration() > max {
            return Err(IntervalError::TooLong);
        }
        Ok(iv)
    }

    pub fn start(&self) -> Timestamp {
        self.start
    }
    pub fn end(&self) -> Timestamp {
        self.end
    }
    pub fn duration(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
    pub fn intersection(&self, other: &Interval) -> Option<Interval> {
        Interval::new(self.start.max(other.start), self.end.min(other.end)).ok()
    }

    /// The parts of `self` not covered by `cover` (which may overlap each other and be unsorted).
    pub fn subtract_all(&self, cover: &[Interval]) -> Vec<Interval> {
        let mut pieces: Vec<Interval> = cover.iter().filter_map(|c| c.intersection(self)).collect();
        pieces.sort();
        let mut out = Vec::new();
        let mut cursor = self.start;
        for p in pieces {
            if p.start > cursor {
                out.push(Interval {
                    start: cursor,
                    end: p.start,
                });
            }
            cursor = cursor.max(p.end);
        }
        if cursor < self.end {
            out.push(Interval {
                start: cursor,
                end: self.end,
            });
        }
        out
    }

    /// Total length of the union of `parts` clipped to `self`.
    pub fn covered_by(&self, parts: &[Interval]) -> SignedDuration {
        let gaps: SignedDuration = self
            .subtract_all(parts)
            .iter()
            .map(Interval::duration)
            .sum();
        self.duration() - gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn iv(a: i64, b: i64) -> Interval {
        Interval::new(
            Timestamp::from_second(a).expect("ts"),
            Timestamp::from_second(b).expect("ts"),
        )
        .expect("iv")
    }

    #[test]
    fn rejects_empty_and_reversed() {
        let t = Timestamp::from_second(100).expect("ts");
        assert_eq!(Interval::new(t, t), Err(IntervalError::EndNotAfterStart));
        let earlier = Timestamp::from_second(50).expect("ts");
        assert_eq!(
            Interval::new(t, earlier),
            Err(IntervalError::EndNotAfterStart)
        );
    }

    #[test]
    fn touching_intervals_do_not_overlap() {
        assert!(!iv(0, 10).overlaps(&iv(10, 20)));
        assert!(iv(0, 11).overlaps(&iv(10, 20)));
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric_and_matches_pointwise(a in 0i64..100, la in 1i64..50, b in 0i64..100, lb in 1i64..50) {
            let x = iv(a, a + la);
            let y = iv(b, b + lb);
            prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
            let pointwise = (0..200).any(|s| s >= a && s < a + la && s >= b && s < b + lb);
            prop_assert_eq!(x.overlaps(&y), pointwise);
        }

        #[test]
        fn subtract_and_cover_partition_the_interval(a in 0i64..100, l in 1i64..100, cov in proptest::collection::vec((0i64..220, 1i64..40), 0..6)) {
            let x = iv(a, a + l);
            let cover: Vec<Interval> = cov.iter().map(|(s, d)| iv(*s, s + d)).collect();
            let gaps = x.subtract_all(&cover);
            let gap_total: i64 = gaps.iter().map(|g| g.duration().as_secs()).sum();
            prop_assert_eq!(gap_total + x.covered_by(&cover).as_secs(), l);
            for s in a..a + l {
                let in_gap = gaps.iter().any(|g| g.start().as_second() <= s && s < g.end().as_second());
                let covered = cover.iter().any(|c| c.start().as_second() <= s && s < c.end().as_second());
                prop_assert_eq!(in_gap, !covered);
            }
        }
    }
}
