//! Loading what a decision needs: the organisation tree, an organisation's working calendar and
//! rule policy (both effective-dated), tender-winner evidence and room facts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use jiff::civil::Date;

use glassroom_domain::calendar::{DayKind, WorkSchedule, WorkWeek};
use glassroom_domain::tender::{
    Award, AwardKind, UnreliableListing, tender_winner_evidence, unreliable_on,
};
use glassroom_domain::{PersonId, RuleCode, RulePolicy, Severity, WorkingCalendar};
use glassroom_store::{
    AwardRow, BusinessRow, CalendarDayRow, OrgRow, PersonRow, PolicyRow, RoleRow, RoomRow,
    ScheduleRow, Tx,
};

use crate::AppError;
use crate::time::{parse_date, parse_hm, zone};

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
        self.orgs
            .iter()
            .filter(|o| self.is_ancestor(org, o.id))
            .map(|o| o.id)
            .collect()
    }
}

/// Holds the current [`Directory`] snapshot for an app (and its decision writer).
#[derive(Debug)]
pub struct DirectoryCache {
    slot: std::sync::RwLock<Arc<Directory>>,
}

impl Default for DirectoryCache {
    fn default() -> Self {
        DirectoryCache {
            slot: std::sync::RwLock::new(Arc::new(Directory::empty())),
        }
    }
}

impl DirectoryCache {
    /// The snapshot as of `tx`, reloaded when the store's directory version moved.
    pub async fn get(&self, tx: &mut dyn Tx) -> Result<Arc<Directory>, AppError> {
        let version = tx.directory_version().await?;
        if let Ok(current) = self.slot.read()
            && current.version == version
        {
            return Ok(current.clone());
        }
        let fresh = Arc::new(Directory::load(tx, version).await?);
        if let Ok(mut slot) = self.slot.write()
            && slot.version < version
        {
            *slot = fresh.clone();
        }
        Ok(fresh)
    }
}

/// An in-memory snapshot of the directory, tagged with the store's directory version. Decisions
/// read it instead of re-querying the same small tables on every request; every transaction checks
/// the version (one indexed read) and reloads the snapshot when another change bumped it.
#[derive(Debug, Default)]
pub struct Directory {
    pub version: i64,
    pub tree: OrgTree,
    pub people: HashMap<i64, PersonRow>,
    pub roles: HashMap<i64, Vec<RoleRow>>,
    pub businesses: HashMap<i64, BusinessRow>,
    pub rooms: HashMap<i64, RoomRow>,
    schedules: Vec<ScheduleRow>,
    days: HashMap<String, Vec<CalendarDayRow>>,
    policy: Vec<PolicyRow>,
    conflicts: HashMap<i64, Vec<i64>>,
    awards: HashMap<i64, Vec<AwardRow>>,
    /// Registers of unreliable suppliers, by BIN.
    unreliable: HashMap<String, Vec<UnreliableListing>>,
    calendars: Mutex<HashMap<i64, Arc<WorkingCalendar>>>,
}

impl Directory {
    /// A snapshot that matches no store version, so the first use loads the real one.
    pub fn empty() -> Self {
        Directory {
            version: -1,
            ..Default::default()
        }
    }

    pub async fn load(tx: &mut dyn Tx, version: i64) -> Result<Self, AppError> {
        let mut roles: HashMap<i64, Vec<RoleRow>> = HashMap::new();
        for r in tx.roles().await? {
            roles.entry(r.person_id).or_default().push(r);
        }
        let mut days: HashMap<String, Vec<CalendarDayRow>> = HashMap::new();
        for d in tx.all_calendar_days().await? {
            days.entry(d.calendar.clone()).or_default().push(d);
        }
        let mut conflicts: HashMap<i64, Vec<i64>> = HashMap::new();
        for c in tx.conflicts().await? {
            conflicts
                .entry(c.business_id)
                .or_default()
                .push(c.person_id);
        }
        let mut awards: HashMap<i64, Vec<AwardRow>> = HashMap::new();
        for a in tx.awards().await? {
            awards.entry(a.business_id).or_default().push(a);
        }
        let mut unreliable: HashMap<String, Vec<UnreliableListing>> = HashMap::new();
        for r in tx.unreliable_listings().await? {
            if let Some(l) = crate::unreliable::listing(&r) {
                unreliable.entry(r.bin).or_default().push(l);
            }
        }
        Ok(Directory {
            version,
            tree: OrgTree::load(tx).await?,
            people: tx.people().await?.into_iter().map(|p| (p.id, p)).collect(),
            roles,
            businesses: tx
                .businesses()
                .await?
                .into_iter()
                .map(|b| (b.id, b))
                .collect(),
            rooms: tx.rooms().await?.into_iter().map(|r| (r.id, r)).collect(),
            schedules: tx.work_schedules().await?,
            days,
            policy: tx.policy_settings().await?,
            conflicts,
            awards,
            unreliable,
            calendars: Mutex::new(HashMap::new()),
        })
    }

