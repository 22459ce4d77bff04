//! Login throttling, per account name and per client address, kept in the database so
//! that every instance counts the same attempts.
//!
//! An attempt takes a slot *before* its password is checked ([`reserve`]): in one
//! transaction the key rows are created if missing, locked (`FOR UPDATE` on PostgreSQL, in
//! key order; SQLite writers are serialised), and refused when the failures so far plus
//! the attempts in flight have reached the limit. When the check is done ([`settle`]) the
//! slot is given back, and a failure is counted. So however many attempts arrive at once,
//! on one instance or several, at most `max_failures` wrong passwords are checked before
//! the key locks. A success counts nothing and clears nothing: it cannot buy a burst (or an
//! attacker holding one valid account) a fresh budget on the name or the address. Slots
//! not given back within [`PENDING_MAX`] of the last settled attempt (their process died)
//! are reclaimed.
//!
//! After a few failures each further attempt must wait longer (1 s, 2 s, 4 s …); after
//! `max_failures` the key is locked for a while. Keys are the name as typed, whether or not
//! such an account exists, so a refusal never tells who exists.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};

use crate::db::Db;
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

/// An attempt in flight longer than this is taken to have died with its process.
pub const PENDING_MAX: chrono::Duration = chrono::Duration::seconds(60);

/// Whether a row's failures still apply at `now` (failures older than the window, and
/// locks that ran out, are forgotten).
fn live(row: &lt::Model, policy: &ThrottlePolicy, now: DateTime<Utc>) -> bool {
    row.locked_until.is_some_and(|l| l > now)
        || (row.locked_until.is_none() && row.first_failure_at + policy.window > now)
}

/// The attempts in flight that still count at `now`.
fn in_flight(row: &lt::Model, now: DateTime<Utc>) -> i32 {
    match row.pending_since {
        Some(since) if since + PENDING_MAX > now => row.pending.max(0),
        _ => 0,
    }
}

/// The failures that still count at `now`.
fn failures(row: &lt::Model, policy: &ThrottlePolicy, now: DateTime<Utc>) -> i32 {
    if live(row, policy, now) { row.failures } else { 0 }
}

/// Seconds until `row` lets another attempt through, or `None` if one may try now.
fn wait_for(row: &lt::Model, policy: &ThrottlePolicy, now: DateTime<Utc>) -> Option<i64> {
    let until = match row.locked_until {
        Some(l) if l > now => Some(l),
        _ if failures(row, policy, now) + in_flight(row, now) >= limit_for(&row.key, policy) => {
            // The last slots are taken by attempts still being checked: try again shortly.
            Some(now + chrono::Duration::seconds(1))
        }
        _ if live(row, policy, now) && row.failures > policy.free_failures && !policy.backoff.is_zero() => {
            let steps = (row.failures - policy.free_failures - 1).clamp(0, 16) as u32;
            Some(row.last_failure_at + policy.backoff * 2i32.pow(steps)).filter(|next| *next > now)
        }
        _ => None,
    }?;
    // Whole seconds, rounded up, at least one.
    Some(((until - now).num_milliseconds() + 999).div_euclid(1000).max(1))
}

fn sorted(keys: &[String]) -> Vec<String> {
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup();
    keys
}

/// Takes a slot for one attempt on every key, unless one of them must wait: then nothing
/// is taken and the wait in seconds is returned.
pub async fn reserve(db: &Db, keys: &[String], policy: &ThrottlePolicy, now: DateTime<Utc>) -> AppResult<Option<i64>> {
    let keys = sorted(keys);
    let txn = db.write_light().await?;
    for key in &keys {
        let fresh = lt::Model {
            key: key.clone(),
            failures: 0,
            first_failure_at: now,
            last_failure_at: now,
            locked_until: None,
            pending: 0,
            pending_since: None,
        };
        lt::Entity::insert(fresh.into_active_model())
            .on_conflict_do_nothing_on([lt::Column::Key])
            .exec_without_returning(&*txn)
            .await?;
    }
    let rows = lt::Entity::find()
        .filter(lt::Column::Key.is_in(keys.clone()))
        .order_by_asc(lt::Column::Key)
        .lock_exclusive()
        .all(&*txn)
        .await?;
    let wait = rows.iter().filter_map(|r| wait_for(r, policy, now)).max();
    if wait.is_some() {
        return Ok(wait);
    }
    for row in rows {
        let pending = in_flight(&row, now);
        let since = if pending > 0 { row.pending_since } else { Some(now) };
        let mut am = row.into_active_model();
        am.pending = Set(pending + 1);
        am.pending_since = Set(since);
        lt::Entity::update(am).exec(&*txn).await?;
    }
    txn.commit().await?;
    Ok(None)
}

