//! Server-side sessions behind an opaque cookie.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};

use super::model::User;
use super::secret;
use crate::db::Db;
use crate::db::entities::{session, user};
use crate::error::AppResult;
use crate::ids::UserId;

pub use crate::settings::SessionPolicy;

/// A freshly started session: the cookie value (never stored) and its CSRF token.
pub struct Started {
    pub cookie: String,
    pub csrf: String,
}

/// A valid session and its user.
#[derive(Clone, Debug)]
pub struct Live {
    pub user: User,
    pub id_hash: String,
    pub csrf: String,
}

/// Last-seen times are written at most this often, not on every request.
const TOUCH_EVERY: i64 = 60;

pub async fn start(
    db: &Db,
    user: &User,
    user_agent: &str,
    ip: &str,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> AppResult<Started> {
    let cookie = secret::random_hex();
    let csrf = secret::random_hex();
    let txn = db.write_light().await?;
    // Ended sessions are swept here rather than by a timer.
    session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - policy.idle)),
        )
        .exec(&*txn)
        .await?;
    session::Entity::insert(
        session::Model {
            id_hash: secret::digest(&cookie),
            user_id: user.id.0,
            csrf_token: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + policy.absolute,
            user_agent: user_agent.chars().take(300).collect(),
            ip: ip.chars().take(64).collect(),
            once: None,
        }
        .into_active_model(),
    )
    .exec_without_returning(&*txn)
    .await?;
    txn.commit().await?;
    Ok(Started { cookie, csrf })
}

/// The session behind a cookie, if it is still valid (and its user still active).
pub async fn resolve(db: &Db, cookie: &str, policy: SessionPolicy, now: DateTime<Utc>) -> AppResult<Option<Live>> {
    if cookie.len() != 64 {
        return Ok(None);
    }
    let id_hash = secret::digest(cookie);
    let Some(row) = session::Entity::find_by_id(id_hash.clone()).one(db.conn()).await? else {
        return Ok(None);
    };
    let expired = row.expires_at <= now || row.last_seen_at + policy.idle <= now;
    let user = user::Entity::find_by_id(row.user_id).one(db.conn()).await?;
    let user = match user {
        Some(u) if u.active && !expired => User::try_from(u)?,
        _ => {
            let txn = db.write_light().await?;
            session::Entity::delete_by_id(id_hash).exec(&*txn).await?;
            txn.commit().await?;
            return Ok(None);
        }
    };
    if (now - row.last_seen_at).num_seconds() >= TOUCH_EVERY {
        let txn = db.write_light().await?;
        let mut am = row.clone().into_active_model();
        am.last_seen_at = Set(now);
        session::Entity::update(am).exec(&*txn).await?;
        txn.commit().await?;
    }
    Ok(Some(Live { user, id_hash, csrf: row.csrf_token }))
}

/// Signs a session out: the cookie stops working everywhere at once.
pub async fn end(db: &Db, id_hash: &str) -> AppResult<()> {
    let txn = db.write_light().await?;
    session::Entity::delete_by_id(id_hash.to_owned()).exec(&*txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Ends every session of a user except `keep` (a session hash).
pub async fn end_all_for<C: ConnectionTrait>(conn: &C, user: UserId, keep: Option<&str>) -> AppResult<()> {
    let mut del = session::Entity::delete_many().filter(session::Column::UserId.eq(user.0));
    if let Some(k) = keep {
        del = del.filter(session::Column::IdHash.ne(k));
    }
    del.exec(conn).await?;
    Ok(())
}

/// Leaves `text` in a session's one-time slot for the next page to show (replacing what
/// was there): a refused form, or a new token's secret sealed with the session's cookie.
pub async fn put_once(db: &Db, id_hash: &str, text: String) -> AppResult<()> {
    let txn = db.write_light().await?;
    session::Entity::update_many()
        .col_expr(session::Column::Once, sea_orm::sea_query::Expr::value(Some(text)))
        .filter(session::Column::IdHash.eq(id_hash))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Takes what a session's one-time slot holds, emptying it: a page shows it once.
pub async fn take_once(db: &Db, id_hash: &str) -> AppResult<Option<String>> {
    let Some(row) = session::Entity::find_by_id(id_hash.to_owned()).one(db.conn()).await? else {
        return Ok(None);
    };
    let Some(text) = row.once else { return Ok(None) };
    let txn = db.write_light().await?;
    // Only what was read is cleared: a message left meanwhile waits for the next page.
    session::Entity::update_many()
        .col_expr(session::Column::Once, sea_orm::sea_query::Expr::value(Option::<String>::None))
        .filter(session::Column::IdHash.eq(id_hash))
        .filter(session::Column::Once.eq(text.clone()))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(Some(text))
}
