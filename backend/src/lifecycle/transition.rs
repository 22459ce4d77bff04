//! Moving an item from one lifecycle state to another, with what it carries along.

use sea_orm::{ActiveValue::Set, DatabaseTransaction};

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
use crate::rules::{Cascade, EventKind, Release, State, WorkloadTier, one_of};
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
    // Only a redeployment asked for needs a workload: parts that follow their parent into
    // a second life, or join a redeployed server, take none of their own.
    let workload = req.workload_tier;
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
    let new_workload = workload.map(|w| w.as_str().to_owned());
    if new_workload.is_some() && new_workload != row.workload_tier {
        events.push(
            NewEvent::new(id, EventKind::Workload, row.workload_tier.clone(), new_workload.clone())
                .reason(reason.to_owned()),
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
        if new_workload.is_some() {
            am.workload_tier = Set(new_workload.clone());
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
        repo::save(conn, ctx, d, |am| {
            am.state = Set(to.as_str().to_owned());
            if to == State::Deployed && d.first_deployed_on.is_none() {
                am.first_deployed_on = Set(Some(today));
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
