//! The meeting lifecycle use cases.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use glassroom_domain::rules::{
    self, Detail, EndFacts, Finding, ScheduleFacts, StartFacts, Verdict,
};
use glassroom_domain::{
    Bin, Interval, MeetingId, MeetingKind, MeetingStatus, PersonId, RuleCode, Severity, Transition,
};
use glassroom_store::{
    BookingWindow, CommissionRow, MeetingRow, OverrideRow, RegisterFilter, RepresentativeRow, Tx,
    ViolationRow, WorkFilter,
};

use crate::auth::{Actor, Role};
use std::sync::Arc;

use crate::context::{Directory, OrgTree};
use crate::error::{FieldError, RuleFinding};
use crate::events;
use crate::time::{from_us, to_us};
use crate::views::*;
use crate::{App, AppError};

#[derive(Debug, Clone)]
pub struct RepresentativeInput {
    pub full_name: String,
    pub role: Option<String>,
    pub iin: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RequestMeeting {
    pub organisation: i64,
    pub host: i64,
    pub business_bin: String,
    pub representatives: Vec<RepresentativeInput>,
    pub subject: String,
    pub kind: String,
    pub wished_from: Timestamp,
    pub wished_to: Timestamp,
}

#[derive(Debug, Clone)]
pub struct OverrideInput {
    pub rule: String,
    pub justification: String,
}

#[derive(Debug, Clone)]
pub struct ScheduleMeeting {
    pub room: i64,
    pub start: Timestamp,
    pub end: Timestamp,
    pub commission: Vec<i64>,
    pub overrides: Vec<OverrideInput>,
}

#[derive(Debug, Clone, Default)]
pub struct RegisterQuery {
    pub organisation: Option<String>,
    pub business_bin: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

const MAX_TEXT: usize = 2000;
/// Most commission members or representatives one meeting can list.
const MAX_LIST: usize = 50;

fn subject_of(id: i64) -> String {
    format!("meeting:{id}")
}

fn status_of(m: &MeetingRow) -> Result<MeetingStatus, AppError> {
    MeetingStatus::parse(&m.status).ok_or_else(|| {
        AppError::Internal(format!("meeting {} has unknown status {}", m.id, m.status))
    })
}

fn transition(m: &MeetingRow, t: Transition) -> Result<MeetingStatus, AppError> {
    let from = status_of(m)?;
    from.apply(t).map_err(|_| AppError::InvalidTransition {
        from: from.code(),
        transition: t.code(),
    })
}

fn text(field: &str, value: &str, required: bool, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.push(FieldError::new(
            field,
            "required",
            format!("{field} must not be empty"),
        ));
    }
    if v.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("{field} is longer than {MAX_TEXT} characters"),
        ));
    }
    v.to_owned()
}

fn check(errors: Vec<FieldError>) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

