//! Personal API tokens: shown once, stored as a hash, optionally expiring, revocable.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::User;
use super::secret;
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::Db;
use crate::db::entities::{api_token, user};
use crate::error::{AppError, AppResult, FieldError, Problems};
use crate::ids::{TokenId, UserId};
use crate::rules::Role;
use crate::text;

/// Every token starts with this, so secret scanners can spot leaked ones.
pub const PREFIX: &str = "rl_";

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for TokenInfo {
    fn from(m: api_token::Model) -> Self {
        TokenInfo {
            id: m.id.into(),
            user_id: m.user_id.into(),
            name: m.name,
            prefix: m.prefix,
            created_at: m.created_at,
            expires_at: m.expires_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// Days until the token stops working (1–3650); none means it never expires.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A new token: the secret is in `token` and is never shown again.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    pub token: String,
}

fn check(p: &mut Problems, input: &NewToken) -> String {
    let name = text::required_line(p, "name", &input.name, 100);
    if let Some(d) = input.expires_in_days
        && !(1..=3650).contains(&d)
    {
        p.add("expires_in_days", "must be between 1 and 3650");
    }
    name
}

/// Every field problem of a new token, writing nothing (a form with problems of its own
/// shows these beside them).
pub fn problems_of(input: &NewToken) -> Vec<FieldError> {
    let mut p = Problems::default();
    check(&mut p, input);
    p.0
}

pub async fn create(db: &Db, ctx: &Ctx, owner: UserId, input: NewToken) -> AppResult<CreatedToken> {
    let mut p = Problems::default();
    let name = check(&mut p, &input);
    p.into_result()?;
    let token = format!("{PREFIX}{}", secret::random_hex());
    let row = api_token::Model {
        id: TokenId::new().0,
        user_id: owner.0,
        name,
        token_hash: secret::digest(&token),
        prefix: token.chars().take(10).collect(),
        created_at: ctx.now,
        expires_at: input.expires_in_days.map(|d| ctx.now + Duration::days(d.into())),
        last_used_at: None,
        revoked_at: None,
    };
    let txn = db.write().await?;
    if user::Entity::find_by_id(owner.0).one(&*txn).await?.is_none() {
        return Err(AppError::not_found("user", owner));
    }
    api_token::Entity::insert(row.clone().into_active_model()).exec_without_returning(&*txn).await?;
    let info = TokenInfo::from(row);
    audit::record(&txn, ctx, "token.create", "token", info.id, None, snapshot(&info)).await?;
    txn.commit().await?;
    Ok(CreatedToken { info, token })
}

pub async fn list_for<C: ConnectionTrait>(conn: &C, owner: UserId) -> AppResult<Vec<TokenInfo>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(owner.0))
        .order_by_desc(api_token::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(TokenInfo::from)
        .collect())
}

/// A token `by` may revoke: their own, or anyone's for an admin. Someone else's token is
/// reported like a missing one, so ids do not leak.
pub async fn get_for<C: ConnectionTrait>(conn: &C, id: TokenId, by: &User) -> AppResult<TokenInfo> {
    match api_token::Entity::find_by_id(id.0).one(conn).await? {
        Some(r) if r.user_id == by.id.0 || by.role == Role::Admin => Ok(TokenInfo::from(r)),
        _ => Err(AppError::not_found("API token", id)),
    }
}

/// Whether `secret` is the token `id` of `owner` (a secret carried across a redirect is
/// shown only when it is).
pub async fn is_secret_of<C: ConnectionTrait>(conn: &C, id: TokenId, owner: UserId, secret: &str) -> AppResult<bool> {
    Ok(api_token::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .is_some_and(|r| r.user_id == owner.0 && secret::same(&r.token_hash, &secret::digest(secret))))
}

/// Revokes a token; users revoke their own, admins anyone's.
pub async fn revoke(db: &Db, ctx: &Ctx, id: TokenId, by: &User) -> AppResult<TokenInfo> {
    let txn = db.write().await?;
    let row = api_token::Entity::find_by_id(id.0).one(&*txn).await?;
    let row = match row {
        Some(r) if r.user_id == by.id.0 || by.role == Role::Admin => r,
        // Someone else's token is reported like a missing one: ids do not leak.
        _ => return Err(AppError::not_found("API token", id)),
    };
    let before = TokenInfo::from(row.clone());
    if row.revoked_at.is_some() {
        return Ok(before);
    }
    let mut am = row.into_active_model();
    am.revoked_at = Set(Some(ctx.now));
    let after = TokenInfo::from(api_token::Entity::update(am).exec(&*txn).await?);
    audit::record(&txn, ctx, "token.revoke", "token", id, snapshot(&before), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Last-used times are written at most this often.
const TOUCH_EVERY: i64 = 60;

/// The active user a bearer token belongs to, if the token is valid now.
pub async fn authenticate(db: &Db, bearer: &str, now: DateTime<Utc>) -> AppResult<Option<User>> {
    if !bearer.starts_with(PREFIX) || bearer.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(secret::digest(bearer)))
        .one(db.conn())
        .await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|e| e <= now) {
        return Ok(None);
    }
    let Some(owner) = user::Entity::find_by_id(row.user_id).one(db.conn()).await? else {
        return Ok(None);
    };
    if !owner.active {
        return Ok(None);
    }
    if row.last_used_at.is_none_or(|t| (now - t).num_seconds() >= TOUCH_EVERY) {
        let txn = db.write_light().await?;
        let mut am = row.into_active_model();
        am.last_used_at = Set(Some(now));
        api_token::Entity::update(am).exec(&*txn).await?;
        txn.commit().await?;
    }
    Ok(Some(owner.try_into()?))
}
