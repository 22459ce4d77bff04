//! The fleet view as CSV (the columns the page shows, one row per due item).

use sea_orm::ConnectionTrait;

use super::model::FleetQuery;
use super::query;
use crate::error::{AppError, AppResult};

/// The filtered fleet view of the latest run as CSV (a header only before the first run).
pub async fn csv<C: ConnectionTrait>(conn: &C, q: &FleetQuery) -> AppResult<Vec<u8>> {
    let rows = match query::latest_run(conn).await? {
        Some((id, _)) => query::all(conn, id, q).await?,
        None => Vec::new(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.into());
    w.write_record([
        "asset_id",
        "asset_tag",
        "kind",
        "state",
        "site",
        "model",
        "age_years",
        "failures",
        "support_ends_on",
        "due",
        "disposition",
        "tier",
        "target_site",
        "suggestion",
        "score",
        "deferred_kg",
        "avoided_kgco2e",
        "payback_years",
        "rules",
    ])
    .map_err(io)?;
    let num = |v: Option<f64>, digits: usize| v.map(|v| format!("{v:.digits$}")).unwrap_or_default();
    for r in rows {
        w.write_record([
            r.asset_id.to_string(),
            r.asset_tag,
            r.kind.as_str().to_owned(),
            r.state.as_str().to_owned(),
            r.site.unwrap_or_default(),
            r.model.unwrap_or_default(),
            num(r.age_years, 2),
            r.failures.to_string(),
            r.support_ends_on.map(|d| d.to_string()).unwrap_or_default(),
            r.due.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(" "),
            r.disposition.map(|d| d.as_str().to_owned()).unwrap_or_default(),
            r.tier.map(|t| t.as_str().to_owned()).unwrap_or_default(),
            r.target_site.unwrap_or_default(),
            r.suggestion,
            num(r.score, 0),
            num(r.deferred_kg, 3),
            num(r.avoided_kgco2e, 1),
            num(r.payback_years, 2),
            r.rules.join(" "),
        ])
        .map_err(io)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("writing the CSV: {e}")))
}
