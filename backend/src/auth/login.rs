//! Signing in with a username and password.

use chrono::Utc;

use super::model::User;
use super::password;
use super::sessions::{self, SessionPolicy, Started};
use super::throttle::{self, ThrottlePolicy};
use super::users;
use crate::audit;
use crate::db::Db;
use crate::error::AppError;

#[derive(Debug)]
pub enum LoginError {
    /// Wrong name or password, or an inactive account: one message for all.
    Invalid,
    /// Too many failures for this name or address.
    Throttled {
        retry_after_secs: i64,
    },
    Failed(AppError),
}

impl From<AppError> for LoginError {
    fn from(e: AppError) -> Self {
        LoginError::Failed(e)
    }
}

impl From<sea_orm::DbErr> for LoginError {
    fn from(e: sea_orm::DbErr) -> Self {
        LoginError::Failed(e.into())
    }
}

pub const INVALID_MESSAGE: &str = "That username and password do not match an active account.";

pub async fn login(
    db: &Db,
    username: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
    sessions_policy: SessionPolicy,
    throttle_policy: &ThrottlePolicy,
) -> Result<(User, Started), LoginError> {
    let now = Utc::now();
    let keys = [throttle::user_key(username), throttle::address_key(ip)];
    // The attempt counts before its password is checked, so a burst cannot outrun the limit.
    if let Some(secs) = throttle::reserve(db, &keys, throttle_policy, now).await? {
        crate::metrics::sign_in_throttled();
        return Err(LoginError::Throttled { retry_after_secs: secs });
    }
    let row = if username.trim().is_empty() { None } else { users::find_by_username(db.conn(), username).await? };
    let hash = row.as_ref().map(|r| r.password_hash.clone());
    let matches = password::verify(password.to_owned(), hash).await;
    let ok = matches && row.as_ref().is_some_and(|r| r.active);
    throttle::settle(db, &keys, !ok, throttle_policy, Utc::now()).await?;
    let user = match row {
        Some(r) if ok => User::try_from(r)?,
        _ => {
            tracing::warn!(username = %username.chars().take(64).collect::<String>(), ip, "sign-in refused");
            crate::metrics::sign_in_failed();
            return Err(LoginError::Invalid);
        }
    };
    let started = sessions::start(db, &user, user_agent, ip, sessions_policy, now).await?;
    let txn = db.write().await?;
    users::record_sign_in(&*txn, user.id, now).await?;
    audit::record(&txn, &user.ctx(), "auth.login", "user", user.id, None, Some(serde_json::json!({"ip": ip}))).await?;
    txn.commit().await?;
    Ok((User { last_sign_in_at: Some(now), ..user }, started))
}
