//! Reading and rebuilding the fleet counters.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement};
use uuid::Uuid;

use super::model::{Counter, Overview, summarise};
use crate::assets::query::CounterFilter;
use crate::catalog;
use crate::db::Db;
use crate::db::entities::{fleet_count as fc, fleet_yearly as fy};
use crate::error::{AppError, AppResult};
use crate::ids::{ModelId, SiteId};
use crate::rules::{AssetKind, State};
use crate::sites;

fn key(id: Option<Uuid>) -> Uuid {
    id.unwrap_or(Uuid::nil())
}

fn unkey(id: Uuid) -> Option<Uuid> {
    (!id.is_nil()).then_some(id)
}

/// Every counter row that holds something, typed.
pub async fn counters<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<Counter>> {
    let rows = fc::Entity::find()
        .filter(fc::Column::Items.ne(0).or(fc::Column::OverrideG.ne(0)).or(fc::Column::MassOverridden.ne(0)))
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let unreadable =
                || AppError::Internal(anyhow::anyhow!("unreadable counter row {:?}/{:?}", r.kind, r.state));
            Ok(Counter {
                kind: AssetKind::parse(&r.kind).ok_or_else(unreadable)?,
                state: State::parse(&r.state).ok_or_else(unreadable)?,
                site: unkey(r.site_key).map(SiteId),
                model: unkey(r.model_key).map(ModelId),
                top_level: r.top_level,
                items: r.items,
                mass_overridden: r.mass_overridden,
                override_g: r.override_g,
            })
        })
        .collect()
}

/// The overview as of `now`, read in one snapshot.
pub async fn load(db: &Db, now: DateTime<Utc>) -> AppResult<Overview> {
    let txn = db.read_snapshot().await?;
    let rows = counters(&txn).await?;
    let year = now.year();
    let retired = fy::Entity::find_by_id((year, "retired".to_owned())).one(&txn).await?.map(|r| r.n).unwrap_or(0);
    let mut model_ids: Vec<ModelId> = rows.iter().filter_map(|r| r.model).collect();
    model_ids.sort_unstable();
    model_ids.dedup();
    let model_mass: HashMap<ModelId, f64> =
        catalog::by_ids(&txn, &model_ids).await?.into_iter().filter_map(|m| m.mass_kg.map(|kg| (m.id, kg))).collect();
    let site_name: HashMap<SiteId, String> = sites::list(&txn).await?.into_iter().map(|s| (s.id, s.name)).collect();
    txn.commit().await?;
    Ok(summarise(&rows, &model_mass, &site_name, year, retired))
}

/// How many items match `f`, from the counters (one indexed sum, whatever the fleet size).
pub async fn count<C: ConnectionTrait>(conn: &C, f: &CounterFilter) -> AppResult<i64> {
    // SUM over a BIGINT is NUMERIC on PostgreSQL: cast it back.
    let sum = Expr::expr(Func::sum(Expr::col(fc::Column::Items))).cast_as(Alias::new("BIGINT"));
    let mut q = fc::Entity::find().select_only().column_as(sum, "n");
    if let Some(k) = f.kind {
        q = q.filter(fc::Column::Kind.eq(k.as_str()));
    }
    if let Some(s) = f.state {
        q = q.filter(fc::Column::State.eq(s.as_str()));
    }
    if let Some(s) = f.site_id {
        q = q.filter(fc::Column::SiteKey.eq(key(Some(s.0))));
    }
    if let Some(m) = f.model_id {
        q = q.filter(fc::Column::ModelKey.eq(key(Some(m.0))));
    }
    if f.top_level_only {
        q = q.filter(fc::Column::TopLevel.eq(true));
    }
    Ok(q.into_tuple::<Option<i64>>().one(conn).await?.flatten().unwrap_or(0))
}

/// Recomputes every counter from the registry and the ledger, in one transaction (after a
/// restore from a copy made by other tools, or to prove the counters right).
pub async fn rebuild(db: &Db) -> AppResult<()> {
    let txn = db.write().await?;
    let backend = txn.get_database_backend();
    let nil = match backend {
        DbBackend::Postgres => "'00000000-0000-0000-0000-000000000000'::uuid",
        _ => "zeroblob(16)",
    };
    let (grams, year) = match backend {
        DbBackend::Postgres => (
            "coalesce(sum(round(mass_override_kg * 1000)::bigint), 0)",
            "extract(year FROM occurred_at AT TIME ZONE 'UTC')::int",
        ),
        _ => (
            "ifnull(sum(CAST(round(mass_override_kg * 1000) AS INTEGER)), 0)",
            "CAST(substr(occurred_at, 1, 4) AS INTEGER)",
        ),
    };
    for sql in [
        "DELETE FROM fleet_counts".to_owned(),
        "DELETE FROM fleet_yearly".to_owned(),
        format!(
            "INSERT INTO fleet_counts (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g) \
             SELECT kind, state, coalesce(site_id, {nil}), coalesce(model_id, {nil}), parent_id IS NULL, \
             count(*), count(mass_override_kg), {grams} FROM assets GROUP BY 1, 2, 3, 4, 5"
        ),
        format!(
            "INSERT INTO fleet_yearly (year, metric, n) SELECT {year}, 'retired', count(*) FROM lifecycle_events \
             WHERE kind = 'state' AND to_value = 'retired' GROUP BY 1"
        ),
    ] {
        txn.execute_raw(Statement::from_string(backend, sql)).await?;
    }
    txn.commit().await?;
    Ok(())
}
