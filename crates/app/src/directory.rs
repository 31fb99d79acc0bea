//! The directory: organisations, people and roles, businesses, rooms and their inputs, conflicts
//! of interest, tender awards, calendars and policies — loaded from a documented TOML or JSON file
//! (see docs/DIRECTORY.md) and merged into the store in one transaction. A bad file is refused
//! whole with every problem listed; re-importing the same file changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::json;

use glassroom_domain::calendar::{WorkSchedule, WorkWeek};
use glassroom_domain::rules::InputState;
use glassroom_domain::{Bin, RulePolicy};
use glassroom_store::{
    AccountRow, AwardRow, BusinessRow, CalendarDayRow, ConflictRow, InputRow, OrgRow, PersonRow,
    PolicyRow, RoleRow, RoomRow, ScheduleRow, Tx,
};

use crate::auth::{Actor, Role};
use crate::context::{OrgTree, apply_setting};
use crate::error::FieldError;
use crate::time::{parse_date, parse_hm, to_us};
use crate::{App, AppError, events};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    #[serde(default)]
    pub version: Option<u32>,
    #[serde(default)]
    pub organisations: Vec<OrgDef>,
    #[serde(default)]
    pub people: Vec<PersonDef>,
    #[serde(default)]
    pub businesses: Vec<BusinessDef>,
    #[serde(default)]
    pub rooms: Vec<RoomDef>,
    #[serde(default)]
    pub conflicts: Vec<ConflictDef>,
    #[serde(default)]
    pub awards: Vec<AwardDef>,
    #[serde(default)]
    pub calendars: Vec<CalendarDef>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub ru: String,
    pub kk: String,
    pub en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgDef {
    pub code: String,
    pub kind: String,
    #[serde(default)]
    pub parent: Option<String>,
    pub name: Names,
    #[serde(default)]
    pub bin: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub calendar: Option<String>,
    #[serde(default)]
    pub hours: Vec<HoursDef>,
    #[serde(default)]
    pub policy: Vec<PolicyDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursDef {
    pub effective_from: String,
    #[serde(default)]
    pub week: Option<String>,
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub lunch: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDef {
    pub effective_from: String,
    #[serde(default)]
    pub commission_quorum: Option<u32>,
    #[serde(default)]
    pub coverage_threshold: Option<f64>,
    #[serde(default)]
    pub tender_lookback_months: Option<i32>,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDef {
    pub code: String,
    pub name: String,
    pub position: Names,
    pub organisation: String,
    #[serde(default = "yes")]
    pub public_servant: bool,
    #[serde(default)]
    pub iin: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub roles: Vec<RoleDef>,
    #[serde(default)]
    pub login: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    pub role: String,
    #[serde(default)]
    pub organisation: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessDef {
    pub bin: String,
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomDef {
    pub code: String,
    pub organisation: String,
    pub name: String,
    pub building: String,
    pub floor: i64,
    pub designated: bool,
    #[serde(default)]
    pub inputs: Vec<InputDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDef {
    pub code: String,
    pub url: String,
    #[serde(default = "yes")]
    pub video: bool,
    #[serde(default = "yes")]
    pub audio: bool,
    /// Initial state when the input is created; afterwards the state is runtime data.
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictDef {
    pub person: String,
    pub business: String,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardDef {
    pub organisation: String,
    pub business: String,
    pub reference: String,
    pub kind: String,
    pub date: String,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDef {
    pub code: String,
    #[serde(default)]
    pub days: Vec<DayDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayDef {
    pub date: String,
    pub kind: String,
    pub name: String,
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
}

impl ImportReport {
    pub fn changed(&self) -> usize {
        self.created + self.updated + self.removed
    }
}

/// Parses a directory file; `format` is `toml` or `json`. Syntax errors name the line.
pub fn parse_directory(text: &str, format: &str) -> Result<DirectoryFile, AppError> {
    match format {
        "toml" => toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            AppError::invalid(
                line.map(|l| format!("line {l}")).unwrap_or_default(),
                "syntax",
                e.message().to_owned(),
            )
        }),
        "json" => serde_json::from_str(text)
            .map_err(|e| AppError::invalid(format!("line {}", e.line()), "syntax", e.to_string())),
        other => Err(AppError::invalid(
            "file",
            "unsupported_format",
            format!("unsupported directory format {other}: use .toml or .json"),
        )),
    }
}

const SHIPPED_KZ: &str = include_str!("../../../data/calendars/kz.toml");

pub(crate) async fn ensure_shipped_calendars(app: &App) -> Result<(), AppError> {
    let cal: CalendarDef = toml::from_str(SHIPPED_KZ)
        .map_err(|e| AppError::Internal(format!("shipped calendar: {e}")))?;
    let file = DirectoryFile {
        calendars: vec![cal],
        ..Default::default()
    };
    app.apply_directory(None, file).await.map(|_| ())
}

struct Known {
    orgs: HashSet<String>,
    people: HashSet<String>,
    bins: HashSet<String>,
}

fn validate(file: &DirectoryFile, known: &Known) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut err = |field: String, code: &'static str, detail: String| {
        errors.push(FieldError::new(field, code, detail))
    };
    if let Some(v) = file.version
        && v != 1
    {
        err(
            "version".into(),
            "unsupported_version",
            format!("version {v} is not supported (expected 1)"),
        );
    }
    let file_orgs: HashSet<&str> = file.organisations.iter().map(|o| o.code.as_str()).collect();
    let org_known = |code: &str| file_orgs.contains(code) || known.orgs.contains(code);
    let mut seen = HashSet::new();
    for (i, o) in file.organisations.iter().enumerate() {
        let p = format!("organisations[{i}]");
        if o.code.trim().is_empty() {
            err(
                format!("{p}.code"),
                "required",
                "code must not be empty".into(),
            );
        }
        if !seen.insert(o.code.as_str()) {
            err(
                format!("{p}.code"),
                "duplicate",
                format!("organisation {} appears twice", o.code),
            );
        }
        if !["akimat", "department", "gkp", "ao"].contains(&o.kind.as_str()) {
            err(
                format!("{p}.kind"),
                "invalid_kind",
                format!("kind {} is not one of akimat, department, gkp, ao", o.kind),
            );
        }
        if let Some(parent) = &o.parent {
            if !org_known(parent) {
                err(
                    format!("{p}.parent"),
                    "unknown_organisation",
                    format!("no organisation {parent}"),
                );
            }
            if parent == &o.code {
                err(
                    format!("{p}.parent"),
                    "cycle",
                    "an organisation cannot be its own parent".into(),
                );
            }
        }
        for (field, v) in [("ru", &o.name.ru), ("kk", &o.name.kk), ("en", &o.name.en)] {
            if v.trim().is_empty() {
                err(
                    format!("{p}.name.{field}"),
                    "required",
                    "name must not be empty".into(),
                );
            }
        }
        if let Some(bin) = &o.bin
            && let Err(e) = Bin::parse(bin)
        {
            err(format!("{p}.bin"), "invalid_bin", format!("BIN {bin}: {e}"));
        }
        if let Some(tz) = &o.time_zone
            && jiff::tz::TimeZone::get(tz).is_err()
        {
            err(
                format!("{p}.time_zone"),
                "invalid_time_zone",
                format!("unknown time zone {tz}"),
            );
        }
        for (j, h) in o.hours.iter().enumerate() {
            let hp = format!("{p}.hours[{j}]");
            if let Err(d) = hours_row(0, h) {
                err(hp, "invalid_hours", d);
            }
        }
        for (j, pol) in o.policy.iter().enumerate() {
            let pp = format!("{p}.policy[{j}]");
            if parse_date(&pol.effective_from).is_none() {
                err(
                    format!("{pp}.effective_from"),
                    "invalid_date",
                    format!("{} is not a YYYY-MM-DD date", pol.effective_from),
                );
            }
            let mut scratch = RulePolicy::default();
            for (name, value) in policy_settings(pol) {
                if let Err(d) = apply_setting(&mut scratch, &name, &value) {
                    err(format!("{pp}.{name}"), "invalid_policy", d);
                }
            }
        }
    }
    // Cycles through several organisations.
    let parents: HashMap<&str, &str> = file
        .organisations
        .iter()
        .filter_map(|o| o.parent.as_deref().map(|p| (o.code.as_str(), p)))
        .collect();
    for (i, o) in file.organisations.iter().enumerate() {
        let mut cur = o.code.as_str();
        let mut steps = 0;
        while let Some(p) = parents.get(cur) {
            steps += 1;
            if *p == o.code || steps > parents.len() {
                err(
                    format!("organisations[{i}].parent"),
                    "cycle",
                    format!("organisation {} is its own ancestor", o.code),
                );
                break;
            }
            cur = p;
        }
    }
    let file_people: HashSet<&str> = file.people.iter().map(|p| p.code.as_str()).collect();
    let mut logins = HashSet::new();
    let mut seen = HashSet::new();
    for (i, person) in file.people.iter().enumerate() {
        let p = format!("people[{i}]");
        if person.code.trim().is_empty() {
            err(
                format!("{p}.code"),
                "required",
                "code must not be empty".into(),
            );
        }
        if !seen.insert(person.code.as_str()) {
            err(
                format!("{p}.code"),
                "duplicate",
                format!("person {} appears twice", person.code),
            );
        }
        if person.name.trim().is_empty() {
            err(
                format!("{p}.name"),
                "required",
                "name must not be empty".into(),
            );
        }
        if !org_known(&person.organisation) {
            err(
                format!("{p}.organisation"),
                "unknown_organisation",
                format!("no organisation {}", person.organisation),
            );
        }
        if let Some(iin) = &person.iin
            && Bin::parse(iin).is_err()
        {
            err(
                format!("{p}.iin"),
                "invalid_iin",
                "IIN must be 12 digits with a valid check digit".into(),
            );
        }
        for (j, r) in person.roles.iter().enumerate() {
            if Role::parse(&r.role).is_none() {
                err(
                    format!("{p}.roles[{j}].role"),
                    "invalid_role",
                    format!(
                        "role {} is not one of official, commission, compliance, auditor, admin",
                        r.role
                    ),
                );
            }
            if let Some(o) = &r.organisation
                && !org_known(o)
            {
                err(
                    format!("{p}.roles[{j}].organisation"),
                    "unknown_organisation",
                    format!("no organisation {o}"),
                );
            }
        }
        if let Some(l) = &person.login {
            if !valid_login(l) {
                err(
                    format!("{p}.login"),
                    "invalid_login",
                    "a login is 3–64 characters: letters, digits, '.', '-' or '_'".into(),
                );
            }
            if !logins.insert(l.clone()) {
                err(
                    format!("{p}.login"),
                    "duplicate",
                    format!("login {l} appears twice"),
                );
            }
        }
    }
    let file_bins: HashSet<&str> = file.businesses.iter().map(|b| b.bin.as_str()).collect();
    let mut seen = HashSet::new();
    for (i, b) in file.businesses.iter().enumerate() {
        let p = format!("businesses[{i}]");
        if let Err(e) = Bin::parse(&b.bin) {
            err(
                format!("{p}.bin"),
                "invalid_bin",
                format!("BIN {}: {e}", b.bin),
            );
        }
        if !seen.insert(b.bin.as_str()) {
            err(
                format!("{p}.bin"),
                "duplicate",
                format!("business {} appears twice", b.bin),
            );
        }
        if b.name.trim().is_empty() {
            err(
                format!("{p}.name"),
                "required",
                "name must not be empty".into(),
            );
        }
        if let Some(l) = &b.login {
            if !valid_login(l) {
                err(
                    format!("{p}.login"),
                    "invalid_login",
                    "a login is 3–64 characters: letters, digits, '.', '-' or '_'".into(),
                );
            }
            if !logins.insert(l.clone()) {
                err(
                    format!("{p}.login"),
                    "duplicate",
                    format!("login {l} appears twice"),
                );
            }
        }
    }
    let bin_known = |bin: &str| file_bins.contains(bin) || known.bins.contains(bin);
    let person_known = |code: &str| file_people.contains(code) || known.people.contains(code);
    let mut seen = HashSet::new();
    for (i, r) in file.rooms.iter().enumerate() {
        let p = format!("rooms[{i}]");
        if !seen.insert(r.code.as_str()) {
            err(
                format!("{p}.code"),
                "duplicate",
                format!("room {} appears twice", r.code),
            );
        }
        if !org_known(&r.organisation) {
            err(
                format!("{p}.organisation"),
                "unknown_organisation",
                format!("no organisation {}", r.organisation),
            );
        }
        if r.designated && r.floor > 1 {
            err(
                format!("{p}.floor"),
                "not_ground_floor",
                "a designated meeting room must be on the ground floor (floor 0 or 1)".into(),
            );
        }
        let mut codes = HashSet::new();
        for (j, input) in r.inputs.iter().enumerate() {
            let ip = format!("{p}.inputs[{j}]");
            if !codes.insert(input.code.as_str()) {
                err(
                    format!("{ip}.code"),
                    "duplicate",
                    format!("input {} appears twice", input.code),
                );
            }
            let scheme = input.url.split("://").next().unwrap_or("");
            if !input.url.contains("://")
                || !["rtsp", "rtsps", "file", "http", "https"].contains(&scheme)
            {
                err(
                    format!("{ip}.url"),
                    "invalid_url",
                    format!(
                        "{} is not an rtsp://, rtsps://, http(s):// or file:// URL",
                        input.url
                    ),
                );
            }
            if !input.video && !input.audio {
                err(
                    ip.to_string(),
                    "no_media",
                    "an input carries video, audio or both".into(),
                );
            }
            if let Some(s) = &input.state
                && InputState::parse(s).is_none()
            {
                err(
                    format!("{ip}.state"),
                    "invalid_state",
                    format!("state {s} is not one of recording, ready, reconnecting, offline"),
                );
            }
        }
    }
    for (i, c) in file.conflicts.iter().enumerate() {
        let p = format!("conflicts[{i}]");
        if !person_known(&c.person) {
            err(
                format!("{p}.person"),
                "unknown_person",
                format!("no person {}", c.person),
            );
        }
        if !bin_known(&c.business) {
            err(
                format!("{p}.business"),
                "unknown_business",
                format!("no business {}", c.business),
            );
        }
    }
    for (i, a) in file.awards.iter().enumerate() {
        let p = format!("awards[{i}]");
        if !org_known(&a.organisation) {
            err(
                format!("{p}.organisation"),
                "unknown_organisation",
                format!("no organisation {}", a.organisation),
            );
        }
        if !bin_known(&a.business) {
            err(
                format!("{p}.business"),
                "unknown_business",
                format!("no business {}", a.business),
            );
        }
        if !["award", "contract"].contains(&a.kind.as_str()) {
            err(
                format!("{p}.kind"),
                "invalid_kind",
                "kind is award or contract".into(),
            );
        }
        if parse_date(&a.date).is_none() {
            err(
                format!("{p}.date"),
                "invalid_date",
                format!("{} is not a YYYY-MM-DD date", a.date),
            );
        }
        if let Some(end) = &a.end {
            match (parse_date(end), parse_date(&a.date)) {
                (None, _) => err(
                    format!("{p}.end"),
                    "invalid_date",
                    format!("{end} is not a YYYY-MM-DD date"),
                ),
                (Some(e), Some(d)) if e < d => err(
                    format!("{p}.end"),
                    "end_before_start",
                    "end is before date".into(),
                ),
                _ => {}
            }
        }
    }
    for (i, c) in file.calendars.iter().enumerate() {
        let mut dates = HashSet::new();
        for (j, d) in c.days.iter().enumerate() {
            let p = format!("calendars[{i}].days[{j}]");
            if parse_date(&d.date).is_none() {
                err(
                    format!("{p}.date"),
                    "invalid_date",
                    format!("{} is not a YYYY-MM-DD date", d.date),
                );
            }
            if !dates.insert(d.date.as_str()) {
                err(
                    format!("{p}.date"),
                    "duplicate",
                    format!("{} appears twice", d.date),
                );
            }
            if !["day_off", "working_day"].contains(&d.kind.as_str()) {
                err(
                    format!("{p}.kind"),
                    "invalid_kind",
                    "kind is day_off or working_day".into(),
                );
            }
        }
    }
    errors
}

fn valid_login(l: &str) -> bool {
    (3..=64).contains(&l.len())
        && l.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn hours_row(org_id: i64, h: &HoursDef) -> Result<ScheduleRow, String> {
    let from = parse_date(&h.effective_from).ok_or_else(|| {
        format!(
            "effective_from {} is not a YYYY-MM-DD date",
            h.effective_from
        )
    })?;
    let week = match h.week.as_deref().unwrap_or("five_day") {
        "five_day" => WorkWeek::FiveDay,
        "six_day" => WorkWeek::SixDay,
        other => return Err(format!("week {other} is not five_day or six_day")),
    };
    let t = |s: &str| parse_hm(s).ok_or_else(|| format!("{s} is not a HH:MM time"));
    let lunch = match &h.lunch {
        None => None,
        Some(v) if v.len() == 2 => Some((t(&v[0])?, t(&v[1])?)),
        Some(_) => return Err("lunch is [\"HH:MM\", \"HH:MM\"]".into()),
    };
    let s = WorkSchedule::new(from, week, t(&h.start)?, t(&h.end)?, lunch)
        .map_err(|e| e.to_string())?;
    Ok(ScheduleRow {
        org_id,
        effective_from: s.effective_from.to_string(),
        week: if s.week == WorkWeek::SixDay {
            "six_day"
        } else {
            "five_day"
        }
        .into(),
        start_time: crate::time::hm(s.start),
        end_time: crate::time::hm(s.end),
        lunch_start: s.lunch.map(|l| crate::time::hm(l.0)),
        lunch_end: s.lunch.map(|l| crate::time::hm(l.1)),
    })
}

fn policy_settings(p: &PolicyDef) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(q) = p.commission_quorum {
        out.push(("commission_quorum".to_owned(), q.to_string()));
    }
    if let Some(c) = p.coverage_threshold {
        out.push(("coverage_threshold".to_owned(), c.to_string()));
    }
    if let Some(m) = p.tender_lookback_months {
        out.push(("tender_lookback_months".to_owned(), m.to_string()));
    }
    for (rule, sev) in &p.severity {
        out.push((format!("severity.{rule}"), sev.clone()));
    }
    out
}

/// Orders organisations so every parent comes before its children.
fn parents_first(orgs: &[OrgDef]) -> Vec<&OrgDef> {
    let mut out: Vec<&OrgDef> = Vec::new();
    let mut placed: HashSet<&str> = HashSet::new();
    let codes: HashSet<&str> = orgs.iter().map(|o| o.code.as_str()).collect();
    while out.len() < orgs.len() {
        let before = out.len();
        for o in orgs {
            if placed.contains(o.code.as_str()) {
                continue;
            }
            let ready = match &o.parent {
                Some(p) => !codes.contains(p.as_str()) || placed.contains(p.as_str()),
                None => true,
            };
            if ready {
                placed.insert(&o.code);
                out.push(o);
            }
        }
        if out.len() == before {
            break; // cycles were refused by validation
        }
    }
    out
}

/// Inserts `row`, or updates `old` when it differs, recording the matching event either way;
/// counts it unchanged otherwise. Evaluates to the row's id.
macro_rules! merge_row {
    ($tx:expr, $rec:expr, $old:expr, $row:ident, $insert:ident, $update:ident, $kind:expr, $subject:expr, $data:expr) => {{
        match $old {
            Some(old) => {
                $row.id = old.id;
                if *old != $row {
                    $tx.$update(&$row).await?;
                    $rec.event($tx, false, $kind, $subject, $data).await?;
                } else {
                    $rec.report.unchanged += 1;
                }
                old.id
            }
            None => {
                let id = $tx.$insert(&$row).await?;
                $rec.event($tx, true, $kind, $subject, $data).await?;
                id
            }
        }
    }};
}

impl App {
    /// Imports a directory file as `actor` (an administrator; `None` for the CLI and shipped data).
    pub async fn apply_directory(
        &self,
        actor: Option<&Actor>,
        file: DirectoryFile,
    ) -> Result<ImportReport, AppError> {
        let now = self.clock.now();
        let mut owned = self.store.write().await?;
        let tx: &mut dyn Tx = &mut *owned;
        let tree = OrgTree::load(tx).await?;
        if let Some(a) = actor {
            let root_admin = tree
                .orgs
                .iter()
                .filter(|o| o.parent_id.is_none())
                .any(|o| a.has_role_for(Role::Admin, o.id, &tree));
            if !root_admin {
                return Err(AppError::Forbidden);
            }
        }
        let people = tx.people().await?;
        let businesses = tx.businesses().await?;
        let known = Known {
            orgs: tree.orgs.iter().map(|o| o.code.clone()).collect(),
            people: people.iter().map(|p| p.code.clone()).collect(),
            bins: businesses.iter().map(|b| b.bin.clone()).collect(),
        };
        let errors = validate(&file, &known);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut report = ImportReport::default();
        let mut rec = Recorder {
            now,
            actor,
            report: &mut report,
        };

        // calendars
        let existing_days = tx.all_calendar_days().await?;
        for c in &file.calendars {
            for d in &c.days {
                let date = parse_date(&d.date)
                    .map(|x| x.to_string())
                    .unwrap_or_default();
                let row = CalendarDayRow {
                    calendar: c.code.clone(),
                    day: date,
                    kind: d.kind.clone(),
                    name: d.name.clone(),
                };
                let old = existing_days
                    .iter()
                    .find(|x| x.calendar == row.calendar && x.day == row.day);
                if old == Some(&row) {
                    rec.report.unchanged += 1;
                    continue;
                }
                tx.upsert_calendar_day(&row).await?;
                rec.event(
                    tx,
                    old.is_none(),
                    "calendar.day",
                    &format!("calendar:{}:{}", row.calendar, row.day),
                    json!({"kind": row.kind, "name": row.name}),
                )
                .await?;
            }
        }

        // organisations, parents first
        let mut org_ids: HashMap<String, i64> =
            tree.orgs.iter().map(|o| (o.code.clone(), o.id)).collect();
        let schedules = tx.work_schedules().await?;
        let settings = tx.policy_settings().await?;
        for o in parents_first(&file.organisations) {
            let parent_id = o.parent.as_ref().and_then(|p| org_ids.get(p).copied());
            let mut row = OrgRow {
                id: 0,
                code: o.code.clone(),
                parent_id,
                kind: o.kind.clone(),
                name_ru: o.name.ru.trim().into(),
                name_kk: o.name.kk.trim().into(),
                name_en: o.name.en.trim().into(),
                bin: o.bin.clone(),
                time_zone: o
                    .time_zone
                    .clone()
                    .unwrap_or_else(|| crate::time::ORG_ZONE.into()),
                calendar: o.calendar.clone().unwrap_or_else(|| "KZ".into()),
            };
            let data = json!({"code": row.code, "parent": o.parent, "kind": row.kind, "name": {"ru": row.name_ru, "kk": row.name_kk, "en": row.name_en}, "bin": row.bin, "time_zone": row.time_zone, "calendar": row.calendar});
            let id = merge_row!(
                tx,
                rec,
                tree.by_code(&o.code),
                row,
                insert_organisation,
                update_organisation,
                "directory.organisation",
                &format!("organisation:{}", row.code),
                data
            );
            org_ids.insert(o.code.clone(), id);
            // Hours: the file's list is the organisation's whole history when given.
            if !o.hours.is_empty() {
                let wanted: Vec<ScheduleRow> = o
                    .hours
                    .iter()
                    .filter_map(|h| hours_row(id, h).ok())
                    .collect();
                for w in &wanted {
                    let old = schedules
                        .iter()
                        .find(|s| s.org_id == id && s.effective_from == w.effective_from);
                    if old == Some(w) {
                        rec.report.unchanged += 1;
                        continue;
                    }
                    tx.upsert_work_schedule(w).await?;
                    rec.event(tx, old.is_none(), "directory.working_hours", &format!("organisation:{}", o.code), json!({"effective_from": w.effective_from, "week": w.week, "start": w.start_time, "end": w.end_time, "lunch": [w.lunch_start, w.lunch_end]})).await?;
                }
                for old in schedules.iter().filter(|s| {
                    s.org_id == id && !wanted.iter().any(|w| w.effective_from == s.effective_from)
                }) {
                    tx.delete_work_schedule(id, &old.effective_from).await?;
                    rec.removed(
                        tx,
                        "directory.working_hours.removed",
                        &format!("organisation:{}", o.code),
                        json!({"effective_from": old.effective_from}),
                    )
                    .await?;
                }
            }
            if !o.policy.is_empty() {
                let mut wanted = Vec::new();
                for p in &o.policy {
                    let from = parse_date(&p.effective_from)
                        .map(|d| d.to_string())
                        .unwrap_or_default();
                    for (setting, value) in policy_settings(p) {
                        wanted.push(PolicyRow {
                            org_id: id,
                            effective_from: from.clone(),
                            setting,
                            value,
                        });
                    }
                }
                for w in &wanted {
                    let old = settings.iter().find(|s| {
                        s.org_id == id
                            && s.setting == w.setting
                            && s.effective_from == w.effective_from
                    });
                    if old == Some(w) {
                        rec.report.unchanged += 1;
                        continue;
                    }
                    tx.upsert_policy_setting(w).await?;
                    rec.event(tx, old.is_none(), "directory.policy", &format!("organisation:{}", o.code), json!({"effective_from": w.effective_from, "setting": w.setting, "value": w.value})).await?;
                }
                for old in settings.iter().filter(|s| {
                    s.org_id == id
                        && !wanted
                            .iter()
                            .any(|w| w.setting == s.setting && w.effective_from == s.effective_from)
                }) {
                    tx.delete_policy_setting(old).await?;
                    rec.removed(
                        tx,
                        "directory.policy.removed",
                        &format!("organisation:{}", o.code),
                        json!({"effective_from": old.effective_from, "setting": old.setting}),
                    )
                    .await?;
                }
            }
        }

        // businesses
        let mut business_ids: HashMap<String, i64> =
            businesses.iter().map(|b| (b.bin.clone(), b.id)).collect();
        let accounts = tx.accounts().await?;
        for b in &file.businesses {
            let mut row = BusinessRow {
                id: 0,
                bin: b.bin.clone(),
                name: b.name.trim().into(),
                address: b.address.clone(),
            };
            let data = json!({"bin": row.bin, "name": row.name});
            let id = merge_row!(
                tx,
                rec,
                businesses.iter().find(|x| x.bin == b.bin),
                row,
                insert_business,
                update_business,
                "directory.business",
                &format!("business:{}", row.bin),
                data
            );
            business_ids.insert(b.bin.clone(), id);
            if let Some(login) = &b.login {
                ensure_account(tx, &mut rec, &accounts, login, None, Some(id)).await?;
            }
        }

        // people and their roles
        let mut person_ids: HashMap<String, i64> =
            people.iter().map(|p| (p.code.clone(), p.id)).collect();
        let roles = tx.roles().await?;
        for p in &file.people {
            let org_id = org_ids
                .get(&p.organisation)
                .copied()
                .ok_or(AppError::Internal("organisation".into()))?;
            let mut row = PersonRow {
                id: 0,
                code: p.code.clone(),
                full_name: p.name.trim().into(),
                position_ru: p.position.ru.trim().into(),
                position_kk: p.position.kk.trim().into(),
                position_en: p.position.en.trim().into(),
                org_id,
                public_servant: p.public_servant,
                iin: p.iin.clone(),
                phone: p.phone.clone(),
            };
            // Private data (IIN, phone) stays out of events.
            let data = json!({"code": row.code, "name": row.full_name, "position": {"ru": row.position_ru, "kk": row.position_kk, "en": row.position_en}, "organisation": p.organisation, "public_servant": row.public_servant});
            let id = merge_row!(
                tx,
                rec,
                people.iter().find(|x| x.code == p.code),
                row,
                insert_person,
                update_person,
                "directory.person",
                &format!("person:{}", row.code),
                data
            );
            person_ids.insert(p.code.clone(), id);
            let mut wanted: Vec<RoleRow> = p
                .roles
                .iter()
                .map(|r| RoleRow {
                    person_id: id,
                    org_id: r
                        .organisation
                        .as_ref()
                        .and_then(|o| org_ids.get(o).copied())
                        .unwrap_or(org_id),
                    role: r.role.clone(),
                })
                .collect();
            wanted.sort();
            wanted.dedup();
            let current: Vec<&RoleRow> = roles.iter().filter(|r| r.person_id == id).collect();
            for w in &wanted {
                if current.contains(&w) {
                    rec.report.unchanged += 1;
                } else {
                    tx.insert_role(w).await?;
                    rec.event(
                        tx,
                        true,
                        "directory.role_granted",
                        &format!("person:{}", p.code),
                        json!({"role": w.role, "organisation": w.org_id}),
                    )
                    .await?;
                }
            }
            for c in current.iter().filter(|c| !wanted.contains(c)) {
                tx.delete_role(c).await?;
                rec.removed(
                    tx,
                    "directory.role_revoked",
                    &format!("person:{}", p.code),
                    json!({"role": c.role, "organisation": c.org_id}),
                )
                .await?;
            }
            if let Some(login) = &p.login {
                ensure_account(tx, &mut rec, &accounts, login, Some(id), None).await?;
            }
        }

        // rooms and inputs
        let rooms = tx.rooms().await?;
        let inputs = tx.inputs().await?;
        for r in &file.rooms {
            let org_id = org_ids
                .get(&r.organisation)
                .copied()
                .ok_or(AppError::Internal("organisation".into()))?;
            let mut row = RoomRow {
                id: 0,
                code: r.code.clone(),
                org_id,
                name: r.name.trim().into(),
                building: r.building.trim().into(),
                floor: r.floor,
                designated: r.designated,
            };
            let data = json!({"code": row.code, "organisation": r.organisation, "name": row.name, "building": row.building, "floor": row.floor, "designated": row.designated});
            let room_id = merge_row!(
                tx,
                rec,
                rooms.iter().find(|x| x.code == r.code),
                row,
                insert_room,
                update_room,
                "directory.room",
                &format!("room:{}", row.code),
                data
            );
            for i in &r.inputs {
                let old = inputs
                    .iter()
                    .find(|x| x.room_id == room_id && x.code == i.code);
                let data = json!({"room": r.code, "code": i.code, "url": i.url, "video": i.video, "audio": i.audio});
                match old {
                    Some(old) => {
                        let row = InputRow {
                            url: i.url.clone(),
                            video: i.video,
                            audio: i.audio,
                            ..old.clone()
                        };
                        if *old != row {
                            tx.update_input(&row).await?;
                            rec.event(
                                tx,
                                false,
                                "directory.input",
                                &format!("room:{}", r.code),
                                data,
                            )
                            .await?;
                        } else {
                            rec.report.unchanged += 1;
                        }
                    }
                    None => {
                        let state = i.state.clone().unwrap_or_else(|| "offline".into());
                        let row = InputRow {
                            id: 0,
                            room_id,
                            code: i.code.clone(),
                            video: i.video,
                            audio: i.audio,
                            url: i.url.clone(),
                            state: state.clone(),
                            state_since_us: to_us(now),
                        };
                        let id = tx.insert_input(&row).await?;
                        tx.log_input_state(id, to_us(now), &state).await?;
                        rec.event(
                            tx,
                            true,
                            "directory.input",
                            &format!("room:{}", r.code),
                            data,
                        )
                        .await?;
                    }
                }
            }
        }

        // conflicts of interest
        let conflicts = tx.conflicts().await?;
        for c in &file.conflicts {
            let (Some(&person_id), Some(&business_id)) =
                (person_ids.get(&c.person), business_ids.get(&c.business))
            else {
                return Err(AppError::Internal("conflict references".into()));
            };
            let row = ConflictRow {
                person_id,
                business_id,
                note: c.note.trim().into(),
            };
            let data = json!({"person": c.person, "business": c.business, "note": row.note});
            match conflicts
                .iter()
                .find(|x| x.person_id == person_id && x.business_id == business_id)
            {
                Some(old) if *old == row => rec.report.unchanged += 1,
                Some(_) => {
                    tx.update_conflict(&row).await?;
                    rec.event(
                        tx,
                        false,
                        "directory.conflict_of_interest",
                        &format!("person:{}", c.person),
                        data,
                    )
                    .await?;
                }
                None => {
                    tx.insert_conflict(&row).await?;
                    rec.event(
                        tx,
                        true,
                        "directory.conflict_of_interest",
                        &format!("person:{}", c.person),
                        data,
                    )
                    .await?;
                }
            }
        }

        // tender awards
        let awards = tx.awards().await?;
        for a in &file.awards {
            let (Some(&org_id), Some(&business_id)) =
                (org_ids.get(&a.organisation), business_ids.get(&a.business))
            else {
                return Err(AppError::Internal("award references".into()));
            };
            let mut row = AwardRow {
                id: 0,
                org_id,
                business_id,
                reference: a.reference.clone(),
                kind: a.kind.clone(),
                award_date: parse_date(&a.date)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                end_date: a.end.as_deref().and_then(parse_date).map(|d| d.to_string()),
                active: a.active,
            };
            let data = json!({"organisation": a.organisation, "business": a.business, "reference": row.reference, "kind": row.kind, "date": row.award_date, "end": row.end_date, "active": row.active});
            match awards
                .iter()
                .find(|x| x.org_id == org_id && x.kind == row.kind && x.reference == row.reference)
            {
                Some(old) => {
                    row.id = old.id;
                    if *old == row {
                        rec.report.unchanged += 1;
                    } else {
                        tx.update_award(&row).await?;
                        rec.event(
                            tx,
                            false,
                            "tender.award",
                            &format!("business:{}", a.business),
                            data,
                        )
                        .await?;
                    }
                }
                None => {
                    tx.insert_award(&row).await?;
                    rec.event(
                        tx,
                        true,
                        "tender.award",
                        &format!("business:{}", a.business),
                        data,
                    )
                    .await?;
                }
            }
        }
        if report.changed() > 0 {
            owned.bump_directory_version().await?;
        }
        owned.commit().await?;
        Ok(report)
    }
}

struct Recorder<'a> {
    now: jiff::Timestamp,
    actor: Option<&'a Actor>,
    report: &'a mut ImportReport,
}

impl Recorder<'_> {
    async fn event(
        &mut self,
        tx: &mut dyn Tx,
        created: bool,
        kind: &str,
        subject: &str,
        data: serde_json::Value,
    ) -> Result<(), AppError> {
        if created {
            self.report.created += 1;
        } else {
            self.report.updated += 1;
        }
        let kind = format!("{kind}.{}", if created { "created" } else { "updated" });
        events::record(tx, self.now, &kind, subject, self.actor, data)
            .await
            .map(|_| ())
    }
    async fn removed(
        &mut self,
        tx: &mut dyn Tx,
        kind: &str,
        subject: &str,
        data: serde_json::Value,
    ) -> Result<(), AppError> {
        self.report.removed += 1;
        events::record(tx, self.now, kind, subject, self.actor, data)
            .await
            .map(|_| ())
    }
}

async fn ensure_account(
    tx: &mut dyn Tx,
    rec: &mut Recorder<'_>,
    accounts: &[AccountRow],
    login: &str,
    person_id: Option<i64>,
    business_id: Option<i64>,
) -> Result<(), AppError> {
    match accounts.iter().find(|a| a.login == login) {
        Some(a) if a.person_id == person_id && a.business_id == business_id => {
            rec.report.unchanged += 1;
            Ok(())
        }
        Some(_) => Err(AppError::invalid(
            "login",
            "login_taken",
            format!("login {login} belongs to someone else"),
        )),
        None => {
            tx.insert_account(&AccountRow {
                id: 0,
                login: login.into(),
                person_id,
                business_id,
                disabled: false,
            })
            .await?;
            rec.event(
                tx,
                true,
                "directory.account",
                &format!("account:{login}"),
                json!({"login": login, "person": person_id, "business": business_id}),
            )
            .await
        }
    }
}
