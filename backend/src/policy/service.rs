//! The policy's writes and evaluations: the policy in force and its saved versions, an
//! item's suggestions, a fleet run, a dry run of a draft, and accepting a suggestion.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::engine::{self, Evaluation};
use super::facts::{self, Shared};
use super::model::{
    Accept, Accepted, DryExample, DryMove, DryRun, FleetTotals, PolicyDraft, PolicyVersion, RunInfo, RunTotals,
    Suggestions, title,
};
use super::pack::{self, PackError, Policy};
use crate::assets::{self, AssetPatch, repo};
use crate::audit;
use crate::context::Ctx;
use crate::db::Db;
use crate::db::entities::{policy_run, policy_suggestion, policy_version};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::{AssetId, JobId};
use crate::lifecycle::{self, TransitionRequest, pool};
use crate::rules::{Destination, Disposition, PartOrigin, State, TestResult};
use crate::text;

/// The last pack text parsed and its policy: versions never change, and most requests
/// ask for the one in force, so its text is parsed once, not on every page. Keyed by the
/// text itself, so a process serving several databases (the tests) never mixes them up.
static PARSED: std::sync::Mutex<Option<(String, Arc<Policy>)>> = std::sync::Mutex::new(None);

fn parsed(number: i32, source: &str) -> AppResult<Arc<Policy>> {
    if let Ok(guard) = PARSED.lock()
        && let Some((text, policy)) = guard.as_ref()
        && text == source
    {
        return Ok(Arc::clone(policy));
    }
    let policy = Arc::new(
        pack::parse(source)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("policy version {number} no longer loads: {}", e[0])))?,
    );
    if let Ok(mut guard) = PARSED.lock() {
        *guard = Some((source.to_owned(), Arc::clone(&policy)));
    }
    Ok(policy)
}

/// The policy in force: the newest saved version, else the shipped pack as version 1.
pub async fn active<C: ConnectionTrait>(conn: &C) -> AppResult<(i32, Arc<Policy>)> {
    let row = policy_version::Entity::find().order_by_desc(policy_version::Column::Number).one(conn).await?;
    let (number, source) = match &row {
        Some(r) => (r.number, r.source.as_str()),
        None => (1, pack::DEFAULT_PACK),
    };
    Ok((number, parsed(number, source)?))
}

fn shipped(now: chrono::DateTime<chrono::Utc>) -> policy_version::Model {
    policy_version::Model {
        id: Uuid::now_v7(),
        number: 1,
        name: "reloop default".into(),
        source: pack::DEFAULT_PACK.to_owned(),
        note: "the pack reloop ships (refdata/policy/default.toml)".into(),
        saved_by: None,
        saved_by_name: "reloop".into(),
        saved_at: now,
    }
}

fn version_of(r: policy_version::Model) -> PolicyVersion {
    PolicyVersion {
        number: r.number,
        name: r.name,
        note: r.note,
        saved_by: r.saved_by_name,
        saved_at: r.saved_at,
        source: r.source,
    }
}

