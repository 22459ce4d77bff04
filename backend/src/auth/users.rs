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
use crate::error::{AppError, AppResult, FieldError, Problems};
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

/// The field problems of a new account, every one of them, and its cleaned username and
/// display name.
fn check_new(p: &mut Problems, input: &NewUser, first: bool) -> (String, String) {
    let username = check_username(p, &input.username);
    let display_name =
        text::optional_line(p, "display_name", input.display_name.as_deref(), text::NAME_MAX).unwrap_or_default();
    if let Some(why) = password::weakness(&input.password, &username) {
        p.add("password", why);
    }
    if first && input.role != Role::Admin {
        p.add("role", "the first account must be an Administrator");
    }
    (username, display_name)
}

/// Every field problem of a new account, writing nothing: a form with problems of its own
/// (a role not chosen) shows these beside them, all at once.
pub fn problems_of(input: &NewUser) -> Vec<FieldError> {
    let mut p = Problems::default();
    check_new(&mut p, input, false);
    p.0
}

async fn create_inner(db: &Db, ctx: &Ctx, input: NewUser, first: bool) -> AppResult<User> {
    let mut p = Problems::default();
    let (username, display_name) = check_new(&mut p, &input, first);
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
        must_change_password: false,
        last_sign_in_at: None,
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

/// A user's change of their own password, as the form sends it.
#[derive(Clone, Debug, Default)]
pub struct PasswordChange {
    /// The version the form was drawn with; a change made meanwhile is refused.
    pub version: Option<i32>,
    pub current: String,
    pub new: String,
    /// The new password typed again, when the form asks for it.
    pub again: Option<String>,
}

/// Changes a user's own password; every problem (wrong current password, weak or
/// mismatched new one) is reported at once. The row is read and both hashes are computed
/// outside the write transaction (hashing is slow), then the write is a compare-and-swap
/// on the version read, so of two concurrent changes one wins and the other is refused
/// with 409. A temporary password's "must change" ends; every other session of the user
/// ends (`keep` is the caller's own session hash).
pub async fn change_password(
    db: &Db,
    ctx: &Ctx,
    id: UserId,
    change: PasswordChange,
    keep: Option<&str>,
) -> AppResult<()> {
    let row = user::Entity::find_by_id(id.0).one(db.conn()).await?.ok_or_else(|| AppError::not_found("user", id))?;
    check_version::<user::Entity>(&row, change.version)?;
    let mut p = Problems::default();
    if !password::verify(change.current.clone(), Some(row.password_hash.clone())).await {
        p.add("current_password", "is not your current password");
    }
    if let Some(why) = password::weakness(&change.new, &row.username) {
        p.add("new_password", why);
    } else if change.new == change.current {
        p.add("new_password", "must differ from your current password");
    }
    if change.again.as_ref().is_some_and(|a| *a != change.new) {
        p.add("new_password_again", "does not match the new password");
    }
    p.into_result()?;
    let hash = password::hash(change.new).await?;
    let txn = db.write().await?;
    save_versioned::<user::Entity, _>(&*txn, ctx.now, &row, None, |am| {
        am.password_hash = Set(hash);
        am.password_changed_at = Set(ctx.now);
        am.must_change_password = Set(false);
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

/// An admin (or the command line) gives `id` a temporary password that must be changed at
/// the next sign-in. Every session of the account ends at once; until the change its API
/// tokens are refused. The audit entry names the account and says a temporary password
/// was set; the password itself goes nowhere but into its hash. An admin changes their
/// own password under their account instead. With `version` (what the form showed), a
/// change made meanwhile is refused.
pub async fn set_temporary_password(
    db: &Db,
    ctx: &Ctx,
    id: UserId,
    version: Option<i32>,
    temporary: String,
) -> AppResult<User> {
    let row = user::Entity::find_by_id(id.0).one(db.conn()).await?.ok_or_else(|| AppError::not_found("user", id))?;
    check_version::<user::Entity>(&row, version)?;
    if ctx.actor.id == Some(id) {
        return Err(AppError::invalid(
            "password",
            "this is your own account: change your password under Your account instead",
        ));
    }
    if let Some(why) = password::weakness(&temporary, &row.username) {
        return Err(AppError::invalid("password", why));
    }
    let hash = password::hash(temporary).await?;
    let before = User::try_from(row.clone())?;
    let txn = db.write().await?;
    let saved = save_versioned::<user::Entity, _>(&*txn, ctx.now, &row, None, |am| {
        am.password_hash = Set(hash);
        am.password_changed_at = Set(ctx.now);
        am.must_change_password = Set(true);
    })
    .await?;
    sessions::end_all_for(&*txn, id, None).await?;
    let after = User::try_from(saved)?;
    audit::record(&txn, ctx, "user.temporary_password", "user", id, snapshot(&before), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Records a sign-in's time on the account, in the sign-in's own transaction. It is not an
/// edit of the account: no version step, so an admin's open form stays current.
pub async fn record_sign_in<C: ConnectionTrait>(
    conn: &C,
    id: UserId,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::LastSignInAt, sea_orm::sea_query::Expr::value(Some(at)))
        .filter(user::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    Ok(())
}