impl App {
    fn meeting_interval(
        &self,
        start: Timestamp,
        end: Timestamp,
        start_field: &str,
        end_field: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<Interval> {
        match Interval::bounded(
            start,
            end,
            SignedDuration::from_mins(self.config.max_meeting_minutes),
        ) {
            Ok(iv) => Some(iv),
            Err(glassroom_domain::IntervalError::EndNotAfterStart) => {
                errors.push(FieldError::new(
                    end_field,
                    "end_before_start",
                    format!("{end_field} must be after {start_field}"),
                ));
                None
            }
            Err(glassroom_domain::IntervalError::TooLong) => {
                errors.push(FieldError::new(
                    end_field,
                    "too_long",
                    format!(
                        "a meeting lasts at most {} minutes",
                        self.config.max_meeting_minutes
                    ),
                ));
                None
            }
        }
    }

    async fn load_for_update(
        &self,
        tx: &mut dyn Tx,
        id: i64,
    ) -> Result<(MeetingRow, Arc<Directory>), AppError> {
        let m = tx.meeting(id).await?.ok_or(AppError::NotFound("meeting"))?;
        let dir = self.directory(tx).await?;
        Ok((m, dir))
    }

    /// `request`: by the business itself, or by an official or compliance officer of the organisation on its behalf.
    pub async fn request_meeting(
        &self,
        actor: &Actor,
        req: RequestMeeting,
    ) -> Result<MeetingView, AppError> {
        let now = self.clock.now();
        let mut errors = Vec::new();
        let subject = text("subject", &req.subject, true, &mut errors);
        let kind = MeetingKind::parse(&req.kind);
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "invalid_kind",
                "kind must be consultation, document_signing or other",
            ));
        }
        let bin = match Bin::parse(&req.business_bin) {
            Ok(b) => Some(b),
            Err(e) => {
                errors.push(FieldError::new(
                    "business_bin",
                    "invalid_bin",
                    format!("BIN {}: {e}", req.business_bin),
                ));
                None
            }
        };
        match Interval::bounded(
            req.wished_from,
            req.wished_to,
            SignedDuration::from_hours(24 * self.config.max_wished_window_days),
        ) {
            Ok(iv) if iv.end() <= now => errors.push(FieldError::new(
                "wished_to",
                "in_past",
                "the wished window has already passed",
            )),
            Ok(_) => {}
            Err(glassroom_domain::IntervalError::EndNotAfterStart) => errors.push(FieldError::new(
                "wished_to",
                "end_before_start",
                "wished_to must be after wished_from",
            )),
            Err(glassroom_domain::IntervalError::TooLong) => errors.push(FieldError::new(
                "wished_to",
                "too_long",
                format!(
                    "the wished window is at most {} days",
                    self.config.max_wished_window_days
                ),
            )),
        }
        if req.representatives.len() > MAX_LIST {
            errors.push(FieldError::new(
                "representatives",
                "too_long",
                format!("at most {MAX_LIST} representatives"),
            ));
        }
        for (i, r) in req.representatives.iter().enumerate().take(MAX_LIST) {
            text(
                &format!("representatives[{i}].full_name"),
                &r.full_name,
                true,
                &mut errors,
            );
            if let Some(iin) = r.iin.as_deref().filter(|s| !s.is_empty())
                && Bin::parse(iin).is_err()
            {
                errors.push(FieldError::new(
                    format!("representatives[{i}].iin"),
                    "invalid_iin",
                    "IIN must be 12 digits with a valid check digit",
                ));
            }
        }
        let mut tx = self.store.write().await?;
        let dir = self.directory(&mut *tx).await?;
        let tree = &dir.tree;
        if tree.get(req.organisation).is_none() {
            errors.push(FieldError::new(
                "organisation",
                "unknown_organisation",
                format!("no organisation {}", req.organisation),
            ));
        }
        let business = match &bin {
            Some(b) => {
                let found = tx.business_by_bin(b.as_str()).await?;
                if found.is_none() {
                    errors.push(FieldError::new(
                        "business_bin",
                        "unknown_business",
                        format!("no business with BIN {b} in the directory"),
                    ));
                }
                found
            }
            None => None,
        };
        if !dir.people.contains_key(&req.host) {
            errors.push(FieldError::new(
                "host",
                "unknown_person",
                format!("no person {}", req.host),
            ));
        } else if !dir.has_role(req.host, "official", |at| at == req.organisation) {
            errors.push(FieldError::new(
                "host",
                "host_not_official",
                "the host must be an official of the organisation",
            ));
        }
        check(errors)?;
        let business = business.ok_or(AppError::NotFound("business"))?;
        let allowed = actor.business_id == Some(business.id)
            || actor.has_role_for(Role::Official, req.organisation, tree)
            || actor.has_role_for(Role::Compliance, req.organisation, tree);
        if !allowed {
            return Err(AppError::Forbidden);
        }
        let kind = kind.ok_or(AppError::Internal("kind".into()))?;
        let row = MeetingRow {
            id: 0,
            org_id: req.organisation,
            host_id: req.host,
            business_id: business.id,
            subject: subject.clone(),
            kind: kind.code().into(),
            wished_from_us: to_us(req.wished_from),
            wished_to_us: to_us(req.wished_to),
            status: MeetingStatus::Requested.code().into(),
            listed: false,
            room_id: None,
            start_us: None,
            end_us: None,
            actual_start_us: None,
            actual_end_us: None,
            host_checked_in_us: None,
            business_checked_in_us: None,
            reason: None,
            protocol_summary: None,
            protocol_outcome: None,
            business_confirmed_us: None,
            requested_by: actor.account_id,
            created_us: to_us(now),
            updated_us: to_us(now),
        };
        let id = tx.insert_meeting(&row).await?;
        for (i, r) in req.representatives.iter().enumerate() {
            tx.insert_representative(&RepresentativeRow {
                meeting_id: id,
                position: i as i64,
                full_name: r.full_name.trim().to_owned(),
                role: r.role.clone().filter(|s| !s.trim().is_empty()),
                iin: r.iin.clone().filter(|s| !s.is_empty()),
                phone: r.phone.clone().filter(|s| !s.trim().is_empty()),
            })
            .await?;
        }
        let data = json!({
            "organisation": req.organisation,
            "host": req.host,
            "business_bin": business.bin,
            "subject": subject,
            "kind": kind.code(),
            "wished_from": req.wished_from.to_string(),
            "wished_to": req.wished_to.to_string(),
            // Representatives are private persons: only their number enters the public record,
            // and each one's identity only as a keyed hash, so the record can later prove who came
            // without ever showing an IIN or phone (destroying the key makes it unlinkable).
            "representatives": req.representatives.len(),
            "representatives_sealed": req.representatives.iter().map(|r| {
                let who = format!(
                    "{}\n{}\n{}",
                    r.full_name.trim(),
                    r.iin.as_deref().unwrap_or(""),
                    r.phone.as_deref().map(str::trim).unwrap_or("")
                );
                Value::String(self.seal_private(&who))
            }).collect::<Vec<_>>(),
        });
        events::record(
            &mut *tx,
            now,
            "meeting.requested",
            &subject_of(id),
            Some(actor),
            data,
        )
        .await?;
        tx.commit().await?;
        self.view_after_commit(id).await
    }

    fn may_manage(actor: &Actor, org: i64, tree: &OrgTree) -> bool {
        actor.has_role_for(Role::Official, org, tree)
            || actor.has_role_for(Role::Compliance, org, tree)
    }

    fn is_host_or_compliance(actor: &Actor, m: &MeetingRow, tree: &OrgTree) -> bool {
        actor.person_id == Some(m.host_id) || Self::may_manage(actor, m.org_id, tree)
    }

    /// Validates overrides and returns the rules asked to be overridden with their justifications.
    fn parse_overrides(
        &self,
        actor: &Actor,
        org: i64,
        tree: &OrgTree,
        overrides: &[OverrideInput],
        errors: &mut Vec<FieldError>,
    ) -> Vec<(RuleCode, String)> {
        let compliance = actor.has_role_for(Role::Compliance, org, tree);
        let mut out = Vec::new();
        for (i, o) in overrides.iter().enumerate() {
            if !compliance {
                errors.push(FieldError::new(
                    format!("overrides[{i}]"),
                    "override_requires_compliance",
                    "only a compliance officer of the organisation can override a rule",
                ));
                continue;
            }
            let Some(rule) = RuleCode::parse(&o.rule) else {
                errors.push(FieldError::new(
                    format!("overrides[{i}].rule"),
                    "unknown_rule",
                    format!("no rule {}", o.rule),
                ));
                continue;
            };
            let justification = o.justification.trim();
            if justification.chars().count() < self.config.min_justification_chars {
                errors.push(FieldError::new(
                    format!("overrides[{i}].justification"),
                    "justification_too_short",
                    format!(
                        "a written justification of at least {} characters is required",
                        self.config.min_justification_chars
                    ),
                ));
                continue;
            }
            out.push((rule, justification.to_owned()));
        }
        out
    }

    /// Applies a verdict: refusal lists every failing rule; an allowed change stores each override
    /// (and its event).
    #[allow(clippy::too_many_arguments)]
    async fn apply_verdict(
        &self,
        tx: &mut dyn Tx,
        dir: &Directory,
        actor: &Actor,
        m: &MeetingRow,
        transition_code: &'static str,
        findings: Vec<Finding>,
        overrides: &[(RuleCode, String)],
        may_override: bool,
        now: Timestamp,
    ) -> Result<Vec<RuleFinding>, AppError> {
        let tz = dir.calendar(m.org_id)?.time_zone().clone();
        let rules_asked: Vec<RuleCode> = overrides.iter().map(|(r, _)| *r).collect();
        match rules::decide(findings, &rules_asked, may_override) {
            Verdict::Refused { findings } => {
                let mut out = Vec::new();
                for f in &findings {
                    out.push(describe(dir, f, &tz));
                }
                Err(AppError::Refused {
                    transition: transition_code,
                    findings: out,
                })
            }
            Verdict::Allowed {
                overridden,
                warnings,
            } => {
                for f in &overridden {
                    let justification = overrides
                        .iter()
                        .find(|(r, _)| *r == f.rule)
                        .map(|(_, j)| j.clone())
                        .unwrap_or_default();
                    tx.insert_override(&OverrideRow {
                        id: 0,
                        meeting_id: m.id,
                        rule: f.rule.code().into(),
                        justification: justification.clone(),
                        account_id: actor.account_id,
                        at_us: to_us(now),
                    })
                    .await?;
                    events::record(tx, now, "meeting.rule_overridden", &subject_of(m.id), Some(actor), json!({"rule": f.rule.code(), "transition": transition_code, "justification": justification})).await?;
                }
                let mut out = Vec::new();
                for f in &warnings {
                    out.push(describe(dir, f, &tz));
                }
                Ok(out)
            }
        }
    }

    /// `schedule` (also reschedules a scheduled meeting): every rule runs; a refusal lists all.
    pub async fn schedule_meeting(
        &self,
        actor: &Actor,
        id: i64,
        req: ScheduleMeeting,
    ) -> Result<(MeetingView, Vec<RuleFinding>), AppError> {
        let warnings = self.decide_schedule(actor, id, req).await?;
        Ok((self.view_after_commit(id).await?, warnings))
    }

    /// Every rule's verdict on a proposed schedule without writing anything (the scheduling
    /// form's check, before submitting): the warnings when it would pass, `Refused` with every
    /// finding when it would not. The transaction is dropped, never committed.
    pub async fn check_schedule(
        &self,
        actor: &Actor,
        id: i64,
        req: ScheduleMeeting,
    ) -> Result<Vec<RuleFinding>, AppError> {
        let mut tx = self.store.write().await?;
        let dir = self.directory(&mut *tx).await?;
        let verdict = self.schedule_in(&mut *tx, &dir, actor, id, req).await;
        drop(tx);
        verdict
    }

    /// The `schedule` decision itself: load the facts, run every rule, write the meeting, its
    /// commission, overrides and events, commit. Returns the warnings that did not stop it.
    pub async fn decide_schedule(
        &self,
        actor: &Actor,
        id: i64,
        req: ScheduleMeeting,
    ) -> Result<Vec<RuleFinding>, AppError> {
        let app = self.clone();
        let actor = actor.clone();
        self.batched(Box::new(move |tx, dir| {
            Box::pin(async move { app.schedule_in(tx, &dir, &actor, id, req).await })
        }))
        .await
    }

    /// The decision inside the writer's transaction: reads, rules, then (only if allowed) writes.
    async fn schedule_in(
        &self,
        tx: &mut dyn Tx,
        dir: &Directory,
        actor: &Actor,
        id: i64,
        req: ScheduleMeeting,
    ) -> Result<Vec<RuleFinding>, AppError> {
        let now = self.clock.now();
        let mut m = tx.meeting(id).await?.ok_or(AppError::NotFound("meeting"))?;
        if !Self::may_manage(actor, m.org_id, &dir.tree) {
            return Err(AppError::Forbidden);
        }
        let next = transition(&m, Transition::Schedule)?;
        let mut errors = Vec::new();
        let interval = self.meeting_interval(req.start, req.end, "start", "end", &mut errors);
        if interval.is_some_and(|iv| iv.start() <= now) {
            errors.push(FieldError::new(
                "start",
                "in_past",
                "a meeting cannot be scheduled in the past",
            ));
        }
        if !dir.rooms.contains_key(&req.room) {
            errors.push(FieldError::new(
                "room",
                "unknown_room",
                format!("no room {}", req.room),
            ));
        }
        if req.commission.len() > MAX_LIST {
            errors.push(FieldError::new(
                "commission",
                "too_long",
                format!("at most {MAX_LIST} commission members"),
            ));
        }
        let mut members: Vec<i64> = Vec::new();
        for (i, p) in req.commission.iter().enumerate().take(MAX_LIST) {
            let field = format!("commission[{i}]");
            if !dir.people.contains_key(p) {
                errors.push(FieldError::new(
                    field,
                    "unknown_person",
                    format!("no person {p}"),
                ));
                continue;
            }
            if !dir.sits_on_commissions_for(*p, m.org_id) {
                errors.push(FieldError::new(
                    field,
                    "not_commission_member",
                    "this person is not a commission member for the organisation",
                ));
                continue;
            }
            if !members.contains(p) {
                members.push(*p);
            }
        }
        let overrides =
            self.parse_overrides(actor, m.org_id, &dir.tree, &req.overrides, &mut errors);
        check(errors)?;
        let interval = interval.ok_or(AppError::Internal("interval".into()))?;
        let calendar = dir.calendar(m.org_id)?;
        let local_day = calendar.time_zone().to_datetime(interval.start()).date();
        let policy = dir.policy(m.org_id, local_day)?;
        let award = dir.tender_award(
            m.org_id,
            m.business_id,
            local_day,
            policy.tender_lookback_months(),
        );
        let unreliable = dir.unreliable(m.business_id, local_day);
        let room = self.recording.room_facts(&mut *tx, dir, req.room).await?;
        let conflicted: Vec<PersonId> = dir.conflicted(m.business_id);
        let (s, e) = (to_us(interval.start()), to_us(interval.end()));
        // Every stored booking is at most `max_meeting_minutes` long (checked when it was scheduled);
        // a day's margin keeps the window safe if that setting is later lowered.
        let longest_us = (self.config.max_meeting_minutes.max(24 * 60)) * 60 * 1_000_000;
        let window = BookingWindow {
            start_us: s,
            end_us: e,
            longest_us,
            except: m.id,
        };
        let mut people = members.clone();
        people.push(m.host_id);
        let bookings = tx.bookings(req.room, &people, &window).await?;
        let room_bookings: Vec<MeetingId> = bookings.room.into_iter().map(MeetingId).collect();
        let busy: Vec<PersonId> = bookings.people.into_iter().map(PersonId).collect();
        let commission: Vec<PersonId> = req.commission.iter().copied().map(PersonId).collect();
        let facts = ScheduleFacts {
            interval,
            host: PersonId(m.host_id),
            commission: &commission,
            room: &room,
            calendar: &calendar,
            conflicted: &conflicted,
            tender_award: award.as_ref(),
            room_bookings: &room_bookings,
            busy_people: &busy,
            unreliable: unreliable.as_ref(),
        };
        let findings = rules::check_schedule(&facts, &policy);
        let compliance = actor.has_role_for(Role::Compliance, m.org_id, &dir.tree);
        let warnings = self
            .apply_verdict(
                &mut *tx, dir, actor, &m, "schedule", findings, &overrides, compliance, now,
            )
            .await?;
        let rescheduled = status_of(&m)? == MeetingStatus::Scheduled;
        m.status = next.code().into();
        m.listed = true;
        m.room_id = Some(req.room);
        m.start_us = Some(s);
        m.end_us = Some(e);
        m.updated_us = to_us(now);
        tx.update_meeting(&m).await?;
        tx.set_commission(m.id, &members, rescheduled).await?;
        let data = json!({
            "room": req.room,
            "start": interval.start().to_string(),
            "end": interval.end().to_string(),
            "commission": members,
            "tender_winner": award.as_ref().map(|a| a.reference.clone()),
            "warnings": warnings.iter().map(|w| w.rule).collect::<Vec<_>>(),
        });
        events::record(
            &mut *tx,
            now,
            if rescheduled {
                "meeting.rescheduled"
            } else {
                "meeting.scheduled"
            },
            &subject_of(m.id),
            Some(actor),
            data,
        )
        .await?;
        Ok(warnings)
    }

    /// `reject` a request (official or compliance), with a reason.
    pub async fn reject_meeting(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
    ) -> Result<MeetingView, AppError> {
        self.close_with_reason(actor, id, reason, Transition::Reject, "meeting.rejected")
            .await
    }

    /// `cancel` a requested or scheduled meeting (the business, an official or compliance), with a reason.
    pub async fn cancel_meeting(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
    ) -> Result<MeetingView, AppError> {
        self.close_with_reason(actor, id, reason, Transition::Cancel, "meeting.cancelled")
            .await
    }

    async fn close_with_reason(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
        t: Transition,
        kind: &str,
    ) -> Result<MeetingView, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (mut m, dir) = self.load_for_update(&mut *tx, id).await?;
        let allowed = Self::may_manage(actor, m.org_id, &dir.tree)
            || (t == Transition::Cancel && actor.business_id == Some(m.business_id));
        if !allowed {
            return Err(AppError::Forbidden);
        }
        let next = transition(&m, t)?;
        let mut errors = Vec::new();
        let reason = text("reason", reason, true, &mut errors);
        check(errors)?;
        m.status = next.code().into();
        m.reason = Some(reason.clone());
        m.updated_us = to_us(now);
        self.commit_change(tx, &m, actor, now, kind, json!({"reason": reason}))
            .await
    }

    /// `check-in`: the signed-in participant (commission member, host, or the business) is here.
    pub async fn check_in(&self, actor: &Actor, id: i64) -> Result<MeetingView, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (mut m, _dir) = self.load_for_update(&mut *tx, id).await?;
        let status = status_of(&m)?;
        if !matches!(status, MeetingStatus::Scheduled | MeetingStatus::InProgress) {
            return Err(AppError::InvalidTransition {
                from: status.code(),
                transition: "check_in",
            });
        }
        if let Some(start) = m.start_us
            && to_us(now) < start - 60 * 60 * 1_000_000
        {
            return Err(AppError::invalid(
                "",
                "check_in_too_early",
                "check-in opens one hour before the meeting",
            ));
        }
        let commission = tx.commission(m.id).await?;
        let mut who = None;
        if let Some(person) = actor.person_id {
            if let Some(member) = commission.iter().find(|c| c.person_id == person) {
                if member.checked_in_us.is_none() {
                    tx.update_commission_member(&CommissionRow {
                        checked_in_us: Some(to_us(now)),
                        ..member.clone()
                    })
                    .await?;
                    who = Some(json!({"commission_member": person}));
                } else {
                    who = Some(Value::Null);
                }
            } else if person == m.host_id {
                if m.host_checked_in_us.is_none() {
                    m.host_checked_in_us = Some(to_us(now));
                    who = Some(json!({"host": person}));
                } else {
                    who = Some(Value::Null);
                }
            }
        } else if actor.business_id == Some(m.business_id) {
            if m.business_checked_in_us.is_none() {
                m.business_checked_in_us = Some(to_us(now));
                who = Some(json!({"business": m.business_id}));
            } else {
                who = Some(Value::Null);
            }
        }
        match who {
            None => return Err(AppError::Forbidden),
            Some(Value::Null) => {} // already checked in: idempotent
            Some(data) => {
                m.updated_us = to_us(now);
                tx.update_meeting(&m).await?;
                events::record(
                    &mut *tx,
                    now,
                    "meeting.checked_in",
                    &subject_of(m.id),
                    Some(actor),
                    data,
                )
                .await?;
            }
        }
        tx.commit().await?;
        self.view_after_commit(m.id).await
    }

    /// `start`: only with the commission quorum checked in and every input of the room recording.
    pub async fn start_meeting(
        &self,
        actor: &Actor,
        id: i64,
        overrides: Vec<OverrideInput>,
    ) -> Result<(MeetingView, Vec<RuleFinding>), AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (mut m, dir) = self.load_for_update(&mut *tx, id).await?;
        if !Self::is_host_or_compliance(actor, &m, &dir.tree) {
            return Err(AppError::Forbidden);
        }
        let next = transition(&m, Transition::Start)?;
        let mut errors = Vec::new();
        let overrides = self.parse_overrides(actor, m.org_id, &dir.tree, &overrides, &mut errors);
        check(errors)?;
        let room_id = m
            .room_id
            .ok_or(AppError::Internal("scheduled meeting without room".into()))?;
        let planned_end = from_us(m.end_us.unwrap_or(to_us(now)));
        let interval = rules::from_now_until(now, planned_end)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let calendar = dir.calendar(m.org_id)?;
        let local_day = calendar.time_zone().to_datetime(now).date();
        let policy = dir.policy(m.org_id, local_day)?;
        let award = dir.tender_award(
            m.org_id,
            m.business_id,
            local_day,
            policy.tender_lookback_months(),
        );
        let room = self.recording.room_facts(&mut *tx, &dir, room_id).await?;
        let present = tx
            .commission(m.id)
            .await?
            .iter()
            .filter(|c| c.checked_in_us.is_some() && c.person_id != m.host_id)
            .count();
        let facts = StartFacts {
            interval,
            commission_present: present,
            room: &room,
            calendar: &calendar,
            tender_award: award.as_ref(),
        };
        let findings = rules::check_start(&facts, &policy);
        let compliance = actor.has_role_for(Role::Compliance, m.org_id, &dir.tree);
        let warnings = self
            .apply_verdict(
                &mut *tx, &dir, actor, &m, "start", findings, &overrides, compliance, now,
            )
            .await?;
        m.status = next.code().into();
        m.actual_start_us = Some(to_us(now));
        m.updated_us = to_us(now);
        tx.update_meeting(&m).await?;
        events::record(
            &mut *tx,
            now,
            "meeting.started",
            &subject_of(m.id),
            Some(actor),
            json!({"commission_present": present}),
        )
        .await?;
        tx.commit().await?;
        Ok((self.view_after_commit(m.id).await?, warnings))
    }

    /// `end`: closes the recorded interval, computes coverage, and opens a violation case for each
    /// rule the meeting broke after the fact.
    pub async fn end_meeting(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(MeetingView, Vec<RuleFinding>), AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (mut m, dir) = self.load_for_update(&mut *tx, id).await?;
        if !Self::is_host_or_compliance(actor, &m, &dir.tree) {
            return Err(AppError::Forbidden);
        }
        let next = transition(&m, Transition::End)?;
        let started = from_us(m.actual_start_us.unwrap_or(to_us(now)));
        // The recorded interval: from the actual start to now (at least a second).
        let actual = Interval::new(started, now.max(started + SignedDuration::from_secs(1)))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let room_id = m
            .room_id
            .ok_or(AppError::Internal("meeting without room".into()))?;
        let calendar = dir.calendar(m.org_id)?;
        let local_day = calendar.time_zone().to_datetime(started).date();
        let policy = dir.policy(m.org_id, local_day)?;
        let award = dir.tender_award(
            m.org_id,
            m.business_id,
            local_day,
            policy.tender_lookback_months(),
        );
        let coverage = self.recording.coverage(&mut *tx, room_id, actual).await?;
        let facts = EndFacts {
            actual,
            calendar: &calendar,
            tender_award: award.as_ref(),
            coverage: &coverage,
        };
        let findings = rules::check_end(&facts, &policy);
        let tz = calendar.time_zone().clone();
        m.status = next.code().into();
        m.actual_end_us = Some(to_us(now));
        m.updated_us = to_us(now);
        tx.update_meeting(&m).await?;
        let coverage_json: Vec<Value> = coverage
            .iter()
            .map(|c| json!({"input": c.input.0, "share": c.share, "gaps": c.gaps.len()}))
            .collect();
        events::record(&mut *tx, now, "meeting.ended", &subject_of(m.id), Some(actor), json!({"actual_start": actual.start().to_string(), "actual_end": now.to_string(), "coverage": coverage_json})).await?;
        let mut described = Vec::new();
        for f in findings
            .iter()
            .filter(|f| f.severity == Severity::Violation)
        {
            let d = describe(&dir, f, &tz);
            let details = crate::events::canonical_json(&Value::Object(
                d.args
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                    .collect(),
            ));
            let vid = tx
                .insert_violation(&ViolationRow {
                    id: 0,
                    org_id: m.org_id,
                    meeting_id: Some(m.id),
                    rule: f.rule.code().into(),
                    details: details.clone(),
                    status: "open".into(),
                    opened_us: to_us(now),
                })
                .await?;
            events::record(&mut *tx, now, "violation.opened", &format!("violation:{vid}"), None, json!({"meeting": m.id, "rule": f.rule.code(), "details": d.args.iter().map(|(k, v)| ((*k).to_owned(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>()})).await?;
            described.push(d);
        }
        tx.commit().await?;
        Ok((self.view_after_commit(m.id).await?, described))
    }

    /// `no_show`: the business did not come; only once the planned start has passed.
    pub async fn no_show(&self, actor: &Actor, id: i64) -> Result<MeetingView, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (mut m, dir) = self.load_for_update(&mut *tx, id).await?;
        if !Self::is_host_or_compliance(actor, &m, &dir.tree) {
            return Err(AppError::Forbidden);
        }
        let next = transition(&m, Transition::NoShow)?;
        if m.start_us.is_some_and(|s| to_us(now) < s) {
            return Err(AppError::invalid(
                "",
                "too_early",
                "a no-show can be recorded only after the planned start",
            ));
        }
        m.status = next.code().into();
        m.updated_us = to_us(now);
        self.commit_change(tx, &m, actor, now, "meeting.no_show", json!({}))
            .await
    }

    /// Writes the protocol (summary and outcome) of a completed meeting, before anyone signs it.
    pub async fn write_protocol(
        &self,
        actor: &Actor,
        id: i64,
        summary: &str,
        outcome: &str,
    ) -> Result<MeetingView, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (mut m, dir) = self.load_for_update(&mut *tx, id).await?;
        if !Self::is_host_or_compliance(actor, &m, &dir.tree) {
            return Err(AppError::Forbidden);
        }
        let status = status_of(&m)?;
        if status != MeetingStatus::Completed {
            return Err(AppError::InvalidTransition {
                from: status.code(),
                transition: "protocol",
            });
        }
        if tx
            .commission(m.id)
            .await?
            .iter()
            .any(|c| c.signed_us.is_some())
        {
            return Err(AppError::invalid(
                "",
                "protocol_signed",
                "the protocol has been signed and can no longer be changed",
            ));
        }
        let mut errors = Vec::new();
        let summary = text("summary", summary, true, &mut errors);
        let outcome = text("outcome", outcome, true, &mut errors);
        check(errors)?;
        m.protocol_summary = Some(summary.clone());
        m.protocol_outcome = Some(outcome.clone());
        m.updated_us = to_us(now);
        self.commit_change(
            tx,
            &m,
            actor,
            now,
            "meeting.protocol_written",
            json!({"summary": summary, "outcome": outcome}),
        )
        .await
    }

    /// A commission member who was present signs the protocol.
    pub async fn sign_protocol(&self, actor: &Actor, id: i64) -> Result<MeetingView, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (m, _dir) = self.load_for_update(&mut *tx, id).await?;
        let person = actor.person_id.ok_or(AppError::Forbidden)?;
        let commission = tx.commission(m.id).await?;
        let member = commission
            .iter()
            .find(|c| c.person_id == person)
            .ok_or(AppError::Forbidden)?;
        let status = status_of(&m)?;
        if status != MeetingStatus::Completed {
            return Err(AppError::InvalidTransition {
                from: status.code(),
                transition: "sign_protocol",
            });
        }
        if m.protocol_summary.is_none() {
            return Err(AppError::invalid(
                "",
                "protocol_missing",
                "the protocol has not been written yet",
            ));
        }
        if member.checked_in_us.is_none() {
            return Err(AppError::invalid(
                "",
                "not_present",
                "only commission members who were present sign the protocol",
            ));
        }
        if member.signed_us.is_none() {
            tx.update_commission_member(&CommissionRow {
                signed_us: Some(to_us(now)),
                ..member.clone()
            })
            .await?;
            events::record(
                &mut *tx,
                now,
                "meeting.protocol_signed",
                &subject_of(m.id),
                Some(actor),
                json!({"commission_member": person}),
            )
            .await?;
        }
        tx.commit().await?;
        self.view_after_commit(m.id).await
    }

    /// `publish`: the complete record goes to the public register, once every present commission
    /// member has signed the protocol.
    pub async fn publish_meeting(&self, actor: &Actor, id: i64) -> Result<MeetingView, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (mut m, dir) = self.load_for_update(&mut *tx, id).await?;
        if !Self::may_manage(actor, m.org_id, &dir.tree) {
            return Err(AppError::Forbidden);
        }
        let next = transition(&m, Transition::Publish)?;
        if m.protocol_summary.is_none() {
            return Err(AppError::invalid(
                "",
                "protocol_missing",
                "the protocol has not been written yet",
            ));
        }
        let unsigned = tx
            .commission(m.id)
            .await?
            .iter()
            .filter(|c| c.checked_in_us.is_some() && c.signed_us.is_none())
            .count();
        if unsigned > 0 {
            return Err(AppError::invalid(
                "",
                "protocol_not_signed",
                format!("{unsigned} commission member(s) present have not signed the protocol"),
            ));
        }
        m.status = next.code().into();
        m.updated_us = to_us(now);
        self.commit_change(tx, &m, actor, now, "meeting.published", json!({}))
            .await
    }

    /// The business confirms the record of a meeting that took place.
    pub async fn confirm_meeting(&self, actor: &Actor, id: i64) -> Result<MeetingView, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let (mut m, _dir) = self.load_for_update(&mut *tx, id).await?;
        if actor.business_id != Some(m.business_id) {
            return Err(AppError::Forbidden);
        }
        let status = status_of(&m)?;
        if !matches!(status, MeetingStatus::Completed | MeetingStatus::Published) {
            return Err(AppError::InvalidTransition {
                from: status.code(),
                transition: "confirm",
            });
        }
        if m.business_confirmed_us.is_none() {
            m.business_confirmed_us = Some(to_us(now));
            m.updated_us = to_us(now);
            tx.update_meeting(&m).await?;
            events::record(
                &mut *tx,
                now,
                "meeting.confirmed_by_business",
                &subject_of(m.id),
                Some(actor),
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        self.view_after_commit(m.id).await
    }

    /// Stores the changed meeting, records its event, commits, and answers with the new view.
    async fn commit_change(
        &self,
        mut tx: Box<dyn Tx>,
        m: &MeetingRow,
        actor: &Actor,
        now: Timestamp,
        kind: &str,
        data: Value,
    ) -> Result<MeetingView, AppError> {
        tx.update_meeting(m).await?;
        events::record(&mut *tx, now, kind, &subject_of(m.id), Some(actor), data).await?;
        tx.commit().await?;
        self.view_after_commit(m.id).await
    }

    /// A meeting as `viewer` may see it: listed meetings are public (without private data);
    /// others only for participants and the organisation's officials, compliance and auditors.
    pub async fn get_meeting(
        &self,
        viewer: Option<&Actor>,
        id: i64,
    ) -> Result<MeetingView, AppError> {
        let mut tx = self.store.read().await?;
        let (m, dir, commission, insider) = self.visible_meeting(&mut *tx, viewer, id).await?;
        self.meeting_view(&mut *tx, &dir, m, commission, insider)
            .await
    }

    /// Reads a meeting `viewer` may see, and whether they see it as an insider (participant or
    /// staff of its organisation); a meeting they may not see is "not found".
    pub(crate) async fn visible_meeting(
        &self,
        tx: &mut dyn Tx,
        viewer: Option<&Actor>,
        id: i64,
    ) -> Result<(MeetingRow, Arc<Directory>, Vec<CommissionRow>, bool), AppError> {
        let (m, dir) = self.load_for_update(tx, id).await?;
        let commission = tx.commission(m.id).await?;
        let insider = viewer.is_some_and(|a| {
            a.person_id == Some(m.host_id)
                || a.business_id == Some(m.business_id)
                || a.person_id
                    .is_some_and(|p| commission.iter().any(|c| c.person_id == p))
                || Self::may_manage(a, m.org_id, &dir.tree)
                || a.has_role_for(Role::Auditor, m.org_id, &dir.tree)
        });
        if !insider && !m.listed {
            return Err(AppError::NotFound("meeting"));
        }
        Ok((m, dir, commission, insider))
    }

    /// The full view of a meeting just changed, read after the commit (off the writer).
    async fn view_after_commit(&self, id: i64) -> Result<MeetingView, AppError> {
        let mut tx = self.store.read().await?;
        let (m, dir) = self.load_for_update(&mut *tx, id).await?;
        let commission = tx.commission(m.id).await?;
        self.meeting_view(&mut *tx, &dir, m, commission, true).await
    }

    /// The view of `m` (already read, with its commission rows) in the snapshot `dir`.
    async fn meeting_view(
        &self,
        tx: &mut dyn Tx,
        dir: &Directory,
        m: MeetingRow,
        commission: Vec<CommissionRow>,
        full: bool,
    ) -> Result<MeetingView, AppError> {
        let org = dir
            .tree
            .get(m.org_id)
            .ok_or(AppError::NotFound("organisation"))?;
        let host = dir
            .people
            .get(&m.host_id)
            .ok_or(AppError::NotFound("person"))?;
        let business = dir
            .businesses
            .get(&m.business_id)
            .ok_or(AppError::NotFound("business"))?
            .clone();
        let room = m.room_id.and_then(|r| dir.rooms.get(&r)).map(|r| RoomRef {
            id: r.id,
            code: r.code.clone(),
            name: r.name.clone(),
            building: r.building.clone(),
            floor: r.floor,
        });
        let commission = commission
            .into_iter()
            .filter_map(|c| {
                dir.people.get(&c.person_id).map(|p| CommissionMemberView {
                    person: person_ref(p),
                    checked_in: c.checked_in_us.map(from_us),
                    signed: c.signed_us.map(from_us),
                })
            })
            .collect();
        let (representatives, overrides) = if full {
            let reps = tx
                .representatives(m.id)
                .await?
                .into_iter()
                .map(|r| RepresentativeView {
                    full_name: r.full_name,
                    role: r.role,
                    iin: r.iin,
                    phone: r.phone,
                })
                .collect();
            let rows = tx.overrides(m.id).await?;
            let accounts = if rows.is_empty() {
                Vec::new()
            } else {
                tx.accounts().await?
            };
            let ovs = rows
                .into_iter()
                .map(|o| OverrideView {
                    rule: o.rule,
                    justification: o.justification,
                    by: accounts
                        .iter()
                        .find(|a| a.id == o.account_id)
                        .map(|a| a.login.clone())
                        .unwrap_or_default(),
                    at: from_us(o.at_us),
                })
                .collect();
            (reps, ovs)
        } else {
            (Vec::new(), Vec::new())
        };
        let events = tx
            .events_of(&subject_of(m.id))
            .await?
            .into_iter()
            .map(|e| EventRef {
                seq: e.seq,
                kind: e.kind,
                at: from_us(e.at_us),
            })
            .collect();
        Ok(MeetingView {
            id: m.id,
            status: m.status.clone(),
            subject: m.subject.clone(),
            kind: m.kind.clone(),
            organisation: org_ref(org),
            host: person_ref(host),
            business: BusinessRef {
                id: business.id,
                bin: business.bin,
                name: business.name,
            },
            room,
            wished_from: from_us(m.wished_from_us),
            wished_to: from_us(m.wished_to_us),
            start: m.start_us.map(from_us),
            end: m.end_us.map(from_us),
            actual_start: m.actual_start_us.map(from_us),
            actual_end: m.actual_end_us.map(from_us),
            commission,
            host_checked_in: m.host_checked_in_us.map(from_us),
            business_checked_in: m.business_checked_in_us.map(from_us),
            representatives,
            reason: if full || m.status == "cancelled" {
                m.reason.clone()
            } else {
                None
            },
            protocol_summary: m.protocol_summary.clone(),
            protocol_outcome: m.protocol_outcome.clone(),
            business_confirmed: m.business_confirmed_us.map(from_us),
            overrides,
            events,
            time_zone: org.time_zone.clone(),
            ocids: dir.ocids_of(m.business_id, m.org_id),
        })
    }

    /// The public register: meetings from `scheduled` on, newest first, filtered and keyset-paged.
    pub async fn register(&self, q: RegisterQuery) -> Result<RegisterPage, AppError> {
        let mut errors = Vec::new();
        let limit = q.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                "out_of_range",
                "limit must be between 1 and 200",
            ));
        }
        let bin = match q.business_bin.as_deref() {
            Some(b) => match Bin::parse(b) {
                Ok(b) => Some(b),
                Err(e) => {
                    errors.push(FieldError::new(
                        "business_bin",
                        "invalid_bin",
                        format!("BIN {b}: {e}"),
                    ));
                    None
                }
            },
            None => None,
        };
        if let Some(s) = &q.status
            && MeetingStatus::parse(s).is_none()
        {
            errors.push(FieldError::new(
                "status",
                "invalid_status",
                format!("unknown status {s}"),
            ));
        }
        if let (Some(a), Some(b)) = (q.from, q.to)
            && b <= a
        {
            errors.push(FieldError::new(
                "to",
                "end_before_start",
                "to must be after from",
            ));
        }
        let before = match &q.cursor {
            Some(c) => match decode_cursor(c) {
                Some(v) => Some(v),
                None => {
                    errors.push(FieldError::new(
                        "cursor",
                        "invalid_cursor",
                        "the cursor is not one this server issued",
                    ));
                    None
                }
            },
            None => None,
        };
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let tree = &dir.tree;
        let org_ids = match &q.organisation {
            Some(code) => match tree
                .by_code(code)
                .or_else(|| code.parse::<i64>().ok().and_then(|id| tree.get(id)))
            {
                // The whole tree is no filter at all.
                Some(o) if o.parent_id.is_none() => None,
                Some(o) => Some(tree.subtree(o.id)),
                None => {
                    errors.push(FieldError::new(
                        "organisation",
                        "unknown_organisation",
                        format!("no organisation {code}"),
                    ));
                    None
                }
            },
            None => None,
        };
        check(errors)?;
        let business_id = match bin {
            Some(b) => match tx.business_by_bin(b.as_str()).await? {
                Some(found) => Some(found.id),
                None => {
                    return Ok(RegisterPage {
                        items: Vec::new(),
                        next: None,
                        organisations: tree.orgs.iter().map(org_ref).collect(),
                    });
                }
            },
            None => None,
        };
        let filter = RegisterFilter {
            org_ids,
            business_id,
            from_us: q.from.map(to_us),
            to_us: q.to.map(to_us),
            status: q.status.clone(),
            before,
            limit: limit + 1,
        };
        let mut rows = tx.register(&filter).await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|r| encode_cursor(r.start_us.unwrap_or(0), r.id))
        } else {
            None
        };
        let items = rows.into_iter().map(|r| register_item(r, tree)).collect();
        Ok(RegisterPage {
            items,
            next,
            organisations: tree.orgs.iter().map(org_ref).collect(),
        })
    }

    /// Meetings the actor works on: an official's organisation, a commission member's assignments,
    /// a business's own meetings, a compliance officer's or auditor's subtree.
    pub async fn my_meetings(
        &self,
        actor: &Actor,
        status: Option<String>,
    ) -> Result<Vec<RegisterItem>, AppError> {
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let tree = &dir.tree;
        let mut filter = WorkFilter {
            status,
            limit: 200,
            ..Default::default()
        };
        if let Some(b) = actor.business_id {
            filter.business_id = Some(b);
        } else {
            let mut orgs = actor.orgs_with(Role::Official, tree);
            orgs.extend(actor.orgs_with(Role::Compliance, tree));
            orgs.extend(actor.orgs_with(Role::Auditor, tree));
            if orgs.is_empty() {
                match actor.person_id {
                    Some(p) if actor.has_role(Role::Commission) => {
                        filter.commission_member = Some(p)
                    }
                    _ => return Ok(Vec::new()),
                }
            } else {
                orgs.sort_unstable();
                orgs.dedup();
                filter.org_ids = Some(orgs);
            }
        }
        let rows = tx.meetings_for(&filter).await?;
        Ok(rows.into_iter().map(|r| register_item(r, tree)).collect())
    }
}

