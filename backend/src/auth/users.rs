//! User accounts.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Role, password, sessions};
use crate::audit::{self, trail::snapshot};
use crate::context::Ctx;
use crate::db::Db;
use crate::db::entities::user;
use crate::error::{AppError, AppResult, Problems};
use crate::ids::UserId;
use crate::text;

/// An account as everyone but the password check sees it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub password_changed_at: DateTime<Utc>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<user::Model> for User {
    type Error = AppError;
    fn try_from(m: user::Model) -> AppResult<User> {
        Ok(User {
            id: m.id.into(),
            role: Role::parse(&m.role)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable role {:?}", m.role)))?,
            username: m.username,
            display_name: m.display_name,
            active: m.active,
            password_changed_at: m.password_changed_at,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl User {
    /// The name shown in lists and headers.
    pub fn shown_name(&self) -> &str {
        if self.display_name.is_empty() { &self.username } else { &self.display_name }
    }

    /// The context this user acts in.
    pub fn ctx(&self) -> Ctx {
        Ctx::user(self.id, self.username.clone(), self.role)
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
    /// At least 12 characters, not a common password.
    pub password: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub version: i32,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// false deactivates the account: its sessions end and its tokens stop working.
    #[serde(default)]
    pub active: Option<bool>,
}

fn check_username(p: &mut Problems, username: &str) -> String {
    let u = username.trim();
    if !(3..=64).contains(&u.chars().count()) {
        p.add("username", "must be 3 to 64 characters");
    } else if !u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')) {
        p.add("username", "may contain letters, digits and . _ - @ only");
    }
    u.to_owned()
}

pub async fn count<C: ConnectionTrait>(conn: &C) -> AppResult<u64> {
    Ok(user::Entity::find().count(conn).await?)
}

pub async fn create(db: &Db, ctx: &Ctx, input: NewUser) -> AppResult<User> {
    create_inner(db, ctx, input, false).await
}

/// Creates the first admin; refused once any user exists (the setup page and CLI).
pub async fn create_first_admin(db: &Db, ctx: &Ctx, input: NewUser) -> AppResult<User> {
    create_inner(db, ctx, input, true).await
}

async fn create_inner(db: &Db, ctx: &Ctx, input: NewUser, first: bool) -> AppResult<User> {
    let mut p = Problems::default();
    let username = check_username(&mut p, &input.username);
    let display_name =
        text::optional_line(&mut p, "display_name", input.display_name.as_deref(), text::NAME_MAX).unwrap_or_default();
    if let Some(why) = password::weakness(&input.password, &username) {
        p.add("password", why);
    }
    if first && input.role != Role::Admin {
        p.add("role", "the first account must be an admin");
    }
    p.into_result()?;
    let hash = password::hash(input.password).await?;
    let txn = db.write().await?;
    if first && count(&*txn).await? > 0 {
        return Err(AppError::conflict("already_set_up", None, "reloop is already set up; sign in instead"));
    }
    if user::Entity::find().filter(user::Column::UsernameKey.eq(text::key(&username))).one(&*txn).await?.is_some() {
        return Err(AppError::conflict("duplicate", Some("username"), format!("the username {username} is taken")));
    }
    let row = user::Model {
        id: UserId::new().0,
        username_key: text::key(&username),
        username,
        display_name,
        role: input.role.as_str().to_owned(),
        active: true,
        password_hash: hash,
        password_changed_at: ctx.now,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    user::Entity::insert(row.clone().into_active_model()).exec_without_returning(&*txn).await?;
    let created = User::try_from(row)?;
    audit::record(&*txn, ctx, "user.create", "user", created.id, None, snapshot(&created)).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: UserId) -> AppResult<User> {
    user::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| AppError::not_found("user", id))?.try_into()
}

/// The stored row (with its password hash) for sign-in.
pub async fn find_by_username<C: ConnectionTrait>(conn: &C, username: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::UsernameKey.eq(text::key(username))).one(conn).await?)
}

pub async fn list<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<User>> {
    user::Entity::find()
        .order_by_asc(user::Column::UsernameKey)
        .all(conn)
        .await?
        .into_iter()
        .map(User::try_from)
        .collect()
}

async fn active_admins<C: ConnectionTrait>(conn: &C) -> AppResult<u64> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Active.eq(true))
        .count(conn)
        .await?)
}

