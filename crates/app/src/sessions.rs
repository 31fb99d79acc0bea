//! Signing in to the web application: passwords (argon2id), sessions kept in our own store (only
//! the SHA-256 of the session token is stored), a CSRF token per session, and a limit on failed
//! attempts per account and per client address.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use serde_json::json;

use glassroom_store::SessionRow;

use crate::auth::{Actor, hash_token};
use crate::time::to_us;
use crate::{App, AppError, events};

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins allowed per account and per client address within [`WINDOW_MINUTES`].
pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MINUTES: i64 = 15;
/// Shortest password an account may be given.
pub const MIN_PASSWORD: usize = 10;

/// Recent failed sign-ins, by `login:<name>` and `client:<address>` (per server process).
#[derive(Default)]
pub struct Failures(Mutex<HashMap<String, Vec<i64>>>);

impl Failures {
    fn recent(&self, key: &str, now_us: i64) -> usize {
        let window = WINDOW_MINUTES * 60_000_000;
        self.0
            .lock()
            .map(|mut m| {
                let v = m.entry(key.to_owned()).or_default();
                v.retain(|t| now_us - t < window);
                v.len()
            })
            .unwrap_or(0)
    }
    fn add(&self, key: &str, now_us: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.entry(key.to_owned()).or_default().push(now_us);
        }
    }
    fn clear(&self, key: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(key);
        }
    }
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    /// Every form of the session carries it; a POST without it is refused.
    pub csrf: String,
}

fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// An argon2id PHC string for `password`.
/// Refuses a password shorter than [`MIN_PASSWORD`] characters.
pub fn check_password_length(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::invalid(
            "password",
            "too_short",
            format!("a password needs at least {MIN_PASSWORD} characters"),
        ));
    }
    Ok(())
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verified against when the account does not exist, so a wrong login costs the same time as a
/// wrong password (no account enumeration by timing).
static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl App {
    /// Gives `login` a password (at least [`MIN_PASSWORD`] characters); an event records that it
    /// changed, never the password.
    pub async fn set_password(&self, login: &str, password: &str) -> Result<(), AppError> {
        check_password_length(password)?;
        let hash = hash_password(password)?;
        self.set_password_hash(login, &hash).await
    }

    /// As [`App::set_password`] with a hash made already (the demo gives all its accounts one).
    pub async fn set_password_hash(&self, login: &str, hash: &str) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let account = tx
            .account_by_login(login)
            .await?
            .ok_or(AppError::NotFound("account"))?;
        tx.set_password(account.id, hash, to_us(now)).await?;
        events::record(
            &mut *tx,
            now,
            "account.password_set",
            &format!("account:{}", account.login),
            None,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signs in: returns the session token (for the cookie) and the session. `client` is the
    /// caller's address, for the failed-attempt limit.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        client: &str,
    ) -> Result<(String, Session), AppError> {
        let now_us = to_us(self.clock.now());
        let (by_login, by_client) = (
            format!("login:{}", login.trim()),
            format!("client:{client}"),
        );
        if self.failures.recent(&by_login, now_us) >= MAX_FAILURES
            || self.failures.recent(&by_client, now_us) >= MAX_FAILURES * 4
        {
            return Err(AppError::invalid(
                "login",
                "too_many_attempts",
                format!("too many failed sign-ins; wait {WINDOW_MINUTES} minutes"),
            ));
        }
        let mut tx = self.store.write().await?;
        let account = tx.account_by_login(login.trim()).await?;
        let hash = match &account {
            Some(a) => tx.password_of(a.id).await?,
            None => None,
        };
        let phc = hash.clone().unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| hash_password("not a password at all").unwrap_or_default())
                .clone()
        });
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &phc))
            .await
            .unwrap_or(false);
        let account = match account {
            Some(a) if ok && hash.is_some() && !a.disabled => a,
            _ => {
                self.failures.add(&by_login, now_us);
                self.failures.add(&by_client, now_us);
                return Err(AppError::invalid(
                    "password",
                    "wrong_credentials",
                    "wrong login or password",
                ));
            }
        };
        self.failures.clear(&by_login);
        let token = format!("grs_{}", random_hex(32));
        let csrf = random_hex(16);
        tx.delete_expired_sessions(now_us).await?;
        tx.insert_session(&SessionRow {
            id_hash: hash_token(&token),
            account_id: account.id,
            csrf: csrf.clone(),
            created_us: now_us,
            expires_us: now_us + SESSION_HOURS * 3_600_000_000,
        })
        .await?;
        tx.commit().await?;
        let actor = self.actor_by_login(&account.login).await?;
        Ok((token, Session { actor, csrf }))
    }

    /// The session behind a cookie's token.
    pub async fn session(&self, token: &str) -> Result<Session, AppError> {
        let mut tx = self.store.read().await?;
        let s = tx
            .session(&hash_token(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if s.expires_us <= to_us(self.clock.now()) {
            return Err(AppError::Unauthenticated);
        }
        let account = tx
            .accounts()
            .await?
            .into_iter()
            .find(|a| a.id == s.account_id)
            .ok_or(AppError::Unauthenticated)?;
        if account.disabled {
            return Err(AppError::Unauthenticated);
        }
        drop(tx);
        Ok(Session {
            actor: self.actor_by_login(&account.login).await?,
            csrf: s.csrf,
        })
    }

    /// Ends a session.
    pub async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        tx.delete_session(&hash_token(token)).await?;
        tx.commit().await?;
        Ok(())
    }
}
