//! The meeting lifecycle: `requested → scheduled → in_progress → completed → published`, with
//! `rejected`, `cancelled` and `no_show` as ends.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingStatus {
    Requested,
    Scheduled,
    InProgress,
    Completed,
    Published,
    Rejected,
    Cancelled,
    NoShow,
}

impl MeetingStatus {
    pub const ALL: [MeetingStatus; 8] = [
        MeetingStatus::Requested,
        MeetingStatus::Scheduled,
        MeetingStatus::InProgress,
        MeetingStatus::Completed,
        MeetingStatus::Published,
        MeetingStatus::Rejected,
        MeetingStatus::Cancelled,
        MeetingStatus::NoShow,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MeetingStatus::Requested => "requested",
            MeetingStatus::Scheduled => "scheduled",
            MeetingStatus::InProgress => "in_progress",
            MeetingStatus::Completed => "completed",
            MeetingStatus::Published => "published",
            MeetingStatus::Rejected => "rejected",
            MeetingStatus::Cancelled => "cancelled",
            MeetingStatus::NoShow => "no_show",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The meeting occupies its room and people (for overlap checks).
    pub fn holds_booking(self) -> bool {
        matches!(self, MeetingStatus::Scheduled | MeetingStatus::InProgress)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            MeetingStatus::Published
                | MeetingStatus::Rejected
                | MeetingStatus::Cancelled
                | MeetingStatus::NoShow
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    Schedule,
    Reject,
    Cancel,
    Start,
    End,
    NoShow,
    Publish,
}

impl Transition {
    pub fn code(self) -> &'static str {
        match self {
            Transition::Schedule => "schedule",
            Transition::Reject => "reject",
            Transition::Cancel => "cancel",
            Transition::Start => "start",
            Transition::End => "end",
            Transition::NoShow => "no_show",
            Transition::Publish => "publish",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a meeting that is {from:?} cannot be {transition:?}")]
pub struct TransitionError {
    pub from: MeetingStatus,
    pub transition: Transition,
}

impl MeetingStatus {
    /// The status after `t`, or why `t` is not possible from here. Rescheduling a scheduled meeting
    /// is a `Schedule` from `Scheduled`.
    pub fn apply(self, t: Transition) -> Result<MeetingStatus, TransitionError> {
        use MeetingStatus as S;
        use Transition as T;
        let next = match (self, t) {
            (S::Requested | S::Scheduled, T::Schedule) => S::Scheduled,
            (S::Requested, T::Reject) => S::Rejected,
            (S::Requested | S::Scheduled, T::Cancel) => S::Cancelled,
            (S::Scheduled, T::Start) => S::InProgress,
            (S::Scheduled, T::NoShow) => S::NoShow,
            (S::InProgress, T::End) => S::Completed,
            (S::Completed, T::Publish) => S::Published,
            _ => {
                return Err(TransitionError {
                    from: self,
                    transition: t,
                });
            }
        };
        Ok(next)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingKind {
    Consultation,
    DocumentSigning,
    Other,
}

impl MeetingKind {
    pub fn code(self) -> &'static str {
        match self {
            MeetingKind::Consultation => "consultation",
            MeetingKind::DocumentSigning => "document_signing",
            MeetingKind::Other => "other",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [
            MeetingKind::Consultation,
            MeetingKind::DocumentSigning,
            MeetingKind::Other,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn happy_path_and_dead_ends() {
        use MeetingStatus as S;
        use Transition as T;
        let path = [T::Schedule, T::Start, T::End, T::Publish];
        let mut s = S::Requested;
        for t in path {
            s = s.apply(t).expect("allowed");
        }
        assert_eq!(s, S::Published);
        for end in [S::Published, S::Rejected, S::Cancelled, S::NoShow] {
            for t in [
                T::Schedule,
                T::Reject,
                T::Cancel,
                T::Start,
                T::End,
                T::NoShow,
                T::Publish,
            ] {
                assert!(end.apply(t).is_err(), "{end:?} {t:?}");
            }
        }
        assert!(S::InProgress.apply(T::Cancel).is_err());
        assert!(S::Requested.apply(T::Start).is_err());
        for s in MeetingStatus::ALL {
            assert_eq!(MeetingStatus::parse(s.code()), Some(s));
        }
    }
}
