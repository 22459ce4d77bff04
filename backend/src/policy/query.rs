//! Reads of the fleet view: the latest finished run, its due items page by page (keyset by
//! asset id, filtered by disposition, kind, site and due reason) with totals, and every
//! row for the CSV export.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::model::{DispositionTotal, FleetQuery, FleetRow, FleetTotals, RunInfo, RunTotals, title};
use crate::db::entities::{asset, hardware_model, policy_run, policy_suggestion, site};
use crate::error::{AppError, AppResult};
use crate::ids::AssetId;
use crate::rules::{AssetKind, Disposition, DueReason, Page, State, WorkloadTier};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

/// The finished run that started last (a slower run that started earlier and finished
/// later does not replace it), if the fleet was ever evaluated.
pub async fn latest_run<C: ConnectionTrait>(conn: &C) -> AppResult<Option<(Uuid, RunInfo)>> {
    let Some(r) = policy_run::Entity::find()
        .filter(policy_run::Column::FinishedAt.is_not_null())
        .order_by_desc(policy_run::Column::StartedAt)
        .order_by_desc(policy_run::Column::Id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let totals: RunTotals = serde_json::from_value(r.totals)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("unreadable totals of policy run {}: {e}", r.id)))?;
    Ok(Some((
        r.id,
        RunInfo {
            policy_version: r.policy_number,
            started_at: r.started_at,
            finished_at: r.finished_at.unwrap_or(r.started_at),
            evaluated: r.evaluated,
            due: r.due,
            trigger: r.trigger,
            totals: totals.all.clone(),
            by_filter: totals,
        },
    )))
}

fn condition(run: Uuid, q: &FleetQuery) -> Condition {
    let mut c = Condition::all().add(policy_suggestion::Column::RunId.eq(run));
    if let Some(d) = q.disposition {
        c = c.add(policy_suggestion::Column::Disposition.eq(d.as_str()));
    }
    if let Some(k) = q.kind {
        c = c.add(policy_suggestion::Column::Kind.eq(k.as_str()));
    }
    if let Some(s) = q.site {
        c = c.add(policy_suggestion::Column::SiteId.eq(s.0));
    }
    if let Some(d) = q.due {
        // Space-separated reasons: match the word.
        c = c.add(
            Condition::any()
                .add(policy_suggestion::Column::DueReasons.eq(d.as_str()))
                .add(policy_suggestion::Column::DueReasons.like(format!("{} %", d.as_str())))
                .add(policy_suggestion::Column::DueReasons.like(format!("% {}", d.as_str())))
                .add(policy_suggestion::Column::DueReasons.like(format!("% {} %", d.as_str()))),
        );
    }
    c
}

/// One line of a summed view: disposition, items, kg deferred, kgCO2e avoided.
type SumRow = (Option<String>, i64, Option<f64>, Option<f64>);

/// Totals of the filtered rows: the run's own for no filter or one (kept with the run),
/// else one aggregate query over the filtered rows.
pub async fn totals<C: ConnectionTrait>(conn: &C, run: Uuid, info: &RunInfo, q: &FleetQuery) -> AppResult<FleetTotals> {
    let t = &info.by_filter;
    let kept = |m: &std::collections::BTreeMap<String, FleetTotals>, k: String| m.get(&k).cloned().unwrap_or_default();
    match (q.disposition, q.kind, q.site, q.due) {
        (None, None, None, None) => return Ok(info.totals.clone()),
        (Some(d), None, None, None) => {
            let mut out = FleetTotals::default();
            if let Some(line) = info.totals.by_disposition.iter().find(|l| l.disposition == Some(d)) {
                out.items = line.items;
                out.deferred_kg = line.deferred_kg;
                out.avoided_kgco2e = line.avoided_kgco2e;
                out.by_disposition = vec![line.clone()];
            }
            return Ok(out);
        }
        (None, Some(k), None, None) => return Ok(kept(&t.by_kind, k.as_str().to_owned())),
        (None, None, Some(s), None) => return Ok(kept(&t.by_site, s.to_string())),
        (None, None, None, Some(r)) => return Ok(kept(&t.by_due, r.as_str().to_owned())),
        _ => {}
    }
    let rows: Vec<SumRow> = policy_suggestion::Entity::find()
        .select_only()
        .column(policy_suggestion::Column::Disposition)
        .column_as(policy_suggestion::Column::AssetId.count(), "n")
        .column_as(policy_suggestion::Column::DeferredKg.sum(), "kg")
        .column_as(policy_suggestion::Column::AvoidedKgco2e.sum(), "co2")
        .filter(condition(run, q))
        .group_by(policy_suggestion::Column::Disposition)
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = FleetTotals::default();
    for (d, n, kg, co2) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        let (kg, co2) = (kg.unwrap_or(0.0), co2.unwrap_or(0.0));
        out.items += n;
        out.deferred_kg += kg;
        out.avoided_kgco2e += co2;
        out.by_disposition.push(DispositionTotal {
            disposition: d.as_deref().and_then(Disposition::parse),
            items: n,
            deferred_kg: kg,
            avoided_kgco2e: co2,
        });
    }
    out.by_disposition.sort_by_key(|t| t.disposition);
    Ok(out)
}

