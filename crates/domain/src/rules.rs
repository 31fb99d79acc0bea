//! The rules of the order. Each rule is a small pure function from the facts of a proposed change
//! to at most one [`Finding`]; the tables below say which rules run at which transition.
//! Codes are the public contract (SPEC); severities come from the [`RulePolicy`].

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::calendar::WorkingCalendar;
use crate::ids::{InputId, MeetingId, PersonId};
use crate::interval::Interval;
use crate::tender::{Award, UnreliableListing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleCode {
    RoomNotDesignated,
    RoomNotEquipped,
    CommissionQuorum,
    CommissionConflict,
    OutsideWorkingHours,
    TenderWinnerOutsideWorkingHours,
    RoomBusy,
    ParticipantBusy,
    QuorumNotPresent,
    RecordingNotActive,
    RecordingGap,
    OverranWorkingHours,
    UnregisteredContact,
    UnreliableSupplier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Found after the fact: opens a violation case.
    Violation,
    Warning,
    /// A compliance officer may override it with a written justification.
    Blocking,
    /// No one can override it.
    Absolute,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Absolute => "absolute",
            Severity::Blocking => "blocking",
            Severity::Warning => "warning",
            Severity::Violation => "violation",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [
            Severity::Absolute,
            Severity::Blocking,
            Severity::Warning,
            Severity::Violation,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

impl RuleCode {
    pub const ALL: [RuleCode; 14] = [
        RuleCode::RoomNotDesignated,
        RuleCode::RoomNotEquipped,
        RuleCode::CommissionQuorum,
        RuleCode::CommissionConflict,
        RuleCode::OutsideWorkingHours,
        RuleCode::TenderWinnerOutsideWorkingHours,
        RuleCode::RoomBusy,
        RuleCode::ParticipantBusy,
        RuleCode::QuorumNotPresent,
        RuleCode::RecordingNotActive,
        RuleCode::RecordingGap,
        RuleCode::OverranWorkingHours,
        RuleCode::UnregisteredContact,
        RuleCode::UnreliableSupplier,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RuleCode::RoomNotDesignated => "room_not_designated",
            RuleCode::RoomNotEquipped => "room_not_equipped",
            RuleCode::CommissionQuorum => "commission_quorum",
            RuleCode::CommissionConflict => "commission_conflict",
            RuleCode::OutsideWorkingHours => "outside_working_hours",
            RuleCode::TenderWinnerOutsideWorkingHours => "tender_winner_outside_working_hours",
            RuleCode::RoomBusy => "room_busy",
            RuleCode::ParticipantBusy => "participant_busy",
            RuleCode::QuorumNotPresent => "quorum_not_present",
            RuleCode::RecordingNotActive => "recording_not_active",
            RuleCode::RecordingGap => "recording_gap",
            RuleCode::OverranWorkingHours => "overran_working_hours",
            RuleCode::UnregisteredContact => "unregistered_contact",
            RuleCode::UnreliableSupplier => "unreliable_supplier",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// SPEC's default severity.
    pub fn default_severity(self) -> Severity {
        use RuleCode::*;
        match self {
            RoomNotDesignated
            | CommissionQuorum
            | CommissionConflict
            | TenderWinnerOutsideWorkingHours
            | RoomBusy
            | ParticipantBusy
            | QuorumNotPresent
            | RecordingNotActive => Severity::Absolute,
            RoomNotEquipped | OutsideWorkingHours => Severity::Blocking,
            RecordingGap | OverranWorkingHours | UnregisteredContact => Severity::Violation,
            // Not a rule of the order: the business's standing in procurement, for the host and
            // the commission to know (an organisation may make it blocking).
            UnreliableSupplier => Severity::Warning,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("rule {0} is absolute by the order and cannot be made weaker")]
    CannotWeakenAbsolute(&'static str),
    #[error("rule {0} is checked after the fact; its severity is always violation")]
    ViolationRuleFixed(&'static str),
    #[error("a violation severity is only for rules checked after the fact")]
    NotAViolationRule,
    #[error("the commission quorum must be at least 2")]
    QuorumTooSmall,
    #[error("the coverage threshold must be between 0 and 100 %")]
    CoverageOutOfRange,
    #[error("the tender look-back must be between 1 and 120 months")]
    LookbackOutOfRange,
}

/// The configurable side of the rules for one organisation on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePolicy {
    severities: BTreeMap<RuleCode, Severity>,
    commission_quorum: usize,
    coverage_threshold: f64,
    tender_lookback_months: i32,
}

impl Default for RulePolicy {
    fn default() -> Self {
        RulePolicy {
            severities: BTreeMap::new(),
            commission_quorum: 2,
            coverage_threshold: 0.995,
            tender_lookback_months: 12,
        }
    }
}

impl RulePolicy {
    pub fn severity(&self, rule: RuleCode) -> Severity {
        self.severities
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_severity())
    }

    /// Sets a rule's severity. The order's absolute rules may be tightened nowhere and weakened never.
    pub fn set_severity(&mut self, rule: RuleCode, severity: Severity) -> Result<(), PolicyError> {
        let default = rule.default_severity();
        if default == Severity::Violation {
            if severity != Severity::Violation {
                return Err(PolicyError::ViolationRuleFixed(rule.code()));
            }
        } else if severity == Severity::Violation {
            return Err(PolicyError::NotAViolationRule);
        } else if default == Severity::Absolute && severity != Severity::Absolute {
            return Err(PolicyError::CannotWeakenAbsolute(rule.code()));
        }
        self.severities.insert(rule, severity);
        Ok(())
    }

    pub fn commission_quorum(&self) -> usize {
        self.commission_quorum
    }
    pub fn set_commission_quorum(&mut self, q: usize) -> Result<(), PolicyError> {
        if q < 2 {
            return Err(PolicyError::QuorumTooSmall);
        }
        self.commission_quorum = q;
        Ok(())
    }
    pub fn coverage_threshold(&self) -> f64 {
        self.coverage_threshold
    }
    pub fn set_coverage_threshold(&mut self, share: f64) -> Result<(), PolicyError> {
        if !(0.0..=1.0).contains(&share) {
            return Err(PolicyError::CoverageOutOfRange);
        }
        self.coverage_threshold = share;
        Ok(())
    }
    pub fn tender_lookback_months(&self) -> i32 {
        self.tender_lookback_months
    }
    pub fn set_tender_lookback_months(&mut self, m: i32) -> Result<(), PolicyError> {
        if !(1..=120).contains(&m) {
            return Err(PolicyError::LookbackOutOfRange);
        }
        self.tender_lookback_months = m;
        Ok(())
    }
}

/// What a rule found, with the facts its message names.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: RuleCode,
    pub severity: Severity,
    pub detail: Detail,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    None,
    Quorum {
        required: usize,
        actual: usize,
    },
    People(Vec<PersonId>),
    Meetings(Vec<MeetingId>),
    Outside(Vec<Interval>),
    TenderWinner {
        reference: String,
        outside: Vec<Interval>,
    },
    Inputs(Vec<InputId>),
    Coverage(Vec<InputCoverage>),
    Unreliable {
        registry: String,
        since: jiff::civil::Date,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputState {
    /// Writing sealed segments now.
    Recording,
    /// Connected and working, not writing.
    Ready,
    Reconnecting,
    Offline,
}

impl InputState {
    pub fn code(self) -> &'static str {
        match self {
            InputState::Recording => "recording",
            InputState::Ready => "ready",
            InputState::Reconnecting => "reconnecting",
            InputState::Offline => "offline",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [
            InputState::Recording,
            InputState::Ready,
            InputState::Reconnecting,
            InputState::Offline,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
    pub fn working(self) -> bool {
        matches!(self, InputState::Recording | InputState::Ready)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFacts {
    pub id: InputId,
    pub video: bool,
    pub audio: bool,
    pub state: InputState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomFacts {
    pub designated: bool,
    pub inputs: Vec<InputFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputCoverage {
    pub input: InputId,
    /// Share of the meeting interval covered by sealed recording, 0.0–1.0.
    pub share: f64,
    pub gaps: Vec<Interval>,
}

/// Facts for `schedule`.
#[derive(Debug, Clone)]
pub struct ScheduleFacts<'a> {
    pub interval: Interval,
    pub host: PersonId,
    pub commission: &'a [PersonId],
    pub room: &'a RoomFacts,
    pub calendar: &'a WorkingCalendar,
    /// People who declared a conflict of interest with the business.
    pub conflicted: &'a [PersonId],
    /// The award or contract that makes the business a tender winner of the organisation.
    pub tender_award: Option<&'a Award>,
    /// Other meetings holding the room during the interval.
    pub room_bookings: &'a [MeetingId],
    /// Host or commission members booked in another meeting during the interval.
    pub busy_people: &'a [PersonId],
    /// The business's listing in a register of unreliable suppliers on the meeting's day.
    pub unreliable: Option<&'a UnreliableListing>,
}

/// Facts for `start`.
#[derive(Debug, Clone)]
pub struct StartFacts<'a> {
    /// From now to the planned end (at least a minute).
    pub interval: Interval,
    /// Commission members checked in, the host not counted.
    pub commission_present: usize,
    pub room: &'a RoomFacts,
    pub calendar: &'a WorkingCalendar,
    pub tender_award: Option<&'a Award>,
}

/// Facts for a building entry from a visitor log.
#[derive(Debug, Clone)]
pub struct VisitFacts<'a> {
    /// The visitor came for a business (a representative), not as a private person.
    pub business_visitor: bool,
    /// The business's meetings registered (scheduled or later) in this building around the entry.
    pub registered_meetings: &'a [MeetingId],
}

/// Facts for `end`.
#[derive(Debug, Clone)]
pub struct EndFacts<'a> {
    pub actual: Interval,
    pub calendar: &'a WorkingCalendar,
    pub tender_award: Option<&'a Award>,
    pub coverage: &'a [InputCoverage],
}

fn finding(rule: RuleCode, policy: &RulePolicy, detail: Detail) -> Option<Finding> {
    Some(Finding {
        rule,
        severity: policy.severity(rule),
        detail,
    })
}

// ---- the rules, one function each ----

pub fn room_not_designated(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    (!f.room.designated)
        .then(|| finding(RuleCode::RoomNotDesignated, p, Detail::None))
        .flatten()
}

fn room_equipment(room: &RoomFacts, p: &RulePolicy) -> Option<Finding> {
    let video = room.inputs.iter().any(|i| i.video && i.state.working());
    let audio = room.inputs.iter().any(|i| i.audio && i.state.working());
    if video && audio {
        return None;
    }
    let broken = room
        .inputs
        .iter()
        .filter(|i| !i.state.working())
        .map(|i| i.id)
        .collect();
    finding(RuleCode::RoomNotEquipped, p, Detail::Inputs(broken))
}

pub fn room_not_equipped(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    room_equipment(f.room, p)
}

fn commission_members(f: &ScheduleFacts) -> Vec<PersonId> {
    let mut members: Vec<PersonId> = f
        .commission
        .iter()
        .copied()
        .filter(|m| *m != f.host)
        .collect();
    members.sort();
    members.dedup();
    members
}

pub fn commission_quorum(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    let actual = commission_members(f).len();
    let required = p.commission_quorum();
    (actual < required)
        .then(|| {
            finding(
                RuleCode::CommissionQuorum,
                p,
                Detail::Quorum { required, actual },
            )
        })
        .flatten()
}

pub fn commission_conflict(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    let mut bad: Vec<PersonId> = f
        .commission
        .iter()
        .copied()
        .filter(|m| *m == f.host || f.conflicted.contains(m))
        .collect();
    bad.sort();
    bad.dedup();
    (!bad.is_empty())
        .then(|| finding(RuleCode::CommissionConflict, p, Detail::People(bad)))
        .flatten()
}

pub fn outside_working_hours(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    let outside = f.calendar.outside(&f.interval);
    (!outside.is_empty())
        .then(|| finding(RuleCode::OutsideWorkingHours, p, Detail::Outside(outside)))
        .flatten()
}

fn tender_winner_outside(
    interval: &Interval,
    calendar: &WorkingCalendar,
    award: Option<&Award>,
    severity: Severity,
) -> Option<Finding> {
    let award = award?;
    let outside = calendar.outside(interval);
    (!outside.is_empty()).then(|| Finding {
        rule: RuleCode::TenderWinnerOutsideWorkingHours,
        severity,
        detail: Detail::TenderWinner {
            reference: award.reference.clone(),
            outside,
        },
    })
}

pub fn tender_winner_outside_working_hours(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    tender_winner_outside(
        &f.interval,
        f.calendar,
        f.tender_award,
        p.severity(RuleCode::TenderWinnerOutsideWorkingHours),
    )
}

pub fn room_busy(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    (!f.room_bookings.is_empty())
        .then(|| {
            finding(
                RuleCode::RoomBusy,
                p,
                Detail::Meetings(f.room_bookings.to_vec()),
            )
        })
        .flatten()
}

pub fn participant_busy(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    (!f.busy_people.is_empty())
        .then(|| {
            finding(
                RuleCode::ParticipantBusy,
                p,
                Detail::People(f.busy_people.to_vec()),
            )
        })
        .flatten()
}

pub fn unreliable_supplier(f: &ScheduleFacts, p: &RulePolicy) -> Option<Finding> {
    let l = f.unreliable?;
    finding(
        RuleCode::UnreliableSupplier,
        p,
        Detail::Unreliable {
            registry: l.registry.clone(),
            since: l.since,
        },
    )
}

pub fn room_not_equipped_at_start(f: &StartFacts, p: &RulePolicy) -> Option<Finding> {
    room_equipment(f.room, p)
}

pub fn quorum_not_present(f: &StartFacts, p: &RulePolicy) -> Option<Finding> {
    let required = p.commission_quorum();
    (f.commission_present < required)
        .then(|| {
            finding(
                RuleCode::QuorumNotPresent,
                p,
                Detail::Quorum {
                    required,
                    actual: f.commission_present,
                },
            )
        })
        .flatten()
}

pub fn recording_not_active(f: &StartFacts, p: &RulePolicy) -> Option<Finding> {
    let idle: Vec<InputId> = f
        .room
        .inputs
        .iter()
        .filter(|i| i.state != InputState::Recording)
        .map(|i| i.id)
        .collect();
    // A room with no inputs at all is not recording either.
    (f.room.inputs.is_empty() || !idle.is_empty())
        .then(|| finding(RuleCode::RecordingNotActive, p, Detail::Inputs(idle)))
        .flatten()
}

pub fn tender_winner_outside_working_hours_at_start(
    f: &StartFacts,
    p: &RulePolicy,
) -> Option<Finding> {
    tender_winner_outside(
        &f.interval,
        f.calendar,
        f.tender_award,
        p.severity(RuleCode::TenderWinnerOutsideWorkingHours),
    )
}

pub fn recording_gap(f: &EndFacts, p: &RulePolicy) -> Option<Finding> {
    let short: Vec<InputCoverage> = f
        .coverage
        .iter()
        .filter(|c| c.share < p.coverage_threshold())
        .cloned()
        .collect();
    (!short.is_empty())
        .then(|| finding(RuleCode::RecordingGap, p, Detail::Coverage(short)))
        .flatten()
}

pub fn overran_working_hours(f: &EndFacts, p: &RulePolicy) -> Option<Finding> {
    let outside = f.calendar.outside(&f.actual);
    (!outside.is_empty())
        .then(|| finding(RuleCode::OverranWorkingHours, p, Detail::Outside(outside)))
        .flatten()
}

pub fn tender_winner_outside_working_hours_at_end(
    f: &EndFacts,
    _p: &RulePolicy,
) -> Option<Finding> {
    // After the fact nothing can be refused: it is a violation to investigate.
    tender_winner_outside(&f.actual, f.calendar, f.tender_award, Severity::Violation)
}

pub fn unregistered_contact(f: &VisitFacts, p: &RulePolicy) -> Option<Finding> {
    (f.business_visitor && f.registered_meetings.is_empty())
        .then(|| finding(RuleCode::UnregisteredContact, p, Detail::None))
        .flatten()
}

pub type ScheduleRule = fn(&ScheduleFacts<'_>, &RulePolicy) -> Option<Finding>;
pub type StartRule = fn(&StartFacts<'_>, &RulePolicy) -> Option<Finding>;
pub type EndRule = fn(&EndFacts<'_>, &RulePolicy) -> Option<Finding>;

pub fn check_schedule(f: &ScheduleFacts, p: &RulePolicy) -> Vec<Finding> {
    let rules: [ScheduleRule; 9] = [
        room_not_designated,
        room_not_equipped,
        commission_quorum,
        commission_conflict,
        outside_working_hours,
        tender_winner_outside_working_hours,
        room_busy,
        participant_busy,
        unreliable_supplier,
    ];
    rules.iter().filter_map(|r| r(f, p)).collect()
}

pub fn check_start(f: &StartFacts, p: &RulePolicy) -> Vec<Finding> {
    let rules: [StartRule; 4] = [
        room_not_equipped_at_start,
        quorum_not_present,
        recording_not_active,
        tender_winner_outside_working_hours_at_start,
    ];
    rules.iter().filter_map(|r| r(f, p)).collect()
}

pub fn check_end(f: &EndFacts, p: &RulePolicy) -> Vec<Finding> {
    let rules: [EndRule; 3] = [
        recording_gap,
        overran_working_hours,
        tender_winner_outside_working_hours_at_end,
    ];
    rules.iter().filter_map(|r| r(f, p)).collect()
}

/// The outcome of a guarded transition.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Go ahead; `overridden` blocking findings were let through by a compliance officer,
    /// `warnings` are reported but do not stop anything.
    Allowed {
        overridden: Vec<Finding>,
        warnings: Vec<Finding>,
    },
    /// Refused: every finding that stands in the way (warnings listed too).
    Refused { findings: Vec<Finding> },
}

/// Decides a transition from its findings and the rules a compliance officer chose to override.
/// Absolute findings are never overridden; blocking ones only when `may_override`.
pub fn decide(findings: Vec<Finding>, overrides: &[RuleCode], may_override: bool) -> Verdict {
    let overridable = |f: &Finding| {
        f.severity == Severity::Blocking && may_override && overrides.contains(&f.rule)
    };
    let refuses = findings
        .iter()
        .any(|f| matches!(f.severity, Severity::Absolute | Severity::Blocking) && !overridable(f));
    if refuses {
        return Verdict::Refused {
            findings: findings.into_iter().filter(|f| !overridable(f)).collect(),
        };
    }
    let (overridden, warnings) = findings
        .into_iter()
        .partition(|f| f.severity == Severity::Blocking);
    Verdict::Allowed {
        overridden,
        warnings,
    }
}

/// The interval a meeting starting `now` will occupy: until its planned end, and at least a minute.
pub fn from_now_until(
    now: Timestamp,
    planned_end: Timestamp,
) -> Result<Interval, crate::IntervalError> {
    Interval::new(now, planned_end.max(now + SignedDuration::from_mins(1)))
}

#[cfg(test)]
mod tests;
