//! What the signed-in roles' own pages read: a commission member's assignments, an official's
//! calendar, a compliance officer's dashboard, an auditor's search across organisations, and an
//! administrator's view of the directory, calendars and accounts.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde_json::json;

use glassroom_domain::Interval;
use glassroom_store::{AccountRow, OverrideListRow, RoleRow, ViolationRow, WorkFilter};

use crate::admin::RoomWithInputs;
use crate::auth::{Actor, Role};
use crate::context::OrgTree;
use crate::meetings::register_item;
use crate::recorder::InputHealth;
use crate::sessions::hash_password;
use crate::time::{from_us, to_us};
use crate::views::{OrgRef, RegisterItem};
use crate::{App, AppError, events};

/// A compliance officer's view of their subtree.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Meetings scheduled to start today (local day of the organisation's zone), earliest first.
    pub today: Vec<RegisterItem>,
    /// Requests waiting for a decision.
    pub waiting: usize,
    pub inputs: Vec<InputHealth>,
    pub overrides: Vec<OverrideListRow>,
    pub violations: Vec<ViolationRow>,
}

/// An auditor's (or compliance officer's) search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub organisation: Option<i64>,
    pub business_bin: Option<String>,
    pub status: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// One organisation's working calendar over some days: (date, working periods).
#[derive(Debug, Clone)]
pub struct CalendarView {
    pub organisation: OrgRef,
    pub days: Vec<(Date, Vec<Interval>)>,
}

/// The administrator's view.
#[derive(Debug, Clone)]
pub struct AdminView {
    pub organisations: Vec<OrgRef>,
    pub people: Vec<(glassroom_store::PersonRow, Vec<(Role, i64)>)>,
    pub rooms: Vec<RoomWithInputs>,
    /// (account, roles of its person, has a password)
    pub accounts: Vec<(AccountRow, Vec<RoleRow>, bool)>,
    pub calendars: Vec<CalendarView>,
}

/// Days of calendar the administrator's page shows.
const CALENDAR_DAYS: i64 = 14;

impl App {
    fn orgs_for(actor: &Actor, roles: &[Role], tree: &OrgTree) -> Vec<i64> {
        let mut orgs: Vec<i64> = roles
            .iter()
            .flat_map(|r| actor.orgs_with(*r, tree))
            .collect();
        orgs.sort_unstable();
        orgs.dedup();
        orgs
    }

    /// Whether the actor administers the whole directory (an admin at a root organisation).
    pub fn is_root_admin(actor: &Actor, tree: &OrgTree) -> bool {
        tree.orgs
            .iter()
            .filter(|o| o.parent_id.is_none())
            .any(|o| actor.has_role_for(Role::Admin, o.id, tree))
    }

    /// Whether the actor may schedule, start, end and publish meetings of this organisation.
    pub async fn manages(&self, actor: &Actor, org: i64) -> Result<bool, AppError> {
        let mut tx = self.store.read().await?;
        let tree = OrgTree::load(&mut *tx).await?;
        Ok(actor.has_role_for(Role::Official, org, &tree)
            || actor.has_role_for(Role::Compliance, org, &tree))
    }

    /// A business's standing with an organisation today, as the scheduling screen shows it: the
    /// award or contract that makes it a tender winner of the organisation (or its subtree) under
    /// the organisation's look-back, and its listing in a register of unreliable suppliers.
    pub async fn tender_status(
        &self,
        org: i64,
        business: i64,
    ) -> Result<
        (
            Option<glassroom_domain::Award>,
            Option<glassroom_domain::UnreliableListing>,
        ),
        AppError,
    > {
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let today = dir
            .calendar(org)?
            .time_zone()
            .to_datetime(self.clock.now())
            .date();
        let policy = dir.policy(org, today)?;
        Ok((
            dir.tender_award(org, business, today, policy.tender_lookback_months()),
            dir.unreliable(business, today),
        ))
    }

