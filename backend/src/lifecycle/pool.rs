//! Pool stays: a part waiting in the spare pool, the resale stock or the recycling bin,
//! from the moment the bench puts it there until it is installed somewhere or leaves the
//! states its pool holds (sold, shipped for recycling, written off…).
//!
//! Invariants:
//! - A part has at most one open stay (`active_asset_id` is unique and set only while
//!   the stay is open); putting a part into a pool closes the stay it had.
//! - Every move that can end a stay ends it in the same transaction: installing a part
//!   (`leave_on_install`) and every transition (`leave_on_move`, called by
//!   `transition::apply` for the item and everything that moved with it). So the pool
//!   never lists a part that is in use or gone.
//! - A stay reserved for a repair order can only be installed by that order.
//! - Stays change through `save_versioned` like every mutable row.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::entities::{asset, pool_stay};
use crate::db::{save_versioned, save_versioned_many, short_id};
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, JobId, RepairId, SiteId, StayId};
use crate::rules::{Destination, PartOrigin, State, TestResult};

/// A part's stay in a pool.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct PoolStay {
    pub id: StayId,
    pub asset_id: AssetId,
    pub pool: Destination,
    pub origin: PartOrigin,
    /// The item the part came out of.
    pub donor_id: Option<AssetId>,
    pub job_id: Option<JobId>,
    pub repair_id: Option<RepairId>,
    pub test_result: TestResult,
    pub site_id: Option<SiteId>,
    pub entered_at: DateTime<Utc>,
    /// The repair order this part is held for.
    pub reserved_for: Option<RepairId>,
    pub left_at: Option<DateTime<Utc>>,
    /// `installed`, or the state the part left to (`transferred_out`, `in_recycling`…).
    pub left_how: Option<String>,
    /// The item it was installed in.
    pub left_into: Option<AssetId>,
    pub version: i32,
}

fn unreadable(col: &str, v: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("unreadable {col} {v:?} in pool_stays"))
}

impl TryFrom<pool_stay::Model> for PoolStay {
    type Error = AppError;
    fn try_from(m: pool_stay::Model) -> AppResult<PoolStay> {
        Ok(PoolStay {
            pool: Destination::parse(&m.pool).ok_or_else(|| unreadable("pool", &m.pool))?,
            origin: PartOrigin::parse(&m.origin).ok_or_else(|| unreadable("origin", &m.origin))?,
            test_result: TestResult::parse(&m.test_result).ok_or_else(|| unreadable("test_result", &m.test_result))?,
            id: StayId(m.id),
            asset_id: AssetId(m.asset_id),
            donor_id: m.donor_id.map(AssetId),
            job_id: m.job_id.map(JobId),
            repair_id: m.repair_id.map(RepairId),
            site_id: m.site_id.map(SiteId),
            entered_at: m.entered_at,
            reserved_for: m.reserved_for.map(RepairId),
            left_at: m.left_at,
            left_how: m.left_how,
            left_into: m.left_into.map(AssetId),
            version: m.version,
        })
    }
}

/// Where a part enters a pool from.
#[derive(Clone, Debug)]
pub struct NewStay {
    pub pool: Destination,
    pub origin: PartOrigin,
    pub donor_id: Option<AssetId>,
    pub job_id: Option<JobId>,
    pub repair_id: Option<RepairId>,
    pub test_result: TestResult,
}

