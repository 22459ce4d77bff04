//! The component tree: installing, removing and moving parts.
//!
//! Invariants:
//! - A part keeps its id and whole history when it moves: a move is a change of
//!   `parent_id` with ledger entries on the part and on both parents.
//! - The tree never has a cycle and never nests deeper than [`repo::MAX_DEPTH`].
//! - An installed part is at its parent's site; installing moves it (and its own parts),
//!   but only when the caller confirmed the site change (`confirm_site_change`): a part at
//!   another site is refused (409 `site_change`) naming both sites, so a scan at the
//!   wrong bench does not move hardware between sites silently.
//! - A part takes on the operational state of the item it joins, and a part in service
//!   leaves it for stock, each as an ordinary transition ([`super::transition`]).

use sea_orm::ActiveValue::Set;

use super::model::{InstallRequest, RemoveRequest, SiteMove, TreeChange};
use super::pool;
use super::transition::{apply, check_role};
use crate::assets::{Asset, repo, service};
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::entities::asset;
use crate::db::{Db, WriteTxn, check_version};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::{AssetId, SiteId};
use crate::ledger::{self, NewEvent};
use crate::rules::{EventKind, State};
use crate::sites;
use crate::text;

/// What install and remove start with: the reason checked, and the parent at the version
/// the caller saw.
async fn begin(
    txn: &WriteTxn,
    parent_id: AssetId,
    version: Option<i32>,
    reason: Option<&str>,
) -> AppResult<(String, asset::Model)> {
    let mut p = Problems::default();
    let reason = text::optional_line(&mut p, "reason", reason, text::REASON_MAX).unwrap_or_default();
    p.into_result()?;
    let parent = repo::find(&**txn, parent_id).await?;
    check_version::<asset::Entity>(&parent, version)?;
    Ok((reason, parent))
}

/// Installs a part in `parent_id`, moving it out of its current parent if it has one. A
/// part reserved in the spare pool for a repair is refused: that repair installs it.
pub async fn install(db: &Db, ctx: &Ctx, parent_id: AssetId, req: InstallRequest) -> AppResult<TreeChange> {
    let txn = db.write().await?;
    let change = install_in(&txn, ctx, parent_id, req, None).await?;
    txn.commit().await?;
    Ok(change)
}

