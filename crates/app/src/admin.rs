//! Directory reads and administration: who may see the directory, input states set by
//! administrators (until the recorder reports them), violation cases, a meeting's events.

use serde_json::json;

use glassroom_domain::rules::InputState;
use glassroom_store::{BusinessRow, EventRow, InputRow, PersonRow, RoomRow, ViolationRow};

use crate::auth::{Actor, Role};
use crate::context::OrgTree;
use crate::time::to_us;
use crate::views::OrgRef;
use crate::{App, AppError, events};

/// A room with its inputs.
#[derive(Debug, Clone)]
pub struct RoomWithInputs {
    pub room: RoomRow,
    pub inputs: Vec<InputRow>,
}

/// A signed-in actor's profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub login: String,
    pub person: Option<PersonRow>,
    pub business: Option<BusinessRow>,
    pub roles: Vec<(Role, OrgRef)>,
}

fn staff(actor: &Actor) -> bool {
    actor.person_id.is_some() && !actor.roles.is_empty()
}

/// An official who can host a meeting, as a business picks one when requesting.
#[derive(Debug, Clone)]
pub struct HostOption {
    pub organisation: OrgRef,
    pub person: crate::views::PersonRef,
}

impl App {
    /// Officials who host meetings, per organisation (names and positions are public).
    pub async fn hosts(&self) -> Result<Vec<HostOption>, AppError> {
        let mut tx = self.store.read().await?;
        let orgs: std::collections::HashMap<i64, OrgRef> = tx
            .organisations()
            .await?
            .iter()
            .map(|o| (o.id, crate::meetings::org_ref(o)))
            .collect();
        let people: std::collections::HashMap<i64, glassroom_store::PersonRow> =
            tx.people().await?.into_iter().map(|p| (p.id, p)).collect();
        let mut out: Vec<HostOption> = tx
            .roles()
            .await?
            .into_iter()
            .filter(|r| r.role == "official")
            .filter_map(|r| {
                let p = people.get(&r.person_id)?;
                Some(HostOption {
                    organisation: orgs.get(&r.org_id)?.clone(),
                    person: crate::views::PersonRef {
                        id: p.id,
                        code: p.code.clone(),
                        full_name: p.full_name.clone(),
                        position_ru: p.position_ru.clone(),
                        position_kk: p.position_kk.clone(),
                        position_en: p.position_en.clone(),
                    },
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (a.organisation.id, &a.person.full_name).cmp(&(b.organisation.id, &b.person.full_name))
        });
        Ok(out)
    }

    pub async fn organisations(&self) -> Result<Vec<OrgRef>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(tx
            .organisations()
            .await?
            .iter()
            .map(crate::meetings::org_ref)
            .collect())
    }

    pub async fn profile(&self, actor: &Actor) -> Result<Profile, AppError> {
        let mut tx = self.store.read().await?;
        let tree = OrgTree::load(&mut *tx).await?;
        let person = match actor.person_id {
            Some(p) => tx.person(p).await?,
            None => None,
        };
        let business = match actor.business_id {
            Some(b) => tx.business(b).await?,
            None => None,
        };
        let roles = actor
            .roles
            .iter()
            .filter_map(|(r, o)| tree.get(*o).map(|org| (*r, crate::meetings::org_ref(org))))
            .collect();
        Ok(Profile {
            login: actor.login.clone(),
            person,
            business,
            roles,
        })
    }

    /// People of the directory, without private data. Staff only.
    pub async fn people(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(PersonRow, Vec<(Role, i64)>)>, AppError> {
        if !staff(actor) {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.store.read().await?;
        let roles = tx.roles().await?;
        let people = tx.people().await?;
        Ok(people
            .into_iter()
            .map(|p| {
                let r = roles
                    .iter()
                    .filter(|r| r.person_id == p.id)
                    .filter_map(|r| Role::parse(&r.role).map(|role| (role, r.org_id)))
                    .collect();
                (
                    PersonRow {
                        iin: None,
                        phone: None,
                        ..p
                    },
                    r,
                )
            })
            .collect())
    }

    pub async fn rooms(&self, actor: &Actor) -> Result<Vec<RoomWithInputs>, AppError> {
        if !staff(actor) {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.store.read().await?;
        let inputs = tx.inputs().await?;
        Ok(tx
            .rooms()
            .await?
            .into_iter()
            .map(|room| RoomWithInputs {
                inputs: inputs
                    .iter()
                    .filter(|i| i.room_id == room.id)
                    .cloned()
                    .collect(),
                room,
            })
            .collect())
    }

    /// Businesses are public data (name, BIN); the address only for staff.
    pub async fn business_by_bin(
        &self,
        actor: Option<&Actor>,
        bin: &str,
    ) -> Result<BusinessRow, AppError> {
        let bin = glassroom_domain::Bin::parse(bin)
            .map_err(|e| AppError::invalid("bin", "invalid_bin", format!("BIN {bin}: {e}")))?;
        let mut tx = self.store.read().await?;
        let b = tx
            .business_by_bin(bin.as_str())
            .await?
            .ok_or(AppError::NotFound("business"))?;
        let show_address =
            actor.is_some_and(staff) || actor.is_some_and(|a| a.business_id == Some(b.id));
        Ok(if show_address {
            b
        } else {
            BusinessRow { address: None, ..b }
        })
    }

    /// Sets an input's state (administrators, until the recorder reports states itself).
    pub async fn set_input_state(
        &self,
        actor: &Actor,
        input_id: i64,
        state: &str,
    ) -> Result<InputRow, AppError> {
        self.change_input_state(Some(actor), input_id, state, None)
            .await
    }

    /// The recorder reports an input's state (no account: the system itself), with the reason.
    pub async fn recorder_input_state(
        &self,
        input_id: i64,
        state: &str,
        detail: &str,
    ) -> Result<InputRow, AppError> {
        self.change_input_state(None, input_id, state, Some(detail))
            .await
    }

    async fn change_input_state(
        &self,
        actor: Option<&Actor>,
        input_id: i64,
        state: &str,
        detail: Option<&str>,
    ) -> Result<InputRow, AppError> {
        let now = self.clock.now();
        let parsed = InputState::parse(state).ok_or_else(|| {
            AppError::invalid(
                "state",
                "invalid_state",
                format!("state {state} is not one of recording, ready, reconnecting, offline"),
            )
        })?;
        let mut tx = self.store.write().await?;
        let tree = OrgTree::load(&mut *tx).await?;
        let input = tx
            .inputs()
            .await?
            .into_iter()
            .find(|i| i.id == input_id)
            .ok_or(AppError::NotFound("input"))?;
        let room = tx
            .room(input.room_id)
            .await?
            .ok_or(AppError::NotFound("room"))?;
        if let Some(actor) = actor
            && !actor.has_role_for(Role::Admin, room.org_id, &tree)
        {
            return Err(AppError::Forbidden);
        }
        if input.state == parsed.code() {
            return Ok(input);
        }
        let updated = InputRow {
            state: parsed.code().into(),
            state_since_us: to_us(now),
            ..input
        };
        tx.update_input(&updated).await?;
        tx.log_input_state(updated.id, to_us(now), parsed.code())
            .await?;
        events::record(
            &mut *tx,
            now,
            "room.input_state",
            &format!("room:{}", room.code),
            actor,
            match detail {
                Some(d) if !d.is_empty() => {
                    json!({"input": updated.code, "state": parsed.code(), "reason": d})
                }
                _ => json!({"input": updated.code, "state": parsed.code()}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Violation cases in the actor's compliance or auditor subtree.
    pub async fn violations(&self, actor: &Actor) -> Result<Vec<ViolationRow>, AppError> {
        let mut tx = self.store.read().await?;
        let tree = OrgTree::load(&mut *tx).await?;
        let mut orgs = actor.orgs_with(Role::Compliance, &tree);
        orgs.extend(actor.orgs_with(Role::Auditor, &tree));
        if orgs.is_empty() {
            return Err(AppError::Forbidden);
        }
        orgs.sort_unstable();
        orgs.dedup();
        Ok(tx.violations(&orgs).await?)
    }

    /// The events of a meeting, for those who may see the meeting.
    pub async fn meeting_events(
        &self,
        viewer: Option<&Actor>,
        id: i64,
    ) -> Result<Vec<EventRow>, AppError> {
        let mut tx = self.store.read().await?;
        self.visible_meeting(&mut *tx, viewer, id).await?;
        Ok(tx.events_of(&format!("meeting:{id}")).await?)
    }
}