/// One page of the fleet view's due items.
pub async fn page<C: ConnectionTrait>(conn: &C, run: Uuid, q: &FleetQuery) -> AppResult<Page<FleetRow>> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    let mut c = condition(run, q);
    if let Some(cur) = q.cursor {
        c = c.add(policy_suggestion::Column::AssetId.gt(cur.0));
    }
    let rows = policy_suggestion::Entity::find()
        .filter(c)
        .order_by_asc(policy_suggestion::Column::AssetId)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let rows = label(conn, rows).await?;
    Ok(Page::from_rows(rows, limit as usize, |r| r.asset_id.to_string()))
}

/// Every row of the filtered view, in asset order, in chunks (for the CSV export).
pub async fn all<C: ConnectionTrait>(conn: &C, run: Uuid, q: &FleetQuery) -> AppResult<Vec<FleetRow>> {
    let mut out = Vec::new();
    let mut q = q.clone();
    q.limit = Some(MAX_LIMIT);
    loop {
        let page = page(conn, run, &q).await?;
        let next = page.next_cursor.clone();
        out.extend(page.items);
        match next.and_then(|c| c.parse::<Uuid>().ok()) {
            Some(c) => q.cursor = Some(AssetId(c)),
            None => return Ok(out),
        }
    }
}

/// Rows with their site and model names, and whether the item changed since the run.
async fn label<C: ConnectionTrait>(conn: &C, rows: Vec<policy_suggestion::Model>) -> AppResult<Vec<FleetRow>> {
    let site_ids: Vec<Uuid> = rows.iter().flat_map(|r| [r.site_id, r.target_site_id]).flatten().collect();
    let model_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.model_id).collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.asset_id).collect();
    let sites: HashMap<Uuid, String> = if site_ids.is_empty() {
        HashMap::new()
    } else {
        site::Entity::find()
            .filter(site::Column::Id.is_in(site_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    };
    let models: HashMap<Uuid, String> = if model_ids.is_empty() {
        HashMap::new()
    } else {
        hardware_model::Entity::find()
            .filter(hardware_model::Column::Id.is_in(model_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|m| (m.id, crate::catalog::label(&m.manufacturer, &m.model_number)))
            .collect()
    };
    let versions: HashMap<Uuid, i32> = if ids.is_empty() {
        HashMap::new()
    } else {
        asset::Entity::find()
            .select_only()
            .column(asset::Column::Id)
            .column(asset::Column::Version)
            .filter(asset::Column::Id.is_in(ids))
            .into_tuple::<(Uuid, i32)>()
            .all(conn)
            .await?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let disposition = r.disposition.as_deref().and_then(Disposition::parse);
            let tier = r.tier.as_deref().and_then(WorkloadTier::parse);
            let target = r.target_site_id.and_then(|s| sites.get(&s).cloned());
            FleetRow {
                asset_id: AssetId(r.asset_id),
                kind: AssetKind::parse(&r.kind).unwrap_or(AssetKind::Other),
                state: State::parse(&r.state).unwrap_or(State::InStock),
                site: r.site_id.and_then(|s| sites.get(&s).cloned()),
                model: r.model_id.and_then(|m| models.get(&m).cloned()),
                age_years: r.age_years,
                failures: r.failures,
                support_ends_on: r.support_ends_on,
                due: r.due_reasons.split_whitespace().filter_map(DueReason::parse).collect(),
                suggestion: disposition
                    .map_or_else(|| "no eligible option".to_owned(), |d| title(d, tier, target.as_deref())),
                disposition,
                tier,
                target_site: target,
                score: r.score,
                deferred_kg: r.deferred_kg,
                avoided_kgco2e: r.avoided_kgco2e,
                payback_years: r.payback_years,
                rules: r.rules.split_whitespace().map(str::to_owned).collect(),
                changed_since: versions.get(&r.asset_id).is_none_or(|v| *v != r.asset_version),
                asset_tag: r.asset_tag,
            }
        })
        .collect())
}