/// Installs a part in the caller's transaction, with its audit entry. `for_repair` is the
/// repair order installing it: a part reserved for another repair is refused.
pub async fn install_in(
    txn: &WriteTxn,
    ctx: &Ctx,
    parent_id: AssetId,
    req: InstallRequest,
    for_repair: Option<uuid::Uuid>,
) -> AppResult<TreeChange> {
    let (reason, parent) = begin(txn, parent_id, req.version, req.reason.as_deref()).await?;
    let (child, field) = match (req.child_id, req.child_tag.as_deref().map(str::trim).filter(|t| !t.is_empty())) {
        (Some(_), Some(_)) => return Err(AppError::invalid("child_tag", "give child_id or child_tag, not both")),
        (Some(id), None) => match repo::find(&**txn, id).await {
            Err(AppError::NotFound { .. }) => {
                return Err(AppError::invalid("child_id", format!("no asset has id {id}")));
            }
            other => (other?, "child_id"),
        },
        (None, Some(tag)) => match repo::find_by_tag(&**txn, tag).await? {
            Some(c) => (c, "child_tag"),
            None => return Err(AppError::invalid("child_tag", format!("no asset has the tag {tag}"))),
        },
        (None, None) => return Err(AppError::invalid("child_id", "name the part to install (child_id or child_tag)")),
    };
    let (pk, ps) = repo::kind_state(&parent)?;
    let (ck, cs) = repo::kind_state(&child)?;
    if child.id == parent.id {
        return Err(AppError::invalid(field, "an item cannot be installed in itself"));
    }
    if child.parent_id == Some(parent.id) {
        return Err(AppError::conflict(
            "already_installed",
            Some(field),
            format!("{} is already installed in {}", child.asset_tag, parent.asset_tag),
        ));
    }
    if !ps.accepts_parts() {
        return Err(AppError::invalid(field, format!("{} is {ps}; it cannot receive parts", parent.asset_tag)));
    }
    if !cs.accepts_parts() {
        return Err(AppError::invalid(field, format!("{} is {cs}; it cannot be installed", child.asset_tag)));
    }
    // A cycle: the part is the parent itself or one of its ancestors.
    let ancestors = repo::ancestors(&**txn, parent.parent_id).await?;
    if let Some(a) = ancestors.iter().find(|a| a.id == child.id) {
        return Err(AppError::invalid(
            field,
            format!("{} contains {}; installing it there would make a cycle", a.asset_tag, parent.asset_tag),
        ));
    }
    if !ck.fits_in(pk) {
        return Err(AppError::invalid(field, format!("a {ck} cannot be installed in a {pk}")));
    }
    // Read once: the levels give the depth below the part, the rows move site with it.
    let below = repo::descendant_levels(&**txn, AssetId(child.id)).await?;
    if ancestors.len() + 2 + below.len() > repo::MAX_DEPTH {
        return Err(AppError::invalid(field, format!("the tree would be deeper than {} levels", repo::MAX_DEPTH)));
    }

    if let Some(mv) = site_move_of(&**txn, &child, &parent).await?
        && !req.confirm_site_change
    {
        return Err(AppError::conflict(
            "site_change",
            Some("confirm_site_change"),
            format!(
                "{} is at {}, {} at {}: installing it moves {} and its parts from {} to {}. Confirm the site change to install it",
                mv.part_tag,
                mv.from_name(),
                mv.parent_tag,
                mv.to_name(),
                mv.part_tag,
                mv.from_name(),
                mv.to_name()
            ),
        ));
    }

    pool::check_reservation(&**txn, &child, for_repair, field).await?;
    let cid = AssetId(child.id);
    let mut events = Vec::new();
    let old_parent = match child.parent_id {
        Some(op) => Some(repo::find(&**txn, AssetId(op)).await?),
        None => None,
    };
    let move_note = |verb: &str, other: &asset::Model| {
        if reason.is_empty() {
            format!("{verb} {}", other.asset_tag)
        } else {
            format!("{verb} {}: {reason}", other.asset_tag)
        }
    };
    events.push(
        NewEvent::new(cid, EventKind::Parent, child.parent_id.map(|p| p.to_string()), Some(parent.id.to_string()))
            .related(AssetId(parent.id))
            .reason(reason.clone())
            .payload(serde_json::json!({"from_parent": child.parent_id, "to_parent": parent.id})),
    );
    if let Some(op) = &old_parent {
        events.push(
            NewEvent::new(AssetId(op.id), EventKind::ChildRemoved, Some(child.asset_tag.clone()), None)
                .related(cid)
                .reason(move_note("moved to", &parent)),
        );
        repo::save(&**txn, ctx, op, |_| {}).await?;
    }
    events.push(
        NewEvent::new(AssetId(parent.id), EventKind::ChildAdded, None, Some(child.asset_tag.clone()))
            .related(cid)
            .reason(match &old_parent {
                Some(op) => move_note("moved from", op),
                None => reason.clone(),
            }),
    );
    let new_site = parent.site_id;
    let child_saved = repo::save(&**txn, ctx, &child, |am| {
        am.parent_id = Set(Some(parent.id));
        am.site_id = Set(new_site);
    })
    .await?;
    if child.site_id != new_site {
        // The part's own parts are as read above: nothing written since touches them.
        service::move_site(
            &**txn,
            ctx,
            &child,
            below.into_iter().flatten().collect(),
            new_site.map(SiteId),
            &format!("installed in {}", parent.asset_tag),
            &mut events,
        )
        .await?;
    }
    let parent_saved = repo::save(&**txn, ctx, &parent, |_| {}).await?;
    ledger::append(txn, ctx, events).await?;
    pool::leave_on_install(&**txn, ctx, child.id, parent.id).await?;

    // A part takes on the operational state of the item it goes into (a spare installed
    // in a deployed server is deployed; its own parts follow), recorded as an ordinary
    // transition.
    let operational = |s: State| s == State::InStock || s.is_in_service();
    let child_final = if operational(ps) && operational(cs) && cs != ps && cs.allowed_next(ck).contains(&ps) {
        apply(txn, ctx, child_saved, ps, &format!("installed in {}", parent.asset_tag), serde_json::json!({}), None)
            .await?
            .asset
    } else {
        child_saved.try_into()?
    };
    let before = Asset::try_from(child)?;
    audit::record(txn, ctx, "asset.install", "asset", cid, snapshot(&before), snapshot(&child_final)).await?;
    Ok(TreeChange { parent: parent_saved.try_into()?, child: child_final })
}

