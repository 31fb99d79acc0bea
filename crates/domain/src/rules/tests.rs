//! One table per rule: what it must refuse, with its code, and what it must allow.
#![allow(clippy::type_complexity)] // test tables are tuples by design

use std::collections::BTreeMap;

use jiff::civil::{date, time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::calendar::{DayKind, WorkSchedule, WorkWeek};
use crate::tender::{AwardKind, UnreliableListing};

fn tz() -> TimeZone {
    TimeZone::get("Asia/Almaty").expect("tz")
}

fn calendar() -> WorkingCalendar {
    let s = WorkSchedule::new(
        date(2025, 9, 15),
        WorkWeek::FiveDay,
        time(7, 30, 0, 0),
        time(18, 0, 0, 0),
        Some((time(13, 0, 0, 0), time(14, 30, 0, 0))),
    )
    .expect("valid");
    let mut days = BTreeMap::new();
    days.insert(date(2026, 3, 23), DayKind::DayOff);
    WorkingCalendar::new(tz(), vec![s], days)
}

fn at(d: i8, h: i8, m: i8) -> Timestamp {
    tz().to_timestamp(date(2026, 3, d).at(h, m, 0, 0))
        .expect("ts")
}

fn iv(a: Timestamp, b: Timestamp) -> Interval {
    Interval::new(a, b).expect("iv")
}

fn input(id: i64, video: bool, audio: bool, state: InputState) -> InputFacts {
    InputFacts {
        id: InputId(id),
        video,
        audio,
        state,
    }
}

fn good_room() -> RoomFacts {
    RoomFacts {
        designated: true,
        inputs: vec![
            input(1, true, true, InputState::Recording),
            input(2, false, true, InputState::Recording),
        ],
    }
}

fn award() -> Award {
    Award {
        reference: "KZ-2026-001".into(),
        kind: AwardKind::Contract,
        date: date(2026, 1, 10),
        end: None,
        active: true,
    }
}

struct S {
    interval: Interval,
    host: PersonId,
    commission: Vec<PersonId>,
    room: RoomFacts,
    conflicted: Vec<PersonId>,
    award: Option<Award>,
    room_bookings: Vec<MeetingId>,
    busy: Vec<PersonId>,
    unreliable: Option<UnreliableListing>,
}

fn base() -> S {
    S {
        interval: iv(at(20, 10, 0), at(20, 11, 0)),
        host: PersonId(1),
        commission: vec![PersonId(2), PersonId(3)],
        room: good_room(),
        conflicted: vec![],
        award: None,
        room_bookings: vec![],
        busy: vec![],
        unreliable: None,
    }
}

fn listing() -> UnreliableListing {
    UnreliableListing {
        registry: "goszakup".into(),
        since: date(2025, 11, 4),
        until: None,
        delisted: None,
    }
}

fn run(s: &S, rule: ScheduleRule) -> Option<Finding> {
    let cal = calendar();
    let f = ScheduleFacts {
        interval: s.interval,
        host: s.host,
        commission: &s.commission,
        room: &s.room,
        calendar: &cal,
        conflicted: &s.conflicted,
        tender_award: s.award.as_ref(),
        room_bookings: &s.room_bookings,
        busy_people: &s.busy,
        unreliable: s.unreliable.as_ref(),
    };
    rule(&f, &RulePolicy::default())
}

/// `check(rule, case, expected)` for every schedule rule: the base case passes every rule.
#[test]
fn schedule_rules() {
    type Case = (&'static str, fn(&mut S), Option<(RuleCode, Severity)>);
    let table: Vec<(ScheduleRule, Vec<Case>)> = vec![
        (
            room_not_designated,
            vec![
                ("designated room", |_| {}, None),
                (
                    "an office",
                    |s| s.room.designated = false,
                    Some((RuleCode::RoomNotDesignated, Severity::Absolute)),
                ),
            ],
        ),
        (
            room_not_equipped,
            vec![
                (
                    "camera with audio ready",
                    |s| s.room.inputs = vec![input(1, true, true, InputState::Ready)],
                    None,
                ),
                (
                    "no inputs",
                    |s| s.room.inputs.clear(),
                    Some((RuleCode::RoomNotEquipped, Severity::Blocking)),
                ),
                (
                    "camera offline",
                    |s| {
                        s.room.inputs = vec![
                            input(1, true, false, InputState::Offline),
                            input(2, false, true, InputState::Recording),
                        ]
                    },
                    Some((RuleCode::RoomNotEquipped, Severity::Blocking)),
                ),
                (
                    "video only",
                    |s| s.room.inputs = vec![input(1, true, false, InputState::Recording)],
                    Some((RuleCode::RoomNotEquipped, Severity::Blocking)),
                ),
            ],
        ),
        (
            commission_quorum,
            vec![
                ("two members", |_| {}, None),
                (
                    "one member",
                    |s| s.commission = vec![PersonId(2)],
                    Some((RuleCode::CommissionQuorum, Severity::Absolute)),
                ),
                (
                    "host does not count",
                    |s| s.commission = vec![PersonId(1), PersonId(2)],
                    Some((RuleCode::CommissionQuorum, Severity::Absolute)),
                ),
                (
                    "duplicates do not count",
                    |s| s.commission = vec![PersonId(2), PersonId(2)],
                    Some((RuleCode::CommissionQuorum, Severity::Absolute)),
                ),
            ],
        ),
        (
            commission_conflict,
            vec![
                (
                    "independent members",
                    |s| s.conflicted = vec![PersonId(9)],
                    None,
                ),
                (
                    "host on the commission",
                    |s| s.commission.push(PersonId(1)),
                    Some((RuleCode::CommissionConflict, Severity::Absolute)),
                ),
                (
                    "declared conflict",
                    |s| s.conflicted = vec![PersonId(3)],
                    Some((RuleCode::CommissionConflict, Severity::Absolute)),
                ),
            ],
        ),
        (
            outside_working_hours,
            vec![
                ("10:00 Friday", |_| {}, None),
                (
                    "19:00 Friday",
                    |s| s.interval = iv(at(20, 19, 0), at(20, 20, 0)),
                    Some((RuleCode::OutsideWorkingHours, Severity::Blocking)),
                ),
                (
                    "lunch",
                    |s| s.interval = iv(at(20, 13, 0), at(20, 13, 30)),
                    Some((RuleCode::OutsideWorkingHours, Severity::Blocking)),
                ),
                (
                    "Nauryz",
                    |s| s.interval = iv(at(23, 10, 0), at(23, 11, 0)),
                    Some((RuleCode::OutsideWorkingHours, Severity::Blocking)),
                ),
                (
                    "Sunday",
                    |s| s.interval = iv(at(22, 10, 0), at(22, 11, 0)),
                    Some((RuleCode::OutsideWorkingHours, Severity::Blocking)),
                ),
            ],
        ),
        (
            tender_winner_outside_working_hours,
            vec![
                ("winner in working hours", |s| s.award = Some(award()), None),
                (
                    "non-winner at 19:00",
                    |s| s.interval = iv(at(20, 19, 0), at(20, 20, 0)),
                    None,
                ),
                (
                    "winner at 19:00",
                    |s| {
                        s.award = Some(award());
                        s.interval = iv(at(20, 19, 0), at(20, 20, 0))
                    },
                    Some((
                        RuleCode::TenderWinnerOutsideWorkingHours,
                        Severity::Absolute,
                    )),
                ),
                (
                    "winner on Nauryz",
                    |s| {
                        s.award = Some(award());
                        s.interval = iv(at(23, 10, 0), at(23, 11, 0))
                    },
                    Some((
                        RuleCode::TenderWinnerOutsideWorkingHours,
                        Severity::Absolute,
                    )),
                ),
            ],
        ),
        (
            room_busy,
            vec![
                ("free room", |_| {}, None),
                (
                    "booked",
                    |s| s.room_bookings = vec![MeetingId(7)],
                    Some((RuleCode::RoomBusy, Severity::Absolute)),
                ),
            ],
        ),
        (
            participant_busy,
            vec![
                ("everyone free", |_| {}, None),
                (
                    "member booked",
                    |s| s.busy = vec![PersonId(2)],
                    Some((RuleCode::ParticipantBusy, Severity::Absolute)),
                ),
            ],
        ),
        (
            unreliable_supplier,
            vec![
                ("not in the register", |_| {}, None),
                (
                    "in the register",
                    |s| s.unreliable = Some(listing()),
                    Some((RuleCode::UnreliableSupplier, Severity::Warning)),
                ),
            ],
        ),
    ];
    for (rule, cases) in table {
        for (name, change, expected) in cases {
            let mut s = base();
            change(&mut s);
            let got = run(&s, rule).map(|f| (f.rule, f.severity));
            assert_eq!(got, expected, "{name}");
        }
    }
}

#[test]
fn check_schedule_lists_every_failing_rule() {
    let cal = calendar();
    let room = RoomFacts {
        designated: false,
        inputs: vec![],
    };
    let commission = [PersonId(1)];
    let a = award();
    let l = listing();
    let f = ScheduleFacts {
        interval: iv(at(20, 19, 0), at(20, 20, 0)),
        host: PersonId(1),
        commission: &commission,
        room: &room,
        calendar: &cal,
        conflicted: &[],
        tender_award: Some(&a),
        room_bookings: &[MeetingId(4)],
        busy_people: &[PersonId(1)],
        unreliable: Some(&l),
    };
    let codes: Vec<&str> = check_schedule(&f, &RulePolicy::default())
        .iter()
        .map(|f| f.rule.code())
        .collect();
    assert_eq!(
        codes,
        [
            "room_not_designated",
            "room_not_equipped",
            "commission_quorum",
            "commission_conflict",
            "outside_working_hours",
            "tender_winner_outside_working_hours",
            "room_busy",
            "participant_busy",
            "unreliable_supplier"
        ]
    );
}

#[test]
fn start_rules() {
    let cal = calendar();
    let a = award();
    let idle_room = RoomFacts {
        designated: true,
        inputs: vec![input(1, true, true, InputState::Ready)],
    };
    let good = good_room();
    let bare = RoomFacts {
        designated: true,
        inputs: vec![],
    };
    let cases: Vec<(&str, StartFacts, Vec<&str>)> = vec![
        (
            "all good",
            StartFacts {
                interval: iv(at(20, 10, 0), at(20, 11, 0)),
                commission_present: 2,
                room: &good,
                calendar: &cal,
                tender_award: Some(&a),
            },
            vec![],
        ),
        (
            "one member present",
            StartFacts {
                interval: iv(at(20, 10, 0), at(20, 11, 0)),
                commission_present: 1,
                room: &good,
                calendar: &cal,
                tender_award: None,
            },
            vec!["quorum_not_present"],
        ),
        (
            "camera ready but not recording",
            StartFacts {
                interval: iv(at(20, 10, 0), at(20, 11, 0)),
                commission_present: 2,
                room: &idle_room,
                calendar: &cal,
                tender_award: None,
            },
            vec!["recording_not_active"],
        ),
        (
            "winner starting at 18:30",
            StartFacts {
                interval: iv(at(20, 18, 30), at(20, 19, 0)),
                commission_present: 2,
                room: &good,
                calendar: &cal,
                tender_award: Some(&a),
            },
            vec!["tender_winner_outside_working_hours"],
        ),
        (
            "no inputs",
            StartFacts {
                interval: iv(at(20, 10, 0), at(20, 11, 0)),
                commission_present: 2,
                room: &bare,
                calendar: &cal,
                tender_award: None,
            },
            vec!["room_not_equipped", "recording_not_active"],
        ),
    ];
    for (name, f, expected) in cases {
        let got: Vec<&str> = check_start(&f, &RulePolicy::default())
            .iter()
            .map(|f| f.rule.code())
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn end_rules() {
    let cal = calendar();
    let a = award();
    let full = [InputCoverage {
        input: InputId(1),
        share: 1.0,
        gaps: vec![],
    }];
    let gappy = [InputCoverage {
        input: InputId(1),
        share: 0.99,
        gaps: vec![iv(at(20, 10, 0), at(20, 10, 1))],
    }];
    let edge = [InputCoverage {
        input: InputId(1),
        share: 0.995,
        gaps: vec![],
    }];
    let cases: Vec<(&str, EndFacts, Vec<(&str, Severity)>)> = vec![
        (
            "clean",
            EndFacts {
                actual: iv(at(20, 10, 0), at(20, 11, 0)),
                calendar: &cal,
                tender_award: Some(&a),
                coverage: &full,
            },
            vec![],
        ),
        (
            "at the threshold",
            EndFacts {
                actual: iv(at(20, 10, 0), at(20, 11, 0)),
                calendar: &cal,
                tender_award: None,
                coverage: &edge,
            },
            vec![],
        ),
        (
            "gap",
            EndFacts {
                actual: iv(at(20, 10, 0), at(20, 11, 0)),
                calendar: &cal,
                tender_award: None,
                coverage: &gappy,
            },
            vec![("recording_gap", Severity::Violation)],
        ),
        (
            "overran",
            EndFacts {
                actual: iv(at(20, 17, 0), at(20, 18, 20)),
                calendar: &cal,
                tender_award: None,
                coverage: &full,
            },
            vec![("overran_working_hours", Severity::Violation)],
        ),
        (
            "winner overran",
            EndFacts {
                actual: iv(at(20, 17, 0), at(20, 18, 20)),
                calendar: &cal,
                tender_award: Some(&a),
                coverage: &full,
            },
            vec![
                ("overran_working_hours", Severity::Violation),
                ("tender_winner_outside_working_hours", Severity::Violation),
            ],
        ),
    ];
    for (name, f, expected) in cases {
        let got: Vec<(&str, Severity)> = check_end(&f, &RulePolicy::default())
            .iter()
            .map(|f| (f.rule.code(), f.severity))
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn absolute_is_never_overridden_and_blocking_only_by_compliance() {
    let blocking = Finding {
        rule: RuleCode::OutsideWorkingHours,
        severity: Severity::Blocking,
        detail: Detail::None,
    };
    let absolute = Finding {
        rule: RuleCode::TenderWinnerOutsideWorkingHours,
        severity: Severity::Absolute,
        detail: Detail::None,
    };
    let warn = Finding {
        rule: RuleCode::RoomNotEquipped,
        severity: Severity::Warning,
        detail: Detail::None,
    };
    assert!(
        matches!(decide(vec![blocking.clone()], &[RuleCode::OutsideWorkingHours], true), Verdict::Allowed { ref overridden, .. } if overridden.len() == 1)
    );
    assert!(matches!(
        decide(
            vec![blocking.clone()],
            &[RuleCode::OutsideWorkingHours],
            false
        ),
        Verdict::Refused { .. }
    ));
    assert!(matches!(
        decide(vec![blocking.clone()], &[], true),
        Verdict::Refused { .. }
    ));
    let both = decide(
        vec![blocking, absolute],
        &[
            RuleCode::OutsideWorkingHours,
            RuleCode::TenderWinnerOutsideWorkingHours,
        ],
        true,
    );
    match both {
        Verdict::Refused { findings } => assert_eq!(
            findings.iter().map(|f| f.rule).collect::<Vec<_>>(),
            [RuleCode::TenderWinnerOutsideWorkingHours]
        ),
        other => panic!("expected refusal, got {other:?}"),
    }
    assert!(
        matches!(decide(vec![warn], &[], false), Verdict::Allowed { ref warnings, .. } if warnings.len() == 1)
    );
}

#[test]
fn policy_never_weakens_the_order() {
    let mut p = RulePolicy::default();
    assert!(
        p.set_severity(
            RuleCode::TenderWinnerOutsideWorkingHours,
            Severity::Blocking
        )
        .is_err()
    );
    assert!(
        p.set_severity(RuleCode::RoomNotDesignated, Severity::Warning)
            .is_err()
    );
    assert!(
        p.set_severity(RuleCode::OutsideWorkingHours, Severity::Absolute)
            .is_ok()
    );
    assert_eq!(
        p.severity(RuleCode::OutsideWorkingHours),
        Severity::Absolute
    );
    assert!(
        p.set_severity(RuleCode::RoomNotEquipped, Severity::Warning)
            .is_ok()
    );
    assert!(
        p.set_severity(RuleCode::RecordingGap, Severity::Blocking)
            .is_err()
    );
    // An organisation may make the unreliable-supplier warning stop a booking.
    assert!(
        p.set_severity(RuleCode::UnreliableSupplier, Severity::Blocking)
            .is_ok()
    );
    assert!(p.set_commission_quorum(1).is_err());
    assert!(p.set_coverage_threshold(1.5).is_err());
    for r in RuleCode::ALL {
        assert_eq!(RuleCode::parse(r.code()), Some(r));
    }
    let _ = SignedDuration::ZERO;
}

#[test]
fn unregistered_contact_rule() {
    let p = RulePolicy::default();
    let cases: [(&str, VisitFacts, Option<(RuleCode, Severity)>); 3] = [
        (
            "business visitor with a meeting",
            VisitFacts {
                business_visitor: true,
                registered_meetings: &[MeetingId(3)],
            },
            None,
        ),
        (
            "business visitor without a meeting",
            VisitFacts {
                business_visitor: true,
                registered_meetings: &[],
            },
            Some((RuleCode::UnregisteredContact, Severity::Violation)),
        ),
        (
            "private visitor",
            VisitFacts {
                business_visitor: false,
                registered_meetings: &[],
            },
            None,
        ),
    ];
    for (name, f, expected) in cases {
        assert_eq!(
            unregistered_contact(&f, &p).map(|f| (f.rule, f.severity)),
            expected,
            "{name}"
        );
    }
}