/// Gives back the slots [`reserve`] took, counting a failure when the attempt `failed`.
pub async fn settle(
    db: &Db,
    keys: &[String],
    failed: bool,
    policy: &ThrottlePolicy,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let keys = sorted(keys);
    let txn = db.write_light().await?;
    let rows = lt::Entity::find()
        .filter(lt::Column::Key.is_in(keys))
        .order_by_asc(lt::Column::Key)
        .lock_exclusive()
        .all(&*txn)
        .await?;
    for row in rows {
        let pending = (in_flight(&row, now) - 1).max(0);
        let limit = limit_for(&row.key, policy);
        let (count, first) = match failures(&row, policy, now) {
            0 => (0, now),
            n => (n, row.first_failure_at),
        };
        let locked = row.locked_until.filter(|l| *l > now);
        let mut am = row.into_active_model();
        am.pending = Set(pending);
        am.pending_since = Set((pending > 0).then_some(now));
        if failed {
            am.failures = Set(count + 1);
            am.first_failure_at = Set(first);
            am.last_failure_at = Set(now);
            let locks_now = locked.is_none() && count + 1 >= limit;
            if locks_now {
                crate::metrics::locked_out();
            }
            am.locked_until = Set(locked.or_else(|| locks_now.then(|| now + policy.lock)));
        }
        lt::Entity::update(am).exec(&*txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: 5,
            max_address_failures: 20,
            window: Duration::minutes(15),
            lock: Duration::minutes(15),
            backoff: Duration::seconds(1),
            free_failures: 2,
        }
    }

    fn row(failures: i32, last_secs_ago: i64, locked_secs: Option<i64>) -> lt::Model {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).single().expect("time");
        lt::Model {
            key: "user:x".into(),
            failures,
            first_failure_at: now - Duration::seconds(60),
            last_failure_at: now - Duration::seconds(last_secs_ago),
            locked_until: locked_secs.map(|s| now + Duration::seconds(s)),
            pending: 0,
            pending_since: None,
        }
    }

    #[test]
    fn waits_double_after_the_free_failures_and_locks_hold() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).single().expect("time");
        let p = policy();
        assert_eq!(wait_for(&row(2, 0, None), &p, now), None, "two free failures");
        // Third failure: 1 s after it; fourth: 2 s; fifth: 4 s (hand computed: 2^(n-3) s).
        assert_eq!(wait_for(&row(3, 0, None), &p, now), Some(1));
        assert_eq!(wait_for(&row(4, 0, None), &p, now), Some(2));
        assert_eq!(wait_for(&row(4, 3, None), &p, now), None, "the wait has passed");
        // Locked for 900 s: 900 000 ms rounds to 900 whole seconds.
        assert_eq!(wait_for(&row(5, 0, Some(900)), &p, now), Some(900));
        assert_eq!(wait_for(&row(5, 0, Some(-1)), &p, now), None, "an expired lock lets the next attempt through");
        // Three failures and two attempts in flight fill the five slots: the next waits.
        let mut busy = row(3, 10, None);
        busy.pending = 2;
        busy.pending_since = Some(now - Duration::seconds(5));
        assert_eq!(wait_for(&busy, &p, now), Some(1));
        // Slots held longer than a minute are reclaimed (their process died).
        busy.pending_since = Some(now - Duration::seconds(61));
        assert_eq!(wait_for(&busy, &p, now), None);
    }
}
