//! Login throttling, per account name and per client address, kept in the database so
//! that every instance counts the same failures.
//!
//! After a few failures each further attempt must wait longer (1 s, 2 s, 4 s …); after
//! `max_failures` the key is locked for a while. Keys are the name as typed, whether or not
//! such an account exists, so a refusal never tells who exists.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, IntoActiveModel};

use crate::db::entities::login_throttle as lt;
use crate::error::AppResult;

pub use crate::settings::ThrottlePolicy;

pub fn user_key(username: &str) -> String {
    format!("user:{}", crate::text::key(username).chars().take(128).collect::<String>())
}

pub fn address_key(ip: &str) -> String {
    format!("ip:{}", ip.chars().take(64).collect::<String>())
}

fn limit_for(key: &str, policy: &ThrottlePolicy) -> i32 {
    if key.starts_with("ip:") { policy.max_address_failures } else { policy.max_failures }
}

/// Seconds to wait before another attempt for these keys, or `None` if one may try now.
pub async fn wait<C: ConnectionTrait>(
    conn: &C,
    keys: &[String],
    policy: &ThrottlePolicy,
    now: DateTime<Utc>,
) -> AppResult<Option<i64>> {
    let mut longest: Option<i64> = None;
    for key in keys {
        let Some(row) = lt::Entity::find_by_id(key.clone()).one(conn).await? else { continue };
        let mut until = None;
        if let Some(l) = row.locked_until
            && l > now
        {
            until = Some(l);
        } else if row.first_failure_at + policy.window > now
            && row.failures > policy.free_failures
            && !policy.backoff.is_zero()
        {
            let steps = (row.failures - policy.free_failures - 1).clamp(0, 16) as u32;
            let next = row.last_failure_at + policy.backoff * 2i32.pow(steps);
            if next > now {
                until = Some(next);
            }
        }
        if let Some(u) = until {
            let secs = (u - now).num_milliseconds().div_euclid(1000) + 1;
            longest = Some(longest.map_or(secs, |l| l.max(secs)));
        }
    }
    Ok(longest)
}

/// Counts a failed attempt against every key.
pub async fn fail<C: ConnectionTrait>(
    conn: &C,
    keys: &[String],
    policy: &ThrottlePolicy,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for key in keys {
        let row = lt::Entity::find_by_id(key.clone()).one(conn).await?;
        let fresh = lt::Model {
            key: key.clone(),
            failures: 0,
            first_failure_at: now,
            last_failure_at: now,
            locked_until: None,
        };
        let (mut m, exists) = match row {
            Some(r) if r.first_failure_at + policy.window > now && r.locked_until.is_none_or(|l| l > now) => (r, true),
            Some(_) => (fresh, true),
            None => (fresh, false),
        };
        m.failures += 1;
        m.last_failure_at = now;
        if m.failures >= limit_for(key, policy) {
            m.locked_until = Some(now + policy.lock);
        }
        if exists {
            let mut am = m.clone().into_active_model();
            am.failures = Set(m.failures);
            am.first_failure_at = Set(m.first_failure_at);
            am.last_failure_at = Set(m.last_failure_at);
            am.locked_until = Set(m.locked_until);
            lt::Entity::update(am).exec(conn).await?;
        } else {
            lt::Entity::insert(m.into_active_model()).exec_without_returning(conn).await?;
        }
    }
    Ok(())
}

/// Forgets an account's failures after a successful sign-in (the address keeps its count).
pub async fn clear<C: ConnectionTrait>(conn: &C, key: &str) -> AppResult<()> {
    lt::Entity::delete_by_id(key.to_owned()).exec(conn).await?;
    Ok(())
}