/// Puts `part` (as it is now: standalone, in its pool's state) into a pool, closing the
/// stay it had.
pub async fn enter<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    part: &asset::Model,
    stay: NewStay,
) -> AppResult<pool_stay::Model> {
    if let Some(old) = active(conn, part.id).await? {
        close(conn, ctx, &old, "re-entered", None).await?;
    }
    let row = pool_stay::Model {
        id: StayId::new().0,
        asset_id: part.id,
        active_asset_id: Some(part.id),
        pool: stay.pool.as_str().to_owned(),
        origin: stay.origin.as_str().to_owned(),
        donor_id: stay.donor_id.map(|a| a.0),
        job_id: stay.job_id.map(|j| j.0),
        repair_id: stay.repair_id.map(|r| r.0),
        test_result: stay.test_result.as_str().to_owned(),
        site_id: part.site_id,
        entered_at: ctx.now,
        reserved_for: None,
        left_at: None,
        left_how: None,
        left_into: None,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    pool_stay::Entity::insert(row.clone().into_active_model()).exec_without_returning(conn).await?;
    Ok(row)
}

/// The open stays of a pool, oldest first (what waits in it now).
pub async fn waiting_in<C: ConnectionTrait>(conn: &C, pool: Destination) -> AppResult<Vec<pool_stay::Model>> {
    use sea_orm::QueryOrder;
    Ok(pool_stay::Entity::find()
        .filter(pool_stay::Column::ActiveAssetId.is_not_null())
        .filter(pool_stay::Column::Pool.eq(pool.as_str()))
        .order_by_asc(pool_stay::Column::Id)
        .all(conn)
        .await?)
}

/// The open stay of a part, if it is waiting in a pool.
pub async fn active<C: ConnectionTrait>(conn: &C, part: Uuid) -> AppResult<Option<pool_stay::Model>> {
    Ok(pool_stay::Entity::find().filter(pool_stay::Column::ActiveAssetId.eq(part)).one(conn).await?)
}

async fn close<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    stay: &pool_stay::Model,
    how: &str,
    into: Option<Uuid>,
) -> AppResult<()> {
    save_versioned::<pool_stay::Entity, _>(conn, ctx.now, stay, None, |am| {
        am.active_asset_id = Set(None);
        am.left_at = Set(Some(ctx.now));
        am.left_how = Set(Some(how.to_owned()));
        am.left_into = Set(into);
    })
    .await?;
    Ok(())
}

/// Ends the stays of `moved` items that went to a state their pool does not hold (one
/// batched compare-and-swap for all of them, so shipping a lot of thousands is quick).
pub async fn leave_on_move<C: ConnectionTrait>(conn: &C, ctx: &Ctx, moved: &[Uuid], to: State) -> AppResult<()> {
    if moved.is_empty() {
        return Ok(());
    }
    let mut ending = Vec::new();
    for chunk in moved.chunks(500) {
        for stay in
            pool_stay::Entity::find().filter(pool_stay::Column::ActiveAssetId.is_in(chunk.to_vec())).all(conn).await?
        {
            if !Destination::parse(&stay.pool).is_some_and(|p| p.holds(to)) {
                ending.push((stay.id, stay.version));
            }
        }
    }
    save_versioned_many::<pool_stay::Entity, _>(conn, ctx.now, &ending, |u| {
        u.col_expr(pool_stay::Column::ActiveAssetId, Expr::value(Option::<Uuid>::None))
            .col_expr(pool_stay::Column::LeftAt, Expr::value(ctx.now))
            .col_expr(pool_stay::Column::LeftHow, Expr::value(to.as_str()))
    })
    .await
}

/// Ends a part's stay because it was installed in `into`.
pub async fn leave_on_install<C: ConnectionTrait>(conn: &C, ctx: &Ctx, part: Uuid, into: Uuid) -> AppResult<()> {
    if let Some(stay) = active(conn, part).await? {
        close(conn, ctx, &stay, "installed", Some(into)).await?;
    }
    Ok(())
}

/// Refuses to install a part held for another repair order than `for_repair`.
pub async fn check_reservation<C: ConnectionTrait>(
    conn: &C,
    part: &asset::Model,
    for_repair: Option<Uuid>,
    field: &str,
) -> AppResult<()> {
    match active(conn, part.id).await? {
        Some(stay) if stay.reserved_for.is_some() && stay.reserved_for != for_repair => Err(AppError::conflict(
            "reserved",
            Some(field),
            format!(
                "{} is reserved for repair R-{}; install it from that repair, or release it first",
                part.asset_tag,
                stay.reserved_for.map(|r| short_id(&r)).unwrap_or_default()
            ),
        )),
        _ => Ok(()),
    }
}

/// Holds a waiting spare for a repair order (`Some`) or releases it (`None`).
pub async fn reserve<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    stay: &pool_stay::Model,
    version: Option<i32>,
    repair: Option<RepairId>,
) -> AppResult<pool_stay::Model> {
    save_versioned::<pool_stay::Entity, _>(conn, ctx.now, stay, version, |am| {
        am.reserved_for = Set(repair.map(|r| r.0));
    })
    .await
}