    /// The meetings a commission member sits on, newest first.
    pub async fn assigned(&self, actor: &Actor) -> Result<Vec<RegisterItem>, AppError> {
        let person = match actor.person_id {
            Some(p) if actor.has_role(Role::Commission) => p,
            _ => return Err(AppError::Forbidden),
        };
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let rows = tx
            .meetings_for(&WorkFilter {
                commission_member: Some(person),
                limit: 500,
                ..Default::default()
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| register_item(r, &dir.tree))
            .collect())
    }

    /// The meetings an official hosts that start in `[from, to)`, earliest first.
    pub async fn calendar_of(
        &self,
        actor: &Actor,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RegisterItem>, AppError> {
        let person = match actor.person_id {
            Some(p) if actor.has_role(Role::Official) => p,
            _ => return Err(AppError::Forbidden),
        };
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let mut rows = tx
            .meetings_for(&WorkFilter {
                host_id: Some(person),
                from_us: Some(to_us(from)),
                to_us: Some(to_us(to)),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        rows.reverse();
        Ok(rows
            .into_iter()
            .map(|r| register_item(r, &dir.tree))
            .collect())
    }

    /// A compliance officer's dashboard over their subtree.
    pub async fn dashboard(&self, actor: &Actor) -> Result<Dashboard, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let orgs = Self::orgs_for(actor, &[Role::Compliance], &dir.tree);
        if orgs.is_empty() {
            return Err(AppError::Forbidden);
        }
        let tz = crate::time::zone(crate::time::ORG_ZONE)?;
        let day = tz.to_datetime(now).date();
        let start = tz
            .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let end = tz
            .to_timestamp(
                day.checked_add(1.day())
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .to_datetime(jiff::civil::Time::midnight()),
            )
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut today = tx
            .meetings_for(&WorkFilter {
                org_ids: Some(orgs.clone()),
                from_us: Some(to_us(start)),
                to_us: Some(to_us(end)),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        today.reverse();
        let waiting = tx
            .meetings_for(&WorkFilter {
                org_ids: Some(orgs.clone()),
                status: Some("requested".into()),
                limit: 1000,
                ..Default::default()
            })
            .await?
            .len();
        let overrides = tx.overrides_in(&orgs, 50).await?;
        let violations = tx.violations(&orgs).await?;
        drop(tx);
        let inputs = match self.input_health(actor).await {
            Ok(i) => i,
            Err(AppError::Forbidden) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(Dashboard {
            today: today
                .into_iter()
                .map(|r| register_item(r, &dir.tree))
                .collect(),
            waiting,
            inputs,
            overrides,
            violations,
        })
    }

    /// Every meeting (requests, rejections and cancellations included) in the actor's auditor or
    /// compliance subtree that matches, newest first, at most 500.
    pub async fn search(&self, actor: &Actor, q: &Search) -> Result<Vec<RegisterItem>, AppError> {
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let tree = &dir.tree;
        let mut orgs = Self::orgs_for(actor, &[Role::Auditor, Role::Compliance], tree);
        if orgs.is_empty() {
            return Err(AppError::Forbidden);
        }
        if let Some(o) = q.organisation {
            let within = tree.subtree(o);
            orgs.retain(|x| within.contains(x));
        }
        let mut errors = Vec::new();
        if let Some(s) = &q.status
            && glassroom_domain::meeting::MeetingStatus::parse(s).is_none()
        {
            errors.push(crate::FieldError::new(
                "status",
                "invalid_status",
                format!("unknown status {s}"),
            ));
        }
        let business_id = match q.business_bin.as_deref() {
            Some(b) => match glassroom_domain::Bin::parse(b) {
                Ok(bin) => match tx.business_by_bin(bin.as_str()).await? {
                    Some(found) => Some(found.id),
                    None => return Ok(Vec::new()),
                },
                Err(e) => {
                    errors.push(crate::FieldError::new(
                        "business_bin",
                        "invalid_bin",
                        format!("BIN {b}: {e}"),
                    ));
                    None
                }
            },
            None => None,
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let rows = tx
            .meetings_for(&WorkFilter {
                org_ids: Some(orgs),
                business_id,
                status: q.status.clone(),
                from_us: q.from.map(to_us),
                to_us: q.to.map(to_us),
                limit: 500,
                ..Default::default()
            })
            .await?;
        Ok(rows.into_iter().map(|r| register_item(r, tree)).collect())
    }

    /// The directory, the next two weeks of every organisation's calendar, and the accounts.
    pub async fn admin_view(&self, actor: &Actor) -> Result<AdminView, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        if !Self::is_root_admin(actor, &dir.tree) {
            return Err(AppError::Forbidden);
        }
        let roles = tx.roles().await?;
        let mut accounts = Vec::new();
        for a in tx.accounts().await? {
            let theirs = roles
                .iter()
                .filter(|r| Some(r.person_id) == a.person_id)
                .cloned()
                .collect();
            let has_password = tx.password_of(a.id).await?.is_some();
            accounts.push((a, theirs, has_password));
        }
        drop(tx);
        let organisations = self.organisations().await?;
        let tz = crate::time::zone(crate::time::ORG_ZONE)?;
        let first = tz.to_datetime(now).date();
        let mut calendars = Vec::new();
        for org in &organisations {
            let cal = dir.calendar(org.id)?;
            let mut days = Vec::new();
            for i in 0..CALENDAR_DAYS {
                let Ok(d) = first.checked_add(i.days()) else {
                    break;
                };
                days.push((d, cal.working_periods(d)));
            }
            calendars.push(CalendarView {
                organisation: org.clone(),
                days,
            });
        }
        Ok(AdminView {
            people: self.people(actor).await?,
            rooms: self.rooms(actor).await?,
            organisations,
            accounts,
            calendars,
        })
    }

    /// An administrator sets an account's password; recorded in the ledger with who did it.
    pub async fn reset_password(
        &self,
        by: &Actor,
        login: &str,
        password: &str,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let tree = OrgTree::load(&mut *tx).await?;
        if !Self::is_root_admin(by, &tree) {
            return Err(AppError::Forbidden);
        }
        let account = tx
            .account_by_login(login)
            .await?
            .ok_or(AppError::NotFound("account"))?;
        crate::sessions::check_password_length(password)?;
        let hash = hash_password(password)?;
        tx.set_password(account.id, &hash, to_us(now)).await?;
        events::record(
            &mut *tx,
            now,
            "account.password_set",
            &format!("account:{}", account.login),
            Some(by),
            json!({"by": by.login}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The instant a microsecond value stands for (for the pages).
pub fn at(us: i64) -> Timestamp {
    from_us(us)
}

/// Whose calendar a public feed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Room,
    Official,
    Organisation,
}

/// A public calendar: its name and the listed meetings in it.
#[derive(Debug, Clone)]
pub struct CalendarFeed {
    pub name: String,
    pub meetings: Vec<RegisterItem>,
}

/// Days back and ahead a feed covers.
const FEED_PAST_DAYS: i64 = 90;
const FEED_AHEAD_DAYS: i64 = 400;

impl App {
    /// The meetings of a room, an official (as host) or an organisation (and its subtree) that the
    /// public register lists, from 90 days ago to 400 days ahead: what an iCalendar feed serves.
    pub async fn calendar_feed(&self, feed: Feed, code: &str) -> Result<CalendarFeed, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.read().await?;
        let dir = self.directory(&mut *tx).await?;
        let mut filter = WorkFilter {
            listed: true,
            from_us: Some(to_us(now) - FEED_PAST_DAYS * 86_400_000_000),
            to_us: Some(to_us(now) + FEED_AHEAD_DAYS * 86_400_000_000),
            limit: 2000,
            ..Default::default()
        };
        let name = match feed {
            Feed::Room => {
                let room = dir
                    .rooms
                    .values()
                    .find(|r| r.code == code)
                    .ok_or(AppError::NotFound("room"))?;
                filter.room_id = Some(room.id);
                room.name.clone()
            }
            Feed::Official => {
                let person = dir
                    .people
                    .values()
                    .find(|p| p.code == code)
                    .filter(|p| dir.has_role(p.id, "official", |_| true))
                    .ok_or(AppError::NotFound("official"))?;
                filter.host_id = Some(person.id);
                person.full_name.clone()
            }
            Feed::Organisation => {
                let org = dir
                    .tree
                    .by_code(code)
                    .ok_or(AppError::NotFound("organisation"))?;
                filter.org_ids = Some(dir.tree.subtree(org.id));
                org.name_ru.clone()
            }
        };
        let mut rows = tx.meetings_for(&filter).await?;
        rows.reverse();
        Ok(CalendarFeed {
            name,
            meetings: rows
                .into_iter()
                .map(|r| register_item(r, &dir.tree))
                .collect(),
        })
    }
}

impl App {
    /// The commission members of these (listed) meetings, for the open-data participants file:
    /// (meeting, name, position, checked in, signed). Officials only: no private person's data.
    pub async fn commissions_of(
        &self,
        meeting_ids: &[i64],
    ) -> Result<Vec<(i64, String, String, bool, bool)>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(tx.commissions_of(meeting_ids).await?)
    }
}

impl App {
    /// The version of everything public: the newest ledger event (every change to a meeting is
    /// one) and when it happened. Open-data outputs use it as their ETag and Last-Modified.
    pub async fn public_version(&self) -> Result<(i64, Option<jiff::Timestamp>), AppError> {
        let mut tx = self.store.read().await?;
        let seq = tx.max_event_seq().await?;
        let at = tx
            .events_after(seq - 1, 1)
            .await?
            .first()
            .map(|e| crate::time::from_us(e.at_us));
        Ok((seq, at))
    }
}

/// An open-data dump as sealed in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedDump {
    /// The `opendata.dump` event's sequence number.
    pub seq: i64,
    pub at: Timestamp,
    /// (file, SHA-256, bytes)
    pub files: Vec<(String, String, u64)>,
}

impl App {
    /// The seal of the dump named `name`, if it was sealed (the latest, if more than once).
    pub async fn dump_sealed(&self, name: &str) -> Result<Option<SealedDump>, AppError> {
        Ok(self
            .dump_seals(&[name.to_owned()])
            .await?
            .pop()
            .map(|(_, seal)| seal))
    }

    /// The seals of the dumps named, read in one transaction: (name, seal) for those sealed, in
    /// the order asked.
    pub async fn dump_seals(
        &self,
        names: &[String],
    ) -> Result<Vec<(String, SealedDump)>, AppError> {
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for name in names {
            let Some(e) = tx.events_of(&format!("opendata:{name}")).await?.pop() else {
                continue;
            };
            let body: serde_json::Value = serde_json::from_str(&e.body)
                .map_err(|err| AppError::Internal(format!("event {}: {err}", e.seq)))?;
            let files = body["data"]["files"]
                .as_array()
                .map(|files| {
                    files
                        .iter()
                        .filter_map(|f| {
                            Some((
                                f["file"].as_str()?.to_owned(),
                                f["sha256"].as_str()?.to_owned(),
                                f["bytes"].as_u64()?,
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((
                name.clone(),
                SealedDump {
                    seq: e.seq,
                    at: from_us(e.at_us),
                    files,
                },
            ));
        }
        Ok(out)
    }

    /// Seals an open-data dump in the ledger: one `opendata.dump` event naming each file with its
    /// SHA-256 and size, so anyone holding a file can prove it is the one published. Returns the
    /// event's sequence number.
    pub async fn seal_dump(
        &self,
        name: &str,
        files: &[(String, String, u64)],
    ) -> Result<i64, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let files: Vec<serde_json::Value> = files
            .iter()
            .map(|(f, sha, bytes)| json!({"file": f, "sha256": sha, "bytes": bytes}))
            .collect();
        events::record(
            &mut *tx,
            now,
            "opendata.dump",
            &format!("opendata:{name}"),
            None,
            json!({"dump": name, "files": files}),
        )
        .await?;
        tx.commit().await?;
        // Events take their sequence number at commit.
        Ok(self
            .dump_sealed(name)
            .await?
            .map(|d| d.seq)
            .unwrap_or_default())
    }
}