/// Changes a user's name, role or active flag. Deactivating ends their sessions.
pub async fn update(db: &Db, ctx: &Ctx, id: UserId, patch: UserPatch) -> AppResult<User> {
    let txn = db.write().await?;
    let row = user::Entity::find_by_id(id.0).one(&*txn).await?.ok_or_else(|| AppError::not_found("user", id))?;
    let before = User::try_from(row.clone())?;
    if row.version != patch.version {
        return Err(AppError::stale_version("user", row.version, patch.version));
    }
    let mut p = Problems::default();
    let display_name = match &patch.display_name {
        Some(d) => text::optional_line(&mut p, "display_name", Some(d), text::NAME_MAX).unwrap_or_default(),
        None => before.display_name.clone(),
    };
    p.into_result()?;
    let role = patch.role.unwrap_or(before.role);
    let active = patch.active.unwrap_or(before.active);
    let loses_admin = before.role == Role::Admin && before.active && (role != Role::Admin || !active);
    if loses_admin && active_admins(&*txn).await? <= 1 {
        return Err(AppError::invalid(
            if role != Role::Admin { "role" } else { "active" },
            "this is the last active admin; make another admin first",
        ));
    }
    let mut am = row.clone().into_active_model();
    am.display_name = Set(display_name);
    am.role = Set(role.as_str().to_owned());
    am.active = Set(active);
    am.version = Set(row.version + 1);
    am.updated_at = Set(ctx.now);
    let saved =
        match user::Entity::update(am).validate()?.filter(user::Column::Version.eq(row.version)).exec(&*txn).await {
            Ok(m) => m,
            Err(DbErr::RecordNotUpdated) => {
                return Err(AppError::stale_version("user", row.version + 1, patch.version));
            }
            Err(e) => return Err(e.into()),
        };
    if !active || role != before.role {
        // A deactivated account, or one whose powers changed, signs in again.
        sessions::end_all_for(&*txn, id, None).await?;
    }
    let after = User::try_from(saved)?;
    audit::record(&*txn, ctx, "user.update", "user", id, snapshot(&before), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Changes a password. `current` must match unless an admin resets someone else's;
/// every other session of the user ends (`keep` is the caller's own session hash).
pub async fn change_password(
    db: &Db,
    ctx: &Ctx,
    id: UserId,
    current: Option<String>,
    new: String,
    keep: Option<&str>,
) -> AppResult<()> {
    let row = user::Entity::find_by_id(id.0).one(db.conn()).await?.ok_or_else(|| AppError::not_found("user", id))?;
    if let Some(cur) = current
        && !password::verify(cur, Some(row.password_hash.clone())).await
    {
        return Err(AppError::invalid("current_password", "is not your current password"));
    }
    if let Some(why) = password::weakness(&new, &row.username) {
        return Err(AppError::invalid("new_password", why));
    }
    let hash = password::hash(new).await?;
    let txn = db.write().await?;
    let mut am = row.clone().into_active_model();
    am.password_hash = Set(hash);
    am.password_changed_at = Set(ctx.now);
    am.version = Set(row.version + 1);
    am.updated_at = Set(ctx.now);
    user::Entity::update(am).exec(&*txn).await?;
    sessions::end_all_for(&*txn, id, keep).await?;
    audit::record(
        &*txn,
        ctx,
        "user.password",
        "user",
        id,
        None,
        Some(serde_json::json!({"password_changed_at": ctx.now})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
