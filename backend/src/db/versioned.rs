//! Compare-and-swap writes on versioned rows: the one way a mutable row changes.
//!
//! Every mutable table (assets, sites, hardware models, users) has a `version` column.
//! [`save_versioned`] refuses a stale version the client sent (409 `stale_version`),
//! then updates the row only `WHERE version = <the version read>`, bumping it; when
//! another writer got there first, nothing is updated and the call fails with 409
//! `concurrent_change`. Callers write the ledger or audit entry that explains the change
//! in the same transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, UpdateMany,
};

use super::entities::{
    asset, dismantle_job, downstream_vendor, hardware_model, harvest_line, pool_stay, recycling_factor, recycling_lot,
    recycling_lot_item, repair_order, sanitization_batch, site, user,
};
use crate::error::{AppError, AppResult};

/// A table whose rows carry an optimistic-locking `version` and an `updated_at`.
pub trait Versioned: EntityTrait {
    /// What people call one row ("asset", "site", …), for messages.
    const WHAT: &'static str;
    fn version_column() -> Self::Column;
    fn id_column() -> Self::Column;
    fn updated_at_column() -> Self::Column;
    fn version_of(row: &Self::Model) -> i32;
    /// How people recognise the row in a message (its tag or name).
    fn label_of(row: &Self::Model) -> String;
    /// Sets the new version and the time of the change.
    fn stamp(am: &mut Self::ActiveModel, version: i32, now: DateTime<Utc>);
}

/// Refuses `given` when it is not the row's current version.
pub fn check_version<E: Versioned>(row: &E::Model, given: Option<i32>) -> AppResult<()> {
    match given {
        Some(v) if v != E::version_of(row) => Err(AppError::stale_version(E::WHAT, E::version_of(row), v)),
        _ => Ok(()),
    }
}

/// Writes `change` to `row` if nobody changed it since it was read (and, with `given`,
/// if the client saw this version), bumping its version. Returns the new row.
pub async fn save_versioned<E, C>(
    conn: &C,
    now: DateTime<Utc>,
    row: &E::Model,
    given: Option<i32>,
    change: impl FnOnce(&mut E::ActiveModel),
) -> AppResult<E::Model>
where
    E: Versioned,
    C: ConnectionTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    check_version::<E>(row, given)?;
    let read = E::version_of(row);
    let mut am = row.clone().into_active_model();
    change(&mut am);
    E::stamp(&mut am, read + 1, now);
    match E::update(am).validate()?.filter(E::version_column().eq(read)).exec(conn).await {
        Ok(m) => Ok(m),
        Err(DbErr::RecordNotUpdated) => Err(AppError::conflict(
            "concurrent_change",
            Some("version"),
            format!("{} {} was changed by someone else meanwhile; reload and try again", E::WHAT, E::label_of(row)),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Rows per batched compare-and-swap (one bound value each, and the version).
const MANY_CHUNK: usize = 500;

/// The compare-and-swap of [`save_versioned`] for many rows at once, for moves of
/// thousands of items in one transaction: `rows` are `(id, version read)`; `set` adds the
/// columns to change (the same for every row). Rows are grouped by the version read, and
/// each chunk of a group updates only the rows that still have it (`WHERE version = v AND
/// id IN (…)`: the primary key finds them on both databases, where a list of `(id,
/// version)` pairs made PostgreSQL plan hundreds of alternatives per statement), bumping
/// each; when any row was changed meanwhile, the call fails with 409 `concurrent_change`
/// and the caller's transaction, dropped, writes nothing.
pub async fn save_versioned_many<E, C>(
    conn: &C,
    now: DateTime<Utc>,
    rows: &[(uuid::Uuid, i32)],
    set: impl Fn(UpdateMany<E>) -> UpdateMany<E>,
) -> AppResult<()>
where
    E: Versioned,
    C: ConnectionTrait,
{
    let mut by_version: std::collections::BTreeMap<i32, Vec<uuid::Uuid>> = std::collections::BTreeMap::new();
    for (id, v) in rows {
        by_version.entry(*v).or_default().push(*id);
    }
    for (version, ids) in by_version {
        for chunk in ids.chunks(MANY_CHUNK) {
            let update = E::update_many()
                .col_expr(E::version_column(), Expr::col(E::version_column()).add(1))
                .col_expr(E::updated_at_column(), Expr::value(now))
                .filter(Expr::col(E::version_column()).eq(version))
                .filter(Expr::col(E::id_column()).is_in(chunk.iter().copied()));
            let done = set(update).exec(conn).await?;
            if done.rows_affected != chunk.len() as u64 {
                return Err(AppError::conflict(
                    "concurrent_change",
                    Some("version"),
                    format!(
                        "{} of {} {} row(s) were changed by someone else meanwhile; reload and try again",
                        (chunk.len() as u64).saturating_sub(done.rows_affected),
                        chunk.len(),
                        E::WHAT
                    ),
                ));
            }
        }
    }
    Ok(())
}

macro_rules! versioned {
    ($module:ident, $what:literal, |$row:ident| $label:expr) => {
        impl Versioned for $module::Entity {
            const WHAT: &'static str = $what;
            fn version_column() -> $module::Column {
                $module::Column::Version
            }
            fn id_column() -> $module::Column {
                $module::Column::Id
            }
            fn updated_at_column() -> $module::Column {
                $module::Column::UpdatedAt
            }
            fn version_of(row: &$module::Model) -> i32 {
                row.version
            }
            fn label_of($row: &$module::Model) -> String {
                $label
            }
            fn stamp(am: &mut $module::ActiveModel, version: i32, now: DateTime<Utc>) {
                am.version = Set(version);
                am.updated_at = Set(now);
            }
        }
    };
}

versioned!(asset, "asset", |row| row.asset_tag.clone());
versioned!(site, "site", |row| row.name.clone());
versioned!(hardware_model, "hardware model", |row| format!("{} {}", row.manufacturer, row.model_number));
versioned!(user, "user", |row| row.username.clone());
versioned!(repair_order, "repair order", |row| format!("repair {}", short_id(&row.id)));
versioned!(dismantle_job, "dismantle job", |row| format!("job {}", short_id(&row.id)));
versioned!(harvest_line, "harvest line", |row| format!("line {}", row.ordinal + 1));
versioned!(pool_stay, "pool entry", |row| format!("entry {}", short_id(&row.id)));
versioned!(sanitization_batch, "sanitization batch", |row| format!("batch {}", short_id(&row.id)));
versioned!(downstream_vendor, "downstream vendor", |row| row.name.clone());
versioned!(recycling_lot, "recycling lot", |row| format!("lot L-{}", short_id(&row.id)));
versioned!(recycling_lot_item, "lot item", |row| format!("item {}", short_id(&row.asset_id)));
versioned!(recycling_factor, "reference factor", |row| format!("{} {} {}", row.kind, row.subject, row.material));

/// The last eight hex digits of a UUIDv7 (its random part): how people name an order or a
/// job ("R-3f9a01bc") without reading the whole id.
pub fn short_id(id: &uuid::Uuid) -> String {
    id_tail(id, 8)
}

/// The last `digits` hex digits of a UUIDv7, upper case (at most 16: its random end).
pub fn id_tail(id: &uuid::Uuid, digits: usize) -> String {
    let s = id.simple().to_string();
    s[s.len() - digits.min(16)..].to_uppercase()
}
