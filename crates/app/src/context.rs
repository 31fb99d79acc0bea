//! Loading what a decision needs: the organisation tree, an organisation's working calendar and
//! rule policy (both effective-dated), tender-winner evidence and room facts.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;

use glassroom_domain::calendar::{DayKind, WorkSchedule, WorkWeek};
use glassroom_domain::rules::{InputFacts, InputState, RoomFacts};
use glassroom_domain::tender::{tender_winner_evidence, Award, AwardKind};
use glassroom_domain::{InputId, RuleCode, RulePolicy, Severity, WorkingCalendar};
use glassroom_store::{OrgRow, Tx};

use crate::time::{parse_date, parse_hm, zone};
use crate::AppError;

/// The organisation hierarchy: akimat → departments → subordinate enterprises.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    pub orgs: Vec<OrgRow>,
    parent: HashMap<i64, Option<i64>>,
}

impl OrgTree {
    pub fn new(orgs: Vec<OrgRow>) -> Self {
        let parent = orgs.iter().map(|o| (o.id, o.parent_id)).collect();
        OrgTree { orgs, parent }
    }
    pub async fn load(tx: &mut dyn Tx) -> Result<Self, AppError> {
        Ok(Self::new(tx.organisations().await?))
    }
    pub fn get(&self, id: i64) -> Option<&OrgRow> {
        self.orgs.iter().find(|o| o.id == id)
    }
    pub fn by_code(&self, code: &str) -> Option<&OrgRow> {
        self.orgs.iter().find(|o| o.code == code)
    }
    /// `org` itself, then its parent, up to the root.
    pub fn ancestors_or_self(&self, org: i64) -> Vec<i64> {
        let mut out = vec![org];
        let mut cur = org;
        while let Some(Some(p)) = self.parent.get(&cur) {
            if out.contains(p) {
                break; // a cycle cannot be stored, but never loop on one
            }
            out.push(*p);
            cur = *p;
        }
        out
    }
    pub fn is_ancestor(&self, ancestor: i64, org: i64) -> bool {
        self.ancestors_or_self(org).contains(&ancestor)
    }
    pub fn subtree(&self, org: i64) -> Vec<i64> {
        self.orgs.iter().filter(|o| self.is_ancestor(org, o.id)).map(|o| o.id).collect()
    }
}

/// The working calendar of `org`: the nearest organisation up the tree that has hours defines
/// them; the days off come from the organisation's country calendar.
pub async fn working_calendar(tx: &mut dyn Tx, tree: &OrgTree, org: i64) -> Result<WorkingCalendar, AppError> {
    let row = tree.get(org).ok_or(AppError::NotFound("organisation"))?;
    let tz = zone(&row.time_zone)?;
    let all = tx.work_schedules().await?;
    let mut schedules = Vec::new();
    for candidate in tree.ancestors_or_self(org) {
        let own: Vec<_> = all.iter().filter(|s| s.org_id == candidate).collect();
        if !own.is_empty() {
            for s in own {
                schedules.push(schedule_from_row(s)?);
            }
            break;
        }
    }
    let mut days = BTreeMap::new();
    for d in tx.calendar_days(&row.calendar).await? {
        let date = parse_date(&d.day).ok_or_else(|| AppError::Internal(format!("bad calendar date {}", d.day)))?;
        days.insert(date, if d.kind == "working_day" { DayKind::WorkingDay } else { DayKind::DayOff });
    }
    Ok(WorkingCalendar::new(tz, schedules, days))
}

pub fn schedule_from_row(s: &glassroom_store::ScheduleRow) -> Result<WorkSchedule, AppError> {
    let bad = || AppError::Internal(format!("bad working hours for organisation {} from {}", s.org_id, s.effective_from));
    let from = parse_date(&s.effective_from).ok_or_else(bad)?;
    let week = if s.week == "six_day" { WorkWeek::SixDay } else { WorkWeek::FiveDay };
    let lunch = match (&s.lunch_start, &s.lunch_end) {
        (Some(a), Some(b)) => Some((parse_hm(a).ok_or_else(bad)?, parse_hm(b).ok_or_else(bad)?)),
        _ => None,
    };
    WorkSchedule::new(from, week, parse_hm(&s.start_time).ok_or_else(bad)?, parse_hm(&s.end_time).ok_or_else(bad)?, lunch).map_err(|_| bad())
}