/// Every saved version, newest first (the shipped pack as version 1 until one is saved).
pub async fn versions<C: ConnectionTrait>(
    conn: &C,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<PolicyVersion>> {
    let rows = policy_version::Entity::find().order_by_desc(policy_version::Column::Number).all(conn).await?;
    if rows.is_empty() {
        return Ok(vec![version_of(shipped(now))]);
    }
    Ok(rows.into_iter().map(version_of).collect())
}

/// One saved version (the shipped pack as version 1 until one is saved).
pub async fn version<C: ConnectionTrait>(
    conn: &C,
    number: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<PolicyVersion> {
    let row = policy_version::Entity::find().filter(policy_version::Column::Number.eq(number)).one(conn).await?;
    match row {
        Some(r) => Ok(version_of(r)),
        None if number == 1 && policy_version::Entity::find().one(conn).await?.is_none() => {
            Ok(version_of(shipped(now)))
        }
        None => Err(AppError::NotFound { what: "policy version", id: number.to_string() }),
    }
}

/// A pack's problems as the one error type: each names `rule[3].score` and its line.
pub fn problems(errs: Vec<PackError>) -> AppError {
    AppError::Invalid(
        errs.into_iter().map(|e| FieldError::new(e.field, format!("line {}: {}", e.line, e.reason))).collect(),
    )
}

/// Parses a draft and checks what the pack cannot check by itself: that its replacement
/// models are in the catalog. (A replacement without embodied carbon or an energy figure
/// is accepted: its items get no payback, and their suggestions say why.)
pub async fn check<C: ConnectionTrait>(conn: &C, source: &str) -> AppResult<Policy> {
    let policy = pack::parse(source).map_err(problems)?;
    let mut errs = Vec::new();
    let models = crate::db::entities::hardware_model::Entity::find().all(conn).await?;
    for (i, r) in policy.replacements.iter().enumerate() {
        let key = (text::key(&r.manufacturer), text::key(&r.model_number));
        if !models.iter().any(|m| (text::key(&m.manufacturer), text::key(&m.model_number)) == key) {
            errs.push(PackError {
                line: r.line,
                field: format!("replacement[{}].model_number", i + 1),
                reason: format!("{} {} is not in the catalog", r.manufacturer, r.model_number),
            });
        }
    }
    if errs.is_empty() { Ok(policy) } else { Err(problems(errs)) }
}

/// Saves a draft as the next version (validated; audited). The caller refreshes the
/// fleet view afterwards.
pub async fn save(db: &Db, ctx: &Ctx, draft: PolicyDraft) -> AppResult<PolicyVersion> {
    let mut p = crate::error::Problems::default();
    let note = text::optional_line(&mut p, "note", draft.note.as_deref(), text::REASON_MAX).unwrap_or_default();
    p.into_result()?;
    let txn = db.write().await?;
    let policy = check(&*txn, &draft.source).await?;
    let latest = policy_version::Entity::find().order_by_desc(policy_version::Column::Number).one(&*txn).await?;
    let current = latest.as_ref().map_or(1, |r| r.number);
    if let Some(base) = draft.based_on
        && base != current
    {
        return Err(AppError::Conflict {
            code: "stale_version",
            field: Some("based_on".into()),
            message: format!(
                "the policy was saved as version {current} after version {base} you edited: reload it and apply your change again"
            ),
        });
    }
    if latest.is_none() {
        let v1 = shipped(ctx.now);
        policy_version::Entity::insert(v1.into_active_model()).exec_without_returning(&*txn).await?;
    }
    let row = policy_version::Model {
        id: Uuid::now_v7(),
        number: current + 1,
        name: policy.name.clone(),
        source: draft.source,
        note,
        saved_by: ctx.actor.id.map(|u| u.0),
        saved_by_name: ctx.actor.name.clone(),
        saved_at: ctx.now,
    };
    policy_version::Entity::insert(row.clone().into_active_model()).exec_without_returning(&*txn).await?;
    audit::record(
        &txn,
        ctx,
        "policy.save",
        "policy_version",
        row.number,
        Some(serde_json::json!({"number": current})),
        Some(
            serde_json::json!({"number": row.number, "name": row.name, "note": row.note, "rules": policy.rules.len()}),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(version_of(row))
}

/// An item's suggestions under the policy in force.
pub async fn suggestions<C: ConnectionTrait>(
    conn: &C,
    id: AssetId,
    today: chrono::NaiveDate,
) -> AppResult<Suggestions> {
    let (number, policy) = active(conn).await?;
    let (shared, f, e) = evaluate_item(conn, &policy, id, today).await?;
    Ok(Suggestions::new(&policy, number, &shared.world, &f, &e))
}

async fn evaluate_item<C: ConnectionTrait>(
    conn: &C,
    policy: &Policy,
    id: AssetId,
    today: chrono::NaiveDate,
) -> AppResult<(Shared, engine::Facts, Evaluation)> {
    let row = repo::find(conn, id).await?;
    let (_, state) = repo::kind_state(&row)?;
    if state.is_terminal() {
        return Err(AppError::Conflict {
            code: "terminal",
            field: None,
            message: format!(
                "{} is {}: an item in a terminal state has no next life to suggest",
                row.asset_tag,
                state.label().to_lowercase()
            ),
        });
    }
    let (shared, f) = facts::for_item(conn, policy, today, row).await?;
    let e = engine::evaluate(policy, &shared.world, &f, true);
    Ok((shared, f, e))
}

/// Evaluates the whole fleet with the policy in force and publishes the due items as the
/// fleet view's new run. Reads in chunks of top-level items and writes each chunk's rows
/// in its own short transaction; the run is visible only once finished.
pub async fn refresh(db: &Db, now: chrono::DateTime<chrono::Utc>, trigger: &str) -> AppResult<RunInfo> {
    let (number, policy) = active(db.conn()).await?;
    let run_id = Uuid::now_v7();
    let run = policy_run::Model {
        id: run_id,
        policy_number: number,
        started_at: now,
        finished_at: None,
        evaluated: 0,
        due: 0,
        totals: serde_json::to_value(RunTotals::default()).map_err(|e| AppError::Internal(e.into()))?,
        trigger: trigger.to_owned(),
    };
    {
        let txn = db.write_light().await?;
        policy_run::Entity::insert(run.clone().into_active_model()).exec_without_returning(&*txn).await?;
        txn.commit().await?;
    }
    let shared = Shared::load(db.conn(), &policy, now.date_naive()).await?;
    let mut totals = RunTotals::default();
    let (mut evaluated, mut due) = (0i64, 0i64);
    let mut after = None;
    loop {
        let roots = facts::next_roots(db.conn(), after).await?;
        let Some(last) = roots.last().map(|r| r.id) else { break };
        after = Some(last);
        let all = facts::for_roots(db.conn(), &shared, roots).await?;
        let mut rows = Vec::new();
        for f in &all {
            let e = engine::evaluate(&policy, &shared.world, f, false);
            evaluated += 1;
            if e.due.is_empty() {
                continue;
            }
            due += 1;
            let top = e.top();
            totals.add(
                f.kind.as_str(),
                f.site.and_then(|i| shared.world.sites.get(i)).map(|s| crate::ids::SiteId(s.id)),
                &e.due,
                top.map(|c| c.disposition),
                top.and_then(|c| c.numbers.deferred_kg),
                top.and_then(|c| c.numbers.avoided.as_ref().map(|a| a.kgco2e)),
            );
            rows.push(policy_suggestion::Model {
                run_id,
                asset_id: f.id,
                asset_version: f.version,
                asset_tag: f.tag.clone(),
                kind: f.kind.as_str().to_owned(),
                state: f.state.as_str().to_owned(),
                site_id: f.site.and_then(|i| shared.world.sites.get(i)).map(|s| s.id),
                model_id: f.model.as_ref().map(|m| m.id),
                age_years: e.age_years,
                failures: i32::try_from(e.failures).unwrap_or(i32::MAX),
                support_ends_on: e.support.ends_on,
                due_reasons: e.due.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(" "),
                disposition: top.map(|c| c.disposition.as_str().to_owned()),
                tier: top.and_then(|c| c.tier).map(|t| t.as_str().to_owned()),
                target_site_id: top.and_then(|c| c.site).and_then(|i| shared.world.sites.get(i)).map(|s| s.id),
                score: top.map(|c| c.score),
                extra_life_years: top.map(|c| c.numbers.extra_life_years),
                deferred_kg: top.and_then(|c| c.numbers.deferred_kg),
                avoided_kgco2e: top.and_then(|c| c.numbers.avoided.as_ref().map(|a| a.kgco2e)),
                payback_years: top.and_then(|c| c.numbers.payback.as_ref().and_then(|p| p.years)),
                rules: top
                    .map(|c| c.fired.iter().map(|i| policy.rules[*i].id.as_str()).collect::<Vec<_>>().join(" "))
                    .unwrap_or_default(),
            });
        }
        if !rows.is_empty() {
            let txn = db.write_light().await?;
            for chunk in rows.chunks(200) {
                policy_suggestion::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                    .exec_without_returning(&*txn)
                    .await?;
            }
            txn.commit().await?;
        }
    }
    let txn = db.write_light().await?;
    let finished = chrono::Utc::now().max(now);
    let mut am = run.clone().into_active_model();
    am.finished_at = Set(Some(finished));
    am.evaluated = Set(evaluated);
    am.due = Set(due);
    am.totals = Set(serde_json::to_value(&totals).map_err(|e| AppError::Internal(e.into()))?);
    am.update(&*txn).await?;
    // Finished runs that started before this one are superseded: their rows go (derived
    // figures, not records). A run still in progress is left to finish (another instance,
    // or the schedule beside a request), unless it started a day ago (it died).
    let older: Vec<Uuid> = policy_run::Entity::find()
        .filter(policy_run::Column::Id.ne(run_id))
        .filter(policy_run::Column::StartedAt.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(policy_run::Column::FinishedAt.is_not_null())
                .add(policy_run::Column::StartedAt.lt(now - chrono::Duration::days(1))),
        )
        .all(&*txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if !older.is_empty() {
        policy_suggestion::Entity::delete_many()
            .filter(policy_suggestion::Column::RunId.is_in(older.clone()))
            .exec(&*txn)
            .await?;
        policy_run::Entity::delete_many().filter(policy_run::Column::Id.is_in(older)).exec(&*txn).await?;
    }
    txn.commit().await?;
    Ok(RunInfo {
        policy_version: number,
        started_at: now,
        finished_at: finished,
        evaluated,
        due,
        trigger: trigger.to_owned(),
        totals: totals.all.clone(),
        by_filter: totals,
    })
}

/// How `draft` would change the fleet's top suggestions (nothing is written).
pub async fn dry_run(db: &Db, source: &str, today: chrono::NaiveDate) -> AppResult<DryRun> {
    let draft = check(db.conn(), source).await?;
    let (number, active) = active(db.conn()).await?;
    let shared_now = Shared::load(db.conn(), &active, today).await?;
    let shared_draft = Shared::load(db.conn(), &draft, today).await?;
    let mut moves: HashMap<(Option<Disposition>, Option<Disposition>), u64> = HashMap::new();
    let (mut due_now, mut due_draft) = (FleetTotals::default(), FleetTotals::default());
    let mut examples = Vec::new();
    let (mut evaluated, mut changed) = (0u64, 0u64);
    let mut after = None;
    let label = |c: Option<&engine::Candidate>, w: &engine::World| {
        c.map_or_else(
            || "no eligible option".to_owned(),
            |c| title(c.disposition, c.tier, c.site.and_then(|i| w.sites.get(i)).map(|s| s.name.as_str())),
        )
    };
    loop {
        let roots = facts::next_roots(db.conn(), after).await?;
        let Some(last) = roots.last().map(|r| r.id) else { break };
        after = Some(last);
        for f in facts::for_roots(db.conn(), &shared_now, roots).await? {
            evaluated += 1;
            let a = engine::evaluate(&active, &shared_now.world, &f, false);
            let b = engine::evaluate(&draft, &shared_draft.world, &f, false);
            let (ta, tb) = (a.top(), b.top());
            for (e, top, t) in [(&a, ta, &mut due_now), (&b, tb, &mut due_draft)] {
                if !e.due.is_empty() {
                    t.add(
                        top.map(|c| c.disposition),
                        top.and_then(|c| c.numbers.deferred_kg),
                        top.and_then(|c| c.numbers.avoided.as_ref().map(|x| x.kgco2e)),
                    );
                }
            }
            let key = |c: Option<&engine::Candidate>| c.map(|c| (c.disposition, c.tier, c.site));
            if key(ta) != key(tb) {
                changed += 1;
                *moves.entry((ta.map(|c| c.disposition), tb.map(|c| c.disposition))).or_default() += 1;
                if examples.len() < 50 {
                    examples.push(DryExample {
                        asset_id: AssetId(f.id),
                        asset_tag: f.tag.clone(),
                        now: label(ta, &shared_now.world),
                        with_draft: label(tb, &shared_draft.world),
                    });
                }
            }
        }
    }
    let mut moves: Vec<DryMove> = moves.into_iter().map(|((from, to), items)| DryMove { from, to, items }).collect();
    moves.sort_by(|a, b| b.items.cmp(&a.items).then(a.from.cmp(&b.from)).then(a.to.cmp(&b.to)));
    Ok(DryRun { active_version: number, evaluated, changed, moves, due_now, due_with_draft: due_draft, examples })
}

/// Accepts one of an item's current suggestions: re-evaluates it under the policy in
/// force and, if the suggestion still stands for the same item version and policy
/// version, performs its action in one transaction, the ledger entries naming it.
pub async fn accept(db: &Db, ctx: &Ctx, id: AssetId, req: Accept) -> AppResult<Accepted> {
    let mut p = crate::error::Problems::default();
    let reason = text::optional_line(&mut p, "reason", req.reason.as_deref(), text::REASON_MAX).unwrap_or_default();
    let Some(disposition) = req.disposition else {
        p.add("disposition", format!("is required: one of {}", Disposition::expected()));
        return Err(p.into_result().err().unwrap_or_else(|| AppError::invalid("disposition", "is required")));
    };
    if req.policy_version.is_none() {
        p.add("policy_version", "is required: the policy version the suggestion was made with");
    }
    if req.asset_version.is_none() {
        p.add("asset_version", "is required: the item version the suggestion was made for");
    }
    if disposition == Disposition::KeepInPlace {
        p.add("disposition", "keeping an item in place changes nothing: there is nothing to accept");
    }
    p.into_result()?;
    let txn = db.write().await?;
    let row = repo::find(&*txn, id).await?;
    if Some(row.version) != req.asset_version {
        return Err(AppError::Conflict {
            code: "stale_suggestion",
            field: Some("asset_version".into()),
            message: format!(
                "{} changed after the suggestion was made (version {}, now {}): look at its suggestions again",
                row.asset_tag,
                req.asset_version.unwrap_or_default(),
                row.version
            ),
        });
    }
    let (number, policy) = active(&*txn).await?;
    if Some(number) != req.policy_version {
        return Err(AppError::Conflict {
            code: "stale_suggestion",
            field: Some("policy_version".into()),
            message: format!(
                "the suggestion was made with policy version {}; version {number} is in force now: look at the suggestions again",
                req.policy_version.unwrap_or_default()
            ),
        });
    }
    let (shared, f, e) = evaluate_item(&*txn, &policy, id, ctx.now.date_naive()).await?;
    let site_of = |c: &engine::Candidate| c.site.and_then(|i| shared.world.sites.get(i)).map(|s| s.id);
    let Some(c) = e.options.iter().find(|c| {
        c.eligible()
            && c.disposition == disposition
            && c.tier == req.tier
            && (disposition != Disposition::Redeploy || site_of(c) == req.site_id.map(|s| s.0))
    }) else {
        let open: Vec<String> = e
            .options
            .iter()
            .filter(|c| c.eligible())
            .map(|c| {
                title(c.disposition, c.tier, c.site.and_then(|i| shared.world.sites.get(i)).map(|s| s.name.as_str()))
            })
            .collect();
        return Err(AppError::Conflict {
            code: "not_suggested",
            field: Some("disposition".into()),
            message: format!(
                "{} is not among {}'s eligible suggestions now ({})",
                title(disposition, req.tier, None),
                f.tag,
                if open.is_empty() { "none".to_owned() } else { open.join("; ") }
            ),
        });
    };
    let site_name = c.site.and_then(|i| shared.world.sites.get(i)).map(|s| s.name.clone());
    let what = title(c.disposition, c.tier, site_name.as_deref());
    let suggestion = serde_json::json!({
        "policy_version": number,
        "disposition": c.disposition,
        "tier": c.tier,
        "site_id": site_of(c),
        "score": c.score,
        "rules": c.fired.iter().map(|i| policy.rules[*i].id.clone()).collect::<Vec<_>>(),
    });
    let reason =
        if reason.is_empty() { format!("accepted suggestion: {what} (policy version {number})") } else { reason };
    let payload = serde_json::json!({ "suggestion": suggestion });
    let state = f.state;
    let mut version = row.version;
    let step = |to: State, version: i32, workload: Option<crate::rules::WorkloadTier>| TransitionRequest {
        to: Some(to),
        reason: Some(reason.clone()),
        version: Some(version),
        workload_tier: workload,
        payload: Some(payload.clone()),
    };
    let mut job_id: Option<JobId> = None;
    match c.disposition {
        Disposition::KeepInPlace => {}
        Disposition::Redeploy => {
            let target = site_of(c);
            if target != row.site_id {
                let patch = AssetPatch {
                    version,
                    site_id: Some(target.map(crate::ids::SiteId)),
                    reason: Some(reason.clone()),
                    ..AssetPatch::default()
                };
                version = assets::service::update_in(&txn, ctx, id, patch).await?.version;
            }
            if matches!(state, State::Retired | State::Sanitized) {
                version =
                    lifecycle::transition_in(&txn, ctx, id, step(State::InStock, version, None)).await?.asset.version;
            }
            if state == State::Redeployed {
                let patch = AssetPatch {
                    version,
                    workload_tier: Some(c.tier),
                    reason: Some(reason.clone()),
                    ..AssetPatch::default()
                };
                assets::service::update_in(&txn, ctx, id, patch).await?;
            } else {
                lifecycle::transition_in(&txn, ctx, id, step(State::Redeployed, version, c.tier)).await?;
            }
        }
        Disposition::PartsDonor => {
            if !matches!(state, State::Retired | State::Sanitized) {
                lifecycle::transition_in(&txn, ctx, id, step(State::Retired, version, None)).await?;
            }
            let job = crate::harvest::service::open_in(
                &txn,
                ctx,
                crate::harvest::NewJob {
                    asset_id: Some(id),
                    asset_code: None,
                    note: Some(reason.clone()),
                    repair_id: None,
                },
            )
            .await?;
            job_id = Some(job.id);
        }
        Disposition::Resale | Disposition::Recycle => {
            let (pool_name, to) = if c.disposition == Disposition::Resale {
                (Destination::Resale, if state == State::Sanitized { None } else { Some(State::InStock) })
            } else {
                (
                    Destination::RecyclingBin,
                    if Destination::RecyclingBin.holds(state) { None } else { Some(State::Retired) },
                )
            };
            if let Some(to) = to
                && to != state
            {
                lifecycle::transition_in(&txn, ctx, id, step(to, version, None)).await?;
            }
            let now_row = repo::find(&*txn, id).await?;
            pool::enter(
                &*txn,
                ctx,
                &now_row,
                pool::NewStay {
                    pool: pool_name,
                    origin: PartOrigin::Suggestion,
                    donor_id: None,
                    job_id: None,
                    repair_id: None,
                    test_result: TestResult::Untested,
                },
            )
            .await?;
        }
    }
    audit::record(
        &txn,
        ctx,
        "policy.accept",
        "asset",
        id,
        None,
        Some(serde_json::json!({"did": what, "suggestion": suggestion, "reason": reason})),
    )
    .await?;
    txn.commit().await?;
    Ok(Accepted { asset_id: id, asset_tag: f.tag, did: what, job_id })
}
