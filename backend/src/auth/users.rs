//! User accounts: creating them, changing their role or status, and their passwords.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use super::model::{NewUser, User, UserPatch};
use super::{password, sessions};
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::entities::user;
use crate::db::{Db, check_version, save_versioned};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::UserId;
use crate::rules::Role;
use crate::text;

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

/// The problems with a new account's fields, found without writing (a form shows them
/// together with its own, so every error of a submission shows at once).
pub fn problems(input: &NewUser) -> Vec<crate::error::FieldError> {
    let mut p = Problems::default();
    check_fields(&mut p, input);
    p.0
}

/// Checks a new account's fields; returns its username and display name as stored.
fn check_fields(p: &mut Problems, input: &NewUser) -> (String, String) {
    let username = check_username(p, &input.username);
    let display_name =
        text::optional_line(p, "display_name", input.display_name.as_deref(), text::NAME_MAX).unwrap_or_default();
    if let Some(why) = password::weakness(&input.password, &username) {
        p.add("password", why);
    }
    (username, display_name)
}

async fn create_inner(db: &Db, ctx: &Ctx, input: NewUser, first: bool) -> AppResult<User> {
    let mut p = Problems::default();
    let (username, display_name) = check_fields(&mut p, &input);
    if first && input.role != Role::Admin {
        p.add("role", "the first account must be an admin");
    }
    p.into_result()?;
    let hash = password::hash(input.password).await?;
    let txn = db.write().await?;
    if first && count(&*txn).await? > 0 {
        return Err(AppError::conflict("already_set_up", None, "reloop is already set up; sign in instead"));
    }
    if find_by_username(&*txn, &username).await?.is_some() {
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
    audit::record(&txn, ctx, "user.create", "user", created.id, None, snapshot(&created)).await?;
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
    check_version::<user::Entity>(&row, Some(patch.version))?;
    let before = User::try_from(row.clone())?;
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
    let saved = save_versioned::<user::Entity, _>(&*txn, ctx.now, &row, Some(patch.version), |am| {
        am.display_name = Set(display_name);
        am.role = Set(role.as_str().to_owned());
        am.active = Set(active);
    })
    .await?;
    if !active || role != before.role {
        // A deactivated account, or one whose powers changed, signs in again.
        sessions::end_all_for(&*txn, id, None).await?;
    }
    let after = User::try_from(saved)?;
    audit::record(&txn, ctx, "user.update", "user", id, snapshot(&before), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Changes a password. `current` must match unless an admin resets someone else's; with
/// `version` (what the form showed), a change made meanwhile is refused. The row is read
/// and both hashes are computed outside the write transaction (hashing is slow), then the
/// write is a compare-and-swap on the version read, so of two concurrent changes one wins
/// and the other is refused with 409. Every other session of the user ends (`keep` is the
/// caller's own session hash).
pub async fn change_password(
    db: &Db,
    ctx: &Ctx,
    id: UserId,
    version: Option<i32>,
    current: Option<String>,
    new: String,
    keep: Option<&str>,
) -> AppResult<()> {
    let row = user::Entity::find_by_id(id.0).one(db.conn()).await?.ok_or_else(|| AppError::not_found("user", id))?;
    check_version::<user::Entity>(&row, version)?;
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
    save_versioned::<user::Entity, _>(&*txn, ctx.now, &row, None, |am| {
        am.password_hash = Set(hash);
        am.password_changed_at = Set(ctx.now);
    })
    .await?;
    sessions::end_all_for(&*txn, id, keep).await?;
    audit::record(
        &txn,
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