/// The rule policy in force for `org` on `on`: for each setting, the nearest organisation up the
/// tree that sets it, latest version effective by that date.
pub async fn rule_policy(tx: &mut dyn Tx, tree: &OrgTree, org: i64, on: Date) -> Result<RulePolicy, AppError> {
    let settings = tx.policy_settings().await?;
    let mut policy = RulePolicy::default();
    let chain = tree.ancestors_or_self(org);
    let mut names: Vec<&str> = settings.iter().map(|s| s.setting.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let chosen = chain.iter().find_map(|o| {
            settings
                .iter()
                .filter(|s| s.org_id == *o && s.setting == name && parse_date(&s.effective_from).is_some_and(|d| d <= on))
                .max_by(|a, b| a.effective_from.cmp(&b.effective_from))
        });
        if let Some(s) = chosen {
            apply_setting(&mut policy, &s.setting, &s.value).map_err(|e| AppError::Internal(format!("stored policy {}: {e}", s.setting)))?;
        }
    }
    Ok(policy)
}

/// Applies one named setting (`commission_quorum`, `coverage_threshold`, `tender_lookback_months`,
/// `severity.<rule>`) to a policy. Used when loading and when validating a directory file.
pub fn apply_setting(policy: &mut RulePolicy, name: &str, value: &str) -> Result<(), String> {
    match name {
        "commission_quorum" => {
            let q: usize = value.parse().map_err(|_| format!("'{value}' is not a whole number"))?;
            policy.set_commission_quorum(q).map_err(|e| e.to_string())
        }
        "coverage_threshold" => {
            let v: f64 = value.parse().map_err(|_| format!("'{value}' is not a number"))?;
            policy.set_coverage_threshold(v).map_err(|e| e.to_string())
        }
        "tender_lookback_months" => {
            let m: i32 = value.parse().map_err(|_| format!("'{value}' is not a whole number"))?;
            policy.set_tender_lookback_months(m).map_err(|e| e.to_string())
        }
        other => {
            let rule = other.strip_prefix("severity.").and_then(RuleCode::parse).ok_or_else(|| format!("unknown setting '{other}'"))?;
            let sev = Severity::parse(value).ok_or_else(|| format!("unknown severity '{value}'"))?;
            policy.set_severity(rule, sev).map_err(|e| e.to_string())
        }
    }
}

/// The award or contract that makes `business` a tender winner of `org` (or its subtree) on `on`.
pub async fn tender_award(tx: &mut dyn Tx, tree: &OrgTree, org: i64, business: i64, on: Date, lookback_months: i32) -> Result<Option<Award>, AppError> {
    let rows = tx.awards_of(business, &tree.subtree(org)).await?;
    let awards: Vec<Award> = rows
        .iter()
        .filter_map(|r| {
            Some(Award {
                reference: r.reference.clone(),
                kind: if r.kind == "contract" { AwardKind::Contract } else { AwardKind::Award },
                date: parse_date(&r.award_date)?,
                end: r.end_date.as_deref().and_then(parse_date),
                active: r.active,
            })
        })
        .collect();
    Ok(tender_winner_evidence(&awards, on, lookback_months).cloned())
}

/// A room's designation and the state of its inputs, read through the input-status port.
pub async fn room_facts(tx: &mut dyn Tx, room_id: i64) -> Result<RoomFacts, AppError> {
    let room = tx.room(room_id).await?.ok_or(AppError::NotFound("room"))?;
    let inputs = tx
        .inputs_of(room_id)
        .await?
        .into_iter()
        .map(|i| InputFacts { id: InputId(i.id), video: i.video, audio: i.audio, state: InputState::parse(&i.state).unwrap_or(InputState::Offline) })
        .collect();
    Ok(RoomFacts { designated: room.designated, inputs })
}
