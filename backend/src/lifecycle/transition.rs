//! Moving an item from one lifecycle state to another, with what it carries along.

use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseTransaction};

use super::model::{Carried, TransitionOutcome, TransitionRequest};
use super::{gate, pool};
use crate::assets::{Asset, repo};
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::entities::asset;
use crate::db::{Db, WriteTxn, check_version};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::AssetId;
use crate::ledger::{self, NewEvent};
use crate::rules::{Cascade, EventKind, LotStatus, Release, State, WorkloadTier, one_of};
use crate::text::{self, JsonObjectProblem};

/// Transitions an item in its own transaction.
pub async fn transition(db: &Db, ctx: &Ctx, id: AssetId, req: TransitionRequest) -> AppResult<TransitionOutcome> {
    let txn = db.write().await?;
    let outcome = transition_in(&txn, ctx, id, req).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Transitions an item in the caller's transaction, as asked (the role limits apply),
/// with its audit entry.
pub async fn transition_in(
    txn: &WriteTxn,
    ctx: &Ctx,
    id: AssetId,
    req: TransitionRequest,
) -> AppResult<TransitionOutcome> {
    let row = repo::find(&**txn, id).await?;
    check_version::<asset::Entity>(&row, req.version)?;
    let to = req.to.ok_or_else(|| AppError::invalid("to", format!("is required: one of {}", State::expected())))?;
    check_role(ctx, to)?;
    check_bench_work(txn, &row, to).await?;
    check_lot(txn, &row).await?;
    if to == State::Sanitized {
        check_sanitized(txn, &row).await?;
    }
    let mut p = Problems::default();
    let reason = text::optional_line(&mut p, "reason", req.reason.as_deref(), text::REASON_MAX).unwrap_or_default();
    let payload = req.payload.unwrap_or_else(|| serde_json::json!({}));
    match text::json_object_problem(&payload, 16 * 1024) {
        Some(JsonObjectProblem::NotObject) => p.add("payload", "must be a JSON object"),
        Some(JsonObjectProblem::TooLarge | JsonObjectProblem::Nul) => {
            p.add("payload", "must be at most 16 KiB of JSON, without NUL characters")
        }
        None => {}
    }
    p.into_result()?;
    // An illegal move is refused as such before what the move would need is checked.
    let (kind, from) = repo::kind_state(&row)?;
    if let Some(why) = from.refusal(kind, to) {
        return Err(illegal(&row, why));
    }
    // Only a redeployment asked for needs a workload: parts that follow their parent into
    // a second life, or join a redeployed server, take none of their own. An item leaving
    // service takes none: its workload ends with the move.
    let workload = req.workload_tier;
    if let Some(w) = workload
        && !to.is_in_service()
    {
        return Err(AppError::invalid(
            "workload_tier",
            format!("{} is not in service, so it takes no workload (not {})", to.label(), w.label()),
        ));
    }
    if to == State::Redeployed && workload.is_none() && row.workload_tier.is_none() {
        let tiers: Vec<&str> = WorkloadTier::ALL.iter().filter(|w| w.is_second_life()).map(|w| w.as_str()).collect();
        return Err(AppError::invalid(
            "workload_tier",
            format!("redeployment needs the workload the item moves to (second-life tiers: {})", one_of(&tiers)),
        ));
    }
    let before = Asset::try_from(row.clone())?;
    let outcome = apply(txn, ctx, row, to, &reason, payload, workload).await?;
    let mut after = snapshot(&outcome.asset);
    if let Some(obj) = after.as_mut().and_then(|v| v.as_object_mut()) {
        obj.insert(
            "carried".into(),
            serde_json::json!(outcome.carried.iter().map(|c| &c.asset_tag).collect::<Vec<_>>()),
        );
        obj.insert("detached".into(), serde_json::json!(outcome.detached));
        obj.insert("reason".into(), serde_json::json!(reason));
    }
    audit::record(txn, ctx, "asset.transition", "asset", id, snapshot(&before), after).await?;
    Ok(outcome)
}

/// `sanitized` is what a passing sanitization record makes a device: asked for directly, a
/// device is refused (record the sanitization instead), and any other item only becomes
/// `sanitized` when every device installed in it has a passing record.
async fn check_sanitized(txn: &WriteTxn, row: &asset::Model) -> AppResult<()> {
    if gate::holds_data(row) {
        return Err(AppError::Conflict {
            code: "needs_record",
            field: Some("to".into()),
            message: format!(
                "{} holds data: it becomes sanitized through a sanitization record (method, tool, verification), not a state change",
                row.asset_tag
            ),
        });
    }
    let tree = repo::descendants(&**txn, AssetId(row.id)).await?;
    let rows: Vec<&asset::Model> = tree.iter().collect();
    gate::check(&**txn, &row.asset_tag, &rows, Release::Recycling).await
}

/// An item whose repair order is open leaves `in_repair` by closing the order, and an item
/// on the harvest bench becomes `dismantled` by closing its job: the ordinary transition
/// refuses both, so no order or job is left open behind the item's back. (This reads the
/// bench's tables directly, one query each, like `catalog` reads `assets`.)
async fn check_bench_work(txn: &WriteTxn, row: &asset::Model, to: State) -> AppResult<()> {
    use crate::db::entities::{dismantle_job, repair_order};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let from = State::parse(&row.state);
    if from == Some(State::InRepair)
        && to != State::InRepair
        && let Some(r) =
            repair_order::Entity::find().filter(repair_order::Column::OpenAssetId.eq(row.id)).one(&**txn).await?
    {
        return Err(AppError::Conflict {
            code: "repair_open",
            field: Some("to".into()),
            message: format!(
                "{} has an open repair, R-{}: close the repair to take it out of repair",
                row.asset_tag,
                crate::db::short_id(&r.id)
            ),
        });
    }
    if to == State::Dismantled
        && let Some(j) =
            dismantle_job::Entity::find().filter(dismantle_job::Column::OpenAssetId.eq(row.id)).one(&**txn).await?
    {
        return Err(AppError::Conflict {
            code: "job_open",
            field: Some("to".into()),
            message: format!(
                "{} is on the harvest bench in job J-{}: closing the job dismantles it",
                row.asset_tag,
                crate::db::short_id(&j.id)
            ),
        });
    }
    Ok(())
}

/// An item in a recycling lot (or installed in one that is) moves with its lot: while the
/// lot is open it is taken out of the lot first, and once the lot has shipped its items
/// become `recovered` when the recycler's report is entered. The ordinary transition
/// refuses both, so a lot's contents never change behind its back. (Reads the lots' tables
/// directly, like `check_bench_work`.)
async fn check_lot(txn: &WriteTxn, row: &asset::Model) -> AppResult<()> {
    use crate::db::entities::{recycling_lot, recycling_lot_item};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let above = repo::ancestors(&**txn, row.parent_id).await?;
    let ids: Vec<uuid::Uuid> = std::iter::once(row.id).chain(above.iter().map(|a| a.id)).collect();
    let Some(item) = recycling_lot_item::Entity::find()
        .filter(recycling_lot_item::Column::IncludedAssetId.is_in(ids))
        .one(&**txn)
        .await?
    else {
        return Ok(());
    };
    let Some(lot) = recycling_lot::Entity::find_by_id(item.lot_id).one(&**txn).await? else {
        return Ok(());
    };
    let number = format!("L-{}", crate::db::short_id(&lot.id));
    let held = match above.iter().find(|a| a.id == item.asset_id) {
        Some(root) => format!("{} is installed in {}, which", row.asset_tag, root.asset_tag),
        None => row.asset_tag.clone(),
    };
    let message = match LotStatus::parse(&lot.status) {
        Some(LotStatus::Open) => format!("{held} is in recycling lot {number}: take it out of the lot first"),
        Some(LotStatus::Shipped) => format!(
            "{held} left in recycling lot {number}: its items become recovered when the lot's recovery report is entered"
        ),
        _ => format!("{held} was recovered in recycling lot {number}"),
    };
    Err(AppError::Conflict { code: "in_lot", field: Some("to".into()), message })
}

/// Whether the acting user's role may ask for a move to `to` (states an item takes on by
/// following its parent or joining one are not asked for, so they are not checked).
pub(super) fn check_role(ctx: &Ctx, to: State) -> AppResult<()> {
    match ctx.actor.role {
        Some(role) if !role.may_transition_to(to) => {
            Err(AppError::Forbidden(format!("a {} may not move items to {to}", role.label().to_lowercase())))
        }
        _ => Ok(()),
    }
}

fn illegal(row: &asset::Model, message: String) -> AppError {
    AppError::Conflict {
        code: "illegal_transition",
        field: Some("to".into()),
        message: format!("{}: {message}", row.asset_tag),
    }
}

/// Applies a transition in the caller's transaction, with its cascade and ledger entries
/// but without the role check or an audit entry: install and remove compose it, and the
/// bench's own moves (a repair opened or closed, a part routed to a pool) use it, their
/// permission and audit entry being the bench's.
pub async fn apply(
    txn: &WriteTxn,
    ctx: &Ctx,
    row: asset::Model,
    to: State,
    reason: &str,
    payload: serde_json::Value,
    workload: Option<WorkloadTier>,
) -> AppResult<TransitionOutcome> {
    let conn: &DatabaseTransaction = txn;
    let (kind, from) = repo::kind_state(&row)?;
    if let Some(why) = from.refusal(kind, to) {
        return Err(illegal(&row, why));
    }
    let id = AssetId(row.id);
    let today = ctx.now.date_naive();
    let mut events = vec![
        NewEvent::new(id, EventKind::State, Some(from.to_string()), Some(to.to_string()))
            .reason(reason.to_owned())
            .payload(payload),
    ];
    let new_workload = workload_after(&row, to, workload);
    if let Some(w) = &new_workload {
        events.push(
            NewEvent::new(id, EventKind::Workload, row.workload_tier.clone(), w.clone()).reason(reason.to_owned()),
        );
    }

    // Plan what the transition carries along before writing anything.
    let mut carried = Vec::new();
    let mut detached = Vec::new();
    let mut follow_rows = Vec::new();
    let release = gate::release_of(from, to).or_else(|| (to == State::Redeployed).then_some(Release::Reuse));
    let needs_tree = matches!(to.cascade(), Cascade::Follow | Cascade::WholeTree) || release.is_some();
    let tree = if needs_tree { repo::descendants(conn, id).await? } else { Vec::new() };
    if let Some(rel) = release {
        // A redeployment is a release only when the item moved site since it was last in use.
        if rel != Release::Reuse || to != State::Redeployed || gate::moved_since_use(conn, id).await? {
            let rows: Vec<&asset::Model> = std::iter::once(&row).chain(tree.iter()).collect();
            gate::check(conn, &row.asset_tag, &rows, rel).await?;
        }
    }
    match to.cascade() {
        Cascade::Follow | Cascade::WholeTree => {
            let whole = to.cascade() == Cascade::WholeTree;
            for d in tree {
                let (dk, ds) = repo::kind_state(&d)?;
                if ds == to || (!whole && ds != from) {
                    continue;
                }
                if let Some(why) = ds.refusal(dk, to) {
                    return Err(illegal(
                        &row,
                        format!("{} installed in it cannot go along ({}); remove it first", d.asset_tag, why),
                    ));
                }
                carried.push(Carried { id: AssetId(d.id), asset_tag: d.asset_tag.clone(), from: ds, to });
                follow_rows.push(d);
            }
        }
        Cascade::DetachChildren => {
            for c in repo::children(conn, id).await? {
                detached.push(c);
            }
        }
        Cascade::None => {}
    }

    let saved = repo::save(conn, ctx, &row, |am| {
        am.state = Set(to.as_str().to_owned());
        if to == State::Deployed && row.first_deployed_on.is_none() {
            am.first_deployed_on = Set(Some(today));
        }
        if let Some(w) = &new_workload {
            am.workload_tier = Set(w.clone());
        }
    })
    .await?;

    let follow_reason =
        if reason.is_empty() { format!("with {}", row.asset_tag) } else { format!("with {}: {reason}", row.asset_tag) };
    for d in &follow_rows {
        events.push(
            NewEvent::new(AssetId(d.id), EventKind::State, Some(d.state.clone()), Some(to.to_string()))
                .related(id)
                .reason(follow_reason.clone()),
        );
        let cleared = workload_after(d, to, None);
        if cleared.is_some() {
            events.push(
                NewEvent::new(AssetId(d.id), EventKind::Workload, d.workload_tier.clone(), None)
                    .related(id)
                    .reason(follow_reason.clone()),
            );
        }
        repo::save(conn, ctx, d, |am| {
            am.state = Set(to.as_str().to_owned());
            if to == State::Deployed && d.first_deployed_on.is_none() {
                am.first_deployed_on = Set(Some(today));
            }
            if cleared.is_some() {
                am.workload_tier = Set(None);
            }
        })
        .await?;
    }
    let mut detached_ids = Vec::with_capacity(detached.len());
    for c in &detached {
        let cid = AssetId(c.id);
        events.push(
            NewEvent::new(cid, EventKind::Parent, Some(row.id.to_string()), None)
                .related(id)
                .reason(format!("{} dismantled", row.asset_tag)),
        );
        events.push(
            NewEvent::new(id, EventKind::ChildRemoved, Some(c.asset_tag.clone()), None)
                .related(cid)
                .reason("dismantled"),
        );
        repo::save(conn, ctx, c, |am| am.parent_id = Set(None)).await?;
        detached_ids.push(cid);
    }
    ledger::append(txn, ctx, events).await?;
    let moved: Vec<uuid::Uuid> = std::iter::once(row.id).chain(follow_rows.iter().map(|d| d.id)).collect();
    pool::leave_on_move(conn, ctx, &moved, to).await?;
    Ok(TransitionOutcome { asset: saved.try_into()?, carried, detached: detached_ids })
}

/// The workload an item has after moving to `to`, when it changes: an item leaving
/// service (`State::is_in_service`) has none any more; one in service takes on the
/// workload asked for. `None`: unchanged.
fn workload_after(row: &asset::Model, to: State, asked: Option<WorkloadTier>) -> Option<Option<String>> {
    if !to.is_in_service() {
        return row.workload_tier.is_some().then_some(None);
    }
    asked.map(|w| Some(w.as_str().to_owned())).filter(|w| *w != row.workload_tier)
}

/// Most refusals one message names (the count says how many more).
const NAMED: usize = 20;

/// What moving many standalone items and everything installed in them to one state takes:
/// the rows that move (the items first, then their parts level by level, each with the
/// item it goes along with) and every reason one of them may not.
pub struct ManyPlan {
    /// Every row to move, roots first, each part with its root; read-only outside, so a
    /// plan the gate passed moves exactly the rows it checked.
    rows: Vec<(asset::Model, Option<uuid::Uuid>)>,
    pub blockers: Vec<String>,
    /// The release the data gate has passed these rows for ([`ManyPlan::gate`]), so
    /// [`apply_plan`] need not read their records again in the same transaction.
    gated: Option<Release>,
}

impl ManyPlan {
    /// The rows to move, roots first, each part with its root.
    pub fn rows(&self) -> &[(asset::Model, Option<uuid::Uuid>)] {
        &self.rows
    }

    /// Runs the data gate on the planned rows for `release` (409 `not_sanitized` naming
    /// `what` and every device that blocks), and remembers that it passed.
    pub async fn gate<C: ConnectionTrait>(&mut self, conn: &C, what: &str, release: Release) -> AppResult<()> {
        let rows: Vec<&asset::Model> = self.rows.iter().map(|(r, _)| r).collect();
        gate::check(conn, what, &rows, release).await?;
        self.gated = Some(release);
        Ok(())
    }

    /// The refusal naming every blocker (up to [`NAMED`]), or `None`.
    pub fn refusal(&self, to: State) -> Option<AppError> {
        if self.blockers.is_empty() {
            return None;
        }
        let n = self.blockers.len();
        let more = if n > NAMED { format!(" and {} more", n - NAMED) } else { String::new() };
        let shown: Vec<&str> = self.blockers.iter().take(NAMED).map(String::as_str).collect();
        Some(AppError::Conflict {
            code: "illegal_transition",
            field: None,
            message: format!("{n} item(s) cannot go to {to}: {}{more}", shown.join("; ")),
        })
    }
}

/// Plans the move of `roots` (standalone items) and their whole trees to `to`, a state that
/// takes the whole tree (`in_recycling`, `recovered`…), without writing: a root must be
/// standalone, every row must be allowed the move, and none may be on the harvest bench.
pub async fn plan_many<C: ConnectionTrait>(conn: &C, roots: &[asset::Model], to: State) -> AppResult<ManyPlan> {
    use crate::db::entities::dismantle_job;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if to.cascade() != Cascade::WholeTree {
        return Err(AppError::Internal(anyhow::anyhow!("plan_many moves whole trees; {to} does not take one")));
    }
    let ids: Vec<uuid::Uuid> = roots.iter().map(|r| r.id).collect();
    let parts = repo::descendants_of_all(conn, &ids).await?;
    let mut root_of: HashMap<uuid::Uuid, (uuid::Uuid, String)> =
        roots.iter().map(|r| (r.id, (r.id, r.asset_tag.clone()))).collect();
    let mut blockers = Vec::new();
    let mut rows = Vec::with_capacity(roots.len() + parts.len());
    for r in roots {
        let (kind, from) = repo::kind_state(r)?;
        if let Some(p) = r.parent_id {
            let parent = repo::find(conn, AssetId(p)).await.map(|x| x.asset_tag).unwrap_or_else(|_| p.to_string());
            blockers
                .push(format!("{} is installed in {parent}: remove it first, or take {parent} instead", r.asset_tag));
        } else if let Some(why) = from.refusal(kind, to) {
            blockers.push(format!("{}: {why}", r.asset_tag));
        }
        rows.push((r.clone(), None));
    }
    // Parts come level by level, so a part's parent is always resolved before it.
    for d in parts {
        let (dk, ds) = repo::kind_state(&d)?;
        let Some((root, root_tag)) = d.parent_id.and_then(|p| root_of.get(&p).cloned()) else {
            return Err(AppError::Internal(anyhow::anyhow!("part {} came before its parent", d.id)));
        };
        root_of.insert(d.id, (root, root_tag.clone()));
        if ds == to {
            continue;
        }
        if let Some(why) = ds.refusal(dk, to) {
            blockers.push(format!("{} installed in {root_tag} cannot go along ({why}); remove it first", d.asset_tag));
        }
        rows.push((d, Some(root)));
    }
    // Open jobs are few (one per item on the bench): read them all once.
    let tags: HashMap<uuid::Uuid, &str> = rows.iter().map(|(r, _)| (r.id, r.asset_tag.as_str())).collect();
    for j in dismantle_job::Entity::find().filter(dismantle_job::Column::OpenAssetId.is_not_null()).all(conn).await? {
        if let Some(tag) = tags.get(&j.asset_id) {
            blockers.push(format!(
                "{tag} is on the harvest bench in job J-{}: close the job first",
                crate::db::short_id(&j.id)
            ));
        }
    }
    Ok(ManyPlan { rows, blockers, gated: None })
}

/// Moves `roots` and everything installed in them to `to` in the caller's transaction, in
/// batches: one compare-and-swap per chunk of rows, one ledger append for every entry, the
/// pool stays ended together. Refused as a whole, naming every blocker (the data gate's
/// included, for a move that is a release), like [`apply`]
/// (whose ledger entries it writes: each root with `reason` and `payload`, each part "with"
/// its root). No role check and no audit entry: the caller's (a recycling lot's) own.
/// Returns how many rows moved.
pub async fn apply_many(
    txn: &WriteTxn,
    ctx: &Ctx,
    roots: &[asset::Model],
    to: State,
    reason: &str,
    payload: serde_json::Value,
) -> AppResult<usize> {
    let plan = plan_many(&**txn, roots, to).await?;
    if let Some(e) = plan.refusal(to) {
        return Err(e);
    }
    apply_plan(txn, ctx, roots, plan, to, reason, payload).await
}

/// [`apply_many`] with a plan the caller made (and checked) in the same transaction, so a
/// caller that also inspects the rows reads the trees once.
pub async fn apply_plan(
    txn: &WriteTxn,
    ctx: &Ctx,
    roots: &[asset::Model],
    plan: ManyPlan,
    to: State,
    reason: &str,
    payload: serde_json::Value,
) -> AppResult<usize> {
    if let Some(e) = plan.refusal(to) {
        return Err(e);
    }
    let conn: &DatabaseTransaction = txn;
    // The data gate, as `apply` runs it: whole-tree targets are the same release whatever
    // state an item comes from.
    let from = roots.first().and_then(|r| State::parse(&r.state));
    if let Some(release) = from.and_then(|f| gate::release_of(f, to))
        && plan.gated != Some(release)
    {
        let rows: Vec<&asset::Model> = plan.rows.iter().map(|(r, _)| r).collect();
        let what = match roots {
            [one] => one.asset_tag.clone(),
            _ => format!("the {} items", roots.len()),
        };
        gate::check(conn, &what, &rows, release).await?;
    }
    let tags: HashMap<uuid::Uuid, String> = roots.iter().map(|r| (r.id, r.asset_tag.clone())).collect();
    let mut events = Vec::with_capacity(plan.rows.len());
    for (r, root) in &plan.rows {
        let e = NewEvent::new(AssetId(r.id), EventKind::State, Some(r.state.clone()), Some(to.to_string()));
        let (e, why) = match root {
            None => (e.payload(payload.clone()), reason.to_owned()),
            Some(root) => {
                let tag = tags.get(root).map(String::as_str).unwrap_or_default();
                let why = if reason.is_empty() { format!("with {tag}") } else { format!("with {tag}: {reason}") };
                (e.related(AssetId(*root)), why)
            }
        };
        events.push(e.reason(why.clone()));
        // Leaving service ends the item's workload, in the same entry set.
        if workload_after(r, to, None).is_some() {
            let w = NewEvent::new(AssetId(r.id), EventKind::Workload, r.workload_tier.clone(), None).reason(why);
            events.push(match root {
                Some(root) => w.related(AssetId(*root)),
                None => w,
            });
        }
    }
    let pairs: Vec<(uuid::Uuid, i32)> = plan.rows.iter().map(|(r, _)| (r.id, r.version)).collect();
    let clear_workload = !to.is_in_service();
    crate::db::save_versioned_many::<asset::Entity, _>(conn, ctx.now, &pairs, |u| {
        let u = u.col_expr(asset::Column::State, sea_orm::sea_query::Expr::value(to.as_str()));
        if clear_workload {
            u.col_expr(asset::Column::WorkloadTier, sea_orm::sea_query::Expr::value(None::<String>))
        } else {
            u
        }
    })
    .await?;
    ledger::append(txn, ctx, events).await?;
    let moved: Vec<uuid::Uuid> = pairs.iter().map(|(id, _)| *id).collect();
    pool::leave_on_move(conn, ctx, &moved, to).await?;
    Ok(moved.len())
}