/// The site change installing `child` in `parent` makes, if any: a part at a site that
/// the parent is not at. (A part without a site takes the parent's without asking.)
async fn site_move_of<C: sea_orm::ConnectionTrait>(
    conn: &C,
    child: &asset::Model,
    parent: &asset::Model,
) -> AppResult<Option<SiteMove>> {
    let Some(from) = child.site_id.filter(|s| Some(*s) != parent.site_id) else {
        return Ok(None);
    };
    let ids: Vec<SiteId> = std::iter::once(from).chain(parent.site_id).map(SiteId).collect();
    let names = sites::by_ids(conn, &ids).await?;
    let name = |id: Option<uuid::Uuid>| id.and_then(|i| names.iter().find(|s| s.id.0 == i).map(|s| s.name.clone()));
    Ok(Some(SiteMove {
        part_tag: child.asset_tag.clone(),
        parent_tag: parent.asset_tag.clone(),
        from: name(Some(from)),
        to: name(parent.site_id),
    }))
}

/// The site change installing the part tagged `child_tag` in `parent_id` would make (for a
/// form that asks to confirm it); `None` when there is none or either item is unknown.
pub async fn site_move<C: sea_orm::ConnectionTrait>(
    conn: &C,
    parent_id: AssetId,
    child_tag: &str,
) -> AppResult<Option<SiteMove>> {
    let Some(child) = repo::find_by_tag(conn, child_tag.trim()).await? else {
        return Ok(None);
    };
    let parent = match repo::find(conn, parent_id).await {
        Err(AppError::NotFound { .. }) => return Ok(None),
        other => other?,
    };
    site_move_of(conn, &child, &parent).await
}

/// Removes a part from `parent_id`; it becomes a standalone item with its history intact.
pub async fn remove(
    db: &Db,
    ctx: &Ctx,
    parent_id: AssetId,
    child_id: AssetId,
    req: RemoveRequest,
) -> AppResult<TreeChange> {
    let txn = db.write().await?;
    let change = remove_in(&txn, ctx, parent_id, child_id, req, true).await?;
    txn.commit().await?;
    Ok(change)
}

/// Removes a part in the caller's transaction, with its audit entry. With `check_roles`,
/// the role limit on the state asked for applies (the public [`remove`]); the bench routes
/// a removed part to a pool under its own permission and passes `false`.
pub async fn remove_in(
    txn: &WriteTxn,
    ctx: &Ctx,
    parent_id: AssetId,
    child_id: AssetId,
    req: RemoveRequest,
    check_roles: bool,
) -> AppResult<TreeChange> {
    let (reason, parent) = begin(txn, parent_id, req.version, req.reason.as_deref()).await?;
    let child = repo::find(&**txn, child_id).await?;
    if child.parent_id != Some(parent.id) {
        return Err(AppError::conflict(
            "not_installed",
            Some("child_id"),
            format!("{} is not installed in {}", child.asset_tag, parent.asset_tag),
        ));
    }
    let (ck, cs) = repo::kind_state(&child)?;
    let target = match req.to_state {
        Some(s) if s == cs => None,
        Some(s) => {
            if check_roles {
                check_role(ctx, s)?;
            }
            if let Some(why) = cs.refusal(ck, s) {
                return Err(AppError::Conflict {
                    code: "illegal_transition",
                    field: Some("to_state".into()),
                    message: format!("{}: {why}", child.asset_tag),
                });
            }
            Some(s)
        }
        None if cs.is_in_service() => Some(State::InStock),
        None => None,
    };
    let events = vec![
        NewEvent::new(child_id, EventKind::Parent, Some(parent.id.to_string()), None)
            .related(parent_id)
            .reason(reason.clone()),
        NewEvent::new(parent_id, EventKind::ChildRemoved, Some(child.asset_tag.clone()), None)
            .related(child_id)
            .reason(reason.clone()),
    ];
    let child_saved = repo::save(&**txn, ctx, &child, |am| am.parent_id = Set(None)).await?;
    let parent_saved = repo::save(&**txn, ctx, &parent, |_| {}).await?;
    ledger::append(txn, ctx, events).await?;
    let why = if reason.is_empty() { format!("removed from {}", parent.asset_tag) } else { reason.clone() };
    let child_final = match target {
        Some(s) => apply(txn, ctx, child_saved, s, &why, serde_json::json!({}), None).await?.asset,
        None => child_saved.try_into()?,
    };
    audit::record(
        txn,
        ctx,
        "asset.remove",
        "asset",
        child_id,
        snapshot(&Asset::try_from(child)?),
        snapshot(&child_final),
    )
    .await?;
    Ok(TreeChange { parent: parent_saved.try_into()?, child: child_final })
}
