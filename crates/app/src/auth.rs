//! Accounts, bearer tokens and SPEC's roles.

use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::context::OrgTree;
use crate::{App, AppError, events};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Official,
    Commission,
    Compliance,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Official,
        Role::Commission,
        Role::Compliance,
        Role::Auditor,
        Role::Admin,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Role::Official => "official",
            Role::Commission => "commission",
            Role::Compliance => "compliance",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }
    /// Whether a role held at an organisation reaches down into its subtree.
    fn covers_subtree(self) -> bool {
        !matches!(self, Role::Official)
    }
}

/// Who is calling: an account, the person or business behind it, and the person's roles.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: i64,
    pub login: String,
    pub person_id: Option<i64>,
    pub business_id: Option<i64>,
    pub roles: Vec<(Role, i64)>,
}

impl Actor {
    /// Holds `role` for `org`: at the organisation itself, or (for every role but `official`, which
    /// is for one's own organisation only) at an ancestor.
    pub fn has_role_for(&self, role: Role, org: i64, tree: &OrgTree) -> bool {
        self.roles.iter().any(|(r, at)| {
            *r == role && (*at == org || (role.covers_subtree() && tree.is_ancestor(*at, org)))
        })
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|(r, _)| *r == role)
    }
    /// Organisations where the actor holds `role`, with their subtrees where the role reaches down.
    pub fn orgs_with(&self, role: Role, tree: &OrgTree) -> Vec<i64> {
        let mut out: Vec<i64> = Vec::new();
        for (r, at) in &self.roles {
            if *r == role {
                if role.covers_subtree() {
                    out.extend(tree.subtree(*at));
                } else {
                    out.push(*at);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The actor of an account: its person's roles, or its business.
async fn actor_of(
    tx: &mut dyn glassroom_store::Tx,
    account: glassroom_store::AccountRow,
) -> Result<Actor, AppError> {
    let roles = match account.person_id {
        Some(p) => tx
            .roles_of(p)
            .await?
            .into_iter()
            .filter_map(|r| Role::parse(&r.role).map(|role| (role, r.org_id)))
            .collect(),
        None => Vec::new(),
    };
    Ok(Actor {
        account_id: account.id,
        login: account.login,
        person_id: account.person_id,
        business_id: account.business_id,
        roles,
    })
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl App {
    /// Resolves a bearer token to its actor.
    pub async fn authenticate(&self, token: &str) -> Result<Actor, AppError> {
        let mut tx = self.store.read().await?;
        let account = tx
            .account_by_token(&hash_token(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if account.disabled {
            return Err(AppError::Unauthenticated);
        }
        actor_of(&mut *tx, account).await
    }

    /// Issues a fresh API token for `login`. Only its hash is stored; issuing it is an event.
    pub async fn issue_token(&self, login: &str) -> Result<String, AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let account = tx
            .account_by_login(login)
            .await?
            .ok_or(AppError::NotFound("account"))?;
        if account.disabled {
            return Err(AppError::invalid(
                "login",
                "account_disabled",
                format!("account {login} is disabled"),
            ));
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("gr_{}", hex::encode(bytes));
        let hash = hash_token(&token);
        tx.insert_token(&hash, account.id, crate::time::to_us(now))
            .await?;
        events::record(
            &mut *tx,
            now,
            "account.token_issued",
            &format!("account:{}", account.login),
            None,
            json!({ "token_sha256_prefix": &hash[..12] }),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }
}

impl App {
    /// The actor behind a login, for trusted callers (the CLI, the demo seeder, tests).
    pub async fn actor_by_login(&self, login: &str) -> Result<Actor, AppError> {
        let mut tx = self.store.read().await?;
        let account = tx
            .account_by_login(login)
            .await?
            .ok_or(AppError::NotFound("account"))?;
        actor_of(&mut *tx, account).await
    }
}