/// A finding with its message arguments, formatted in the organisation's zone.
pub fn describe(dir: &Directory, f: &Finding, tz: &jiff::tz::TimeZone) -> RuleFinding {
    // Kazakhstan's usual form, the same in Russian, Kazakh and English documents: 20.03.2026 19:00–20:00.
    let fmt_times = |ivs: &[Interval]| {
        let day = |d: jiff::civil::Date| format!("{:02}.{:02}.{}", d.day(), d.month(), d.year());
        ivs.iter()
            .map(|iv| {
                let a = tz.to_datetime(iv.start());
                let b = tz.to_datetime(iv.end());
                let end_day = if b.date() == a.date() {
                    String::new()
                } else {
                    format!("{} ", day(b.date()))
                };
                format!(
                    "{} {:02}:{:02}–{end_day}{:02}:{:02}",
                    day(a.date()),
                    a.hour(),
                    a.minute(),
                    b.hour(),
                    b.minute()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut args: Vec<(&'static str, String)> = Vec::new();
    match &f.detail {
        Detail::None => {}
        Detail::Quorum { required, actual } => {
            args.push(("required", required.to_string()));
            args.push(("actual", actual.to_string()));
        }
        Detail::People(ids) => {
            let names: Vec<String> = ids
                .iter()
                .map(|id| {
                    dir.people
                        .get(&id.0)
                        .map(|p| p.full_name.clone())
                        .unwrap_or_else(|| id.to_string())
                })
                .collect();
            args.push(("people", names.join(", ")));
        }
        Detail::Meetings(ids) => args.push((
            "meetings",
            ids.iter()
                .map(|m| format!("#{m}"))
                .collect::<Vec<_>>()
                .join(", "),
        )),
        Detail::Outside(ivs) => args.push(("times", fmt_times(ivs))),
        Detail::TenderWinner { reference, outside } => {
            args.push(("contract", reference.clone()));
            args.push(("times", fmt_times(outside)));
        }
        Detail::Unreliable { registry, since } => {
            args.push(("registry", registry.clone()));
            args.push((
                "since",
                format!("{:02}.{:02}.{}", since.day(), since.month(), since.year()),
            ));
        }
        Detail::Inputs(ids) => args.push((
            "inputs",
            ids.iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(", "),
        )),
        Detail::Coverage(cov) => args.push((
            "coverage",
            cov.iter()
                .map(|c| format!("#{}: {:.2} %", c.input, c.share * 100.0))
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
    RuleFinding {
        rule: f.rule.code(),
        severity: f.severity.code(),
        args,
    }
}

pub(crate) fn register_item(r: glassroom_store::RegisterRow, tree: &OrgTree) -> RegisterItem {
    let organisation = tree.get(r.org_id).map(org_ref).unwrap_or(OrgRef {
        id: r.org_id,
        code: r.org_code.clone(),
        kind: String::new(),
        name_ru: r.org_name_ru.clone(),
        name_kk: r.org_name_kk.clone(),
        name_en: r.org_name_en.clone(),
        parent_id: None,
    });
    RegisterItem {
        id: r.id,
        status: r.status,
        subject: r.subject,
        kind: r.kind,
        start: r.start_us.map(from_us),
        end: r.end_us.map(from_us),
        organisation,
        host_name: r.host_name,
        host_position_ru: r.host_position_ru,
        business_bin: r.business_bin,
        business_name: r.business_name,
        room_name: r.room_name,
        outcome: r.protocol_outcome,
    }
}

pub fn org_ref(o: &glassroom_store::OrgRow) -> OrgRef {
    OrgRef {
        id: o.id,
        code: o.code.clone(),
        kind: o.kind.clone(),
        name_ru: o.name_ru.clone(),
        name_kk: o.name_kk.clone(),
        name_en: o.name_en.clone(),
        parent_id: o.parent_id,
    }
}

pub fn person_ref(p: &glassroom_store::PersonRow) -> PersonRef {
    PersonRef {
        id: p.id,
        code: p.code.clone(),
        full_name: p.full_name.clone(),
        position_ru: p.position_ru.clone(),
        position_kk: p.position_kk.clone(),
        position_en: p.position_en.clone(),
    }
}

fn encode_cursor(start_us: i64, id: i64) -> String {
    format!("{start_us}.{id}")
}

fn decode_cursor(c: &str) -> Option<(i64, i64)> {
    let (a, b) = c.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}