    pub fn has_role(&self, person: i64, role: &str, pred: impl Fn(i64) -> bool) -> bool {
        self.roles
            .get(&person)
            .is_some_and(|rs| rs.iter().any(|r| r.role == role && pred(r.org_id)))
    }

    /// The working calendar of `org`: the nearest organisation up the tree that has hours defines
    /// them; the days off come from the organisation's country calendar.
    pub fn calendar(&self, org: i64) -> Result<Arc<WorkingCalendar>, AppError> {
        if let Some(c) = self
            .calendars
            .lock()
            .ok()
            .and_then(|m| m.get(&org).cloned())
        {
            return Ok(c);
        }
        let row = self
            .tree
            .get(org)
            .ok_or(AppError::NotFound("organisation"))?;
        let tz = zone(&row.time_zone)?;
        let mut schedules = Vec::new();
        for candidate in self.tree.ancestors_or_self(org) {
            let own: Vec<&ScheduleRow> = self
                .schedules
                .iter()
                .filter(|s| s.org_id == candidate)
                .collect();
            if !own.is_empty() {
                for s in own {
                    schedules.push(schedule_from_row(s)?);
                }
                break;
            }
        }
        let mut days = BTreeMap::new();
        for d in self
            .days
            .get(&row.calendar)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let date = parse_date(&d.day)
                .ok_or_else(|| AppError::Internal(format!("bad calendar date {}", d.day)))?;
            days.insert(
                date,
                if d.kind == "working_day" {
                    DayKind::WorkingDay
                } else {
                    DayKind::DayOff
                },
            );
        }
        let cal = Arc::new(WorkingCalendar::new(tz, schedules, days));
        if let Ok(mut m) = self.calendars.lock() {
            m.insert(org, cal.clone());
        }
        Ok(cal)
    }

    /// The rule policy in force for `org` on `on`: for each setting, the nearest organisation up
    /// the tree that sets it, latest version effective by that date.
    pub fn policy(&self, org: i64, on: Date) -> Result<RulePolicy, AppError> {
        let mut policy = RulePolicy::default();
        let chain = self.tree.ancestors_or_self(org);
        let mut names: Vec<&str> = self.policy.iter().map(|s| s.setting.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let chosen = chain.iter().find_map(|o| {
                self.policy
                    .iter()
                    .filter(|s| {
                        s.org_id == *o
                            && s.setting == name
                            && parse_date(&s.effective_from).is_some_and(|d| d <= on)
                    })
                    .max_by(|a, b| a.effective_from.cmp(&b.effective_from))
            });
            if let Some(s) = chosen {
                apply_setting(&mut policy, &s.setting, &s.value)
                    .map_err(|e| AppError::Internal(format!("stored policy {}: {e}", s.setting)))?;
            }
        }
        Ok(policy)
    }

    /// People who declared a conflict of interest with `business`.
    pub fn conflicted(&self, business: i64) -> Vec<PersonId> {
        self.conflicts
            .get(&business)
            .map(|v| v.iter().copied().map(PersonId).collect())
            .unwrap_or_default()
    }

    /// The award or contract that makes `business` a tender winner of `org` (or its subtree) on `on`.
    pub fn tender_award(
        &self,
        org: i64,
        business: i64,
        on: Date,
        lookback_months: i32,
    ) -> Option<Award> {
        let subtree = self.tree.subtree(org);
        let awards: Vec<Award> = self
            .awards
            .get(&business)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|r| subtree.contains(&r.org_id))
            .filter_map(|r| {
                Some(Award {
                    reference: r.reference.clone(),
                    kind: if r.kind == "contract" {
                        AwardKind::Contract
                    } else {
                        AwardKind::Award
                    },
                    date: parse_date(&r.award_date)?,
                    end: r.end_date.as_deref().and_then(parse_date),
                    active: r.active,
                })
            })
            .collect();
        tender_winner_evidence(&awards, on, lookback_months).cloned()
    }

    /// The business's awards and contracts with any of our organisations.
    pub fn awards_of(&self, business: i64) -> &[AwardRow] {
        self.awards
            .get(&business)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The listing that makes `business` an unreliable supplier on `on`, if any.
    pub fn unreliable(&self, business: i64, on: Date) -> Option<UnreliableListing> {
        let bin = &self.businesses.get(&business)?.bin;
        unreliable_on(self.unreliable.get(bin)?, on).cloned()
    }

    /// The OCDS ocids of the business's awards and contracts with `org` or its subtree (imported
    /// tender data; references written by hand in the directory file carry none).
    pub fn ocids_of(&self, business: i64, org: i64) -> Vec<String> {
        let subtree = self.tree.subtree(org);
        let mut out: Vec<String> = self
            .awards
            .get(&business)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|a| subtree.contains(&a.org_id))
            .filter_map(|a| {
                a.reference
                    .split_once("/award/")
                    .or_else(|| a.reference.split_once("/contract/"))
                    .map(|(ocid, _)| ocid.to_owned())
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Whether `person` is a commission member for meetings of `org`.
    pub fn sits_on_commissions_for(&self, person: i64, org: i64) -> bool {
        self.has_role(person, "commission", |at| self.tree.is_ancestor(at, org))
    }
}

/// The working calendar of `org` straight from the store (for callers without a snapshot).
pub async fn working_calendar(tx: &mut dyn Tx, org: i64) -> Result<Arc<WorkingCalendar>, AppError> {
    Directory::load(tx, 0).await?.calendar(org)
}

pub fn schedule_from_row(s: &ScheduleRow) -> Result<WorkSchedule, AppError> {
    let bad = || {
        AppError::Internal(format!(
            "bad working hours for organisation {} from {}",
            s.org_id, s.effective_from
        ))
    };
    let from = parse_date(&s.effective_from).ok_or_else(bad)?;
    let week = if s.week == "six_day" {
        WorkWeek::SixDay
    } else {
        WorkWeek::FiveDay
    };
    let lunch = match (&s.lunch_start, &s.lunch_end) {
        (Some(a), Some(b)) => Some((parse_hm(a).ok_or_else(bad)?, parse_hm(b).ok_or_else(bad)?)),
        _ => None,
    };
    WorkSchedule::new(
        from,
        week,
        parse_hm(&s.start_time).ok_or_else(bad)?,
        parse_hm(&s.end_time).ok_or_else(bad)?,
        lunch,
    )
    .map_err(|_| bad())
}

/// Applies one named setting (`commission_quorum`, `coverage_threshold`, `tender_lookback_months`,
/// `severity.<rule>`) to a policy. Used when loading and when validating a directory file.
pub fn apply_setting(policy: &mut RulePolicy, name: &str, value: &str) -> Result<(), String> {
    match name {
        "commission_quorum" => {
            let q: usize = value
                .parse()
                .map_err(|_| format!("'{value}' is not a whole number"))?;
            policy.set_commission_quorum(q).map_err(|e| e.to_string())
        }
        "coverage_threshold" => {
            let v: f64 = value
                .parse()
                .map_err(|_| format!("'{value}' is not a number"))?;
            policy.set_coverage_threshold(v).map_err(|e| e.to_string())
        }
        "tender_lookback_months" => {
            let m: i32 = value
                .parse()
                .map_err(|_| format!("'{value}' is not a whole number"))?;
            policy
                .set_tender_lookback_months(m)
                .map_err(|e| e.to_string())
        }
        other => {
            let rule = other
                .strip_prefix("severity.")
                .and_then(RuleCode::parse)
                .ok_or_else(|| format!("unknown setting '{other}'"))?;
            let sev =
                Severity::parse(value).ok_or_else(|| format!("unknown severity '{value}'"))?;
            policy.set_severity(rule, sev).map_err(|e| e.to_string())
        }
    }
}
