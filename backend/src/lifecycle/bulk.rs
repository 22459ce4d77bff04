//! Actions on a selection of items: one state change with one reason, or a move to
//! another site with one reason.
//!
//! Invariants:
//! - All or nothing: every item is changed in one transaction, each through the same
//!   service a single change goes through (its rules, gates, cascades, ledger and audit
//!   entries); the first refusal rolls everything back and names the item it is about.
//! - A selection is 1–[`BULK_MAX`] distinct items, and the reason is required.
//! - An item that an earlier item of the selection already carried to the asked state (a
//!   DIMM following its server) is counted as carried, not refused.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::TransitionRequest;
use super::transition::transition_in;
use crate::assets::{AssetPatch, repo, service as assets};
use crate::context::Ctx;
use crate::db::Db;
use crate::error::{AppError, AppResult, FieldError, Problems};
use crate::ids::{AssetId, SiteId};
use crate::rules::State;
use crate::text;

/// The most items one bulk action changes (a list page shows at most 500).
pub const BULK_MAX: usize = 500;

/// One state change for a selection.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkTransition {
    /// The items, 1–500 of them.
    pub ids: Vec<AssetId>,
    /// The state every item moves to.
    pub to: Option<State>,
    /// Why (required); kept in every item's ledger entry.
    pub reason: Option<String>,
}

/// One site move for a selection.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkMove {
    /// The items, 1–500 of them (not installed in another: parts move with their parent).
    pub ids: Vec<AssetId>,
    /// The site every item moves to.
    pub site_id: Option<SiteId>,
    /// Why (required); kept in every item's ledger entry.
    pub reason: Option<String>,
}

/// What a bulk action did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BulkOutcome {
    /// Items changed as asked.
    pub changed: usize,
    /// Items that moved along with another (parts with their parent), or were already there.
    pub carried: usize,
}

fn selection(p: &mut Problems, ids: &[AssetId]) -> Vec<AssetId> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<AssetId> = ids.iter().copied().filter(|i| seen.insert(*i)).collect();
    if ids.is_empty() {
        p.add("ids", "select at least one item");
    } else if ids.len() > BULK_MAX {
        p.add("ids", format!("select at most {BULK_MAX} items at once"));
    }
    ids
}

fn reason(p: &mut Problems, given: Option<&str>) -> String {
    let r = text::optional_line(p, "reason", given, text::REASON_MAX).unwrap_or_default();
    if r.is_empty() && p.0.iter().all(|e| e.field != "reason") {
        p.add("reason", "is required: say why these items change");
    }
    r
}

/// The same refusal, saying which item of the selection it is about.
fn about(tag: &str, e: AppError) -> AppError {
    let say = |m: String| format!("{tag}: {m}");
    match e {
        AppError::Invalid(errs) => {
            AppError::Invalid(errs.into_iter().map(|f| FieldError::new(f.field, say(f.message))).collect())
        }
        AppError::Conflict { code, field, message } => AppError::Conflict { code, field, message: say(message) },
        AppError::BadRequest { field, message } => AppError::BadRequest { field, message: say(message) },
        AppError::Forbidden(m) => AppError::Forbidden(say(m)),
        AppError::Blocked { message, items } => AppError::Blocked { message: say(message), items },
        other => other,
    }
}

/// Moves every selected item to one state, all or nothing.
pub async fn transition_many(db: &Db, ctx: &Ctx, req: BulkTransition) -> AppResult<BulkOutcome> {
    let mut p = Problems::default();
    let ids = selection(&mut p, &req.ids);
    if req.to.is_none() {
        p.add("to", format!("is required: one of {}", State::expected()));
    }
    let why = reason(&mut p, req.reason.as_deref());
    p.into_result()?;
    let to = req.to.ok_or_else(|| AppError::invalid("to", "is required"))?;
    let txn = db.write().await?;
    let (mut changed, mut carried) = (0, 0);
    for id in ids {
        let row = repo::find(&*txn, id).await?;
        if row.state == to.as_str() {
            carried += 1;
            continue;
        }
        let ask = TransitionRequest { to: Some(to), reason: Some(why.clone()), ..Default::default() };
        let outcome = transition_in(&txn, ctx, id, ask).await.map_err(|e| about(&row.asset_tag, e))?;
        changed += 1;
        carried += outcome.carried.len();
    }
    txn.commit().await?;
    Ok(BulkOutcome { changed, carried })
}

/// Moves every selected item (and what is installed in it) to one site, all or nothing.
pub async fn move_many(db: &Db, ctx: &Ctx, req: BulkMove) -> AppResult<BulkOutcome> {
    let mut p = Problems::default();
    let ids = selection(&mut p, &req.ids);
    if req.site_id.is_none() {
        p.add("site_id", "is required: choose the site the items move to");
    }
    let why = reason(&mut p, req.reason.as_deref());
    p.into_result()?;
    let site = req.site_id.ok_or_else(|| AppError::invalid("site_id", "is required"))?;
    let txn = db.write().await?;
    let (mut changed, mut carried) = (0, 0);
    for id in ids {
        let row = repo::find(&*txn, id).await?;
        if row.site_id == Some(site.0) {
            carried += 1;
            continue;
        }
        let patch = AssetPatch {
            version: row.version,
            site_id: Some(Some(site)),
            reason: Some(why.clone()),
            ..Default::default()
        };
        assets::update_in(&txn, ctx, id, patch).await.map_err(|e| about(&row.asset_tag, e))?;
        changed += 1;
    }
    txn.commit().await?;
    Ok(BulkOutcome { changed, carried })
}
