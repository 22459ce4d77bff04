//! The data gate: a data-bearing device (a drive, or an item flagged as holding data), or
//! an item with one installed at any depth, is released (reused, transferred out, shipped
//! for recycling) only with a passing sanitization record that allows the release.
//!
//! Invariants:
//! - A record counts only if it is the device's latest passing one and no use since (a
//!   move to `deployed` or `redeployed` after it) has put data back on the device.
//! - `rules::MethodClass::allows` decides: `destroy` allows recycling only, `clear` stays
//!   inside the organisation, `purge` allows every release.
//! - Every door applies it: `transition::apply` checks every move that releases, so a
//!   cascade (a server transferred out with its drives) is checked device by device, and
//!   the refusal names every device that blocks.
//!
//! The records are written by the `sanitization` feature above; this reads their table
//! directly (one query per batch of devices), like the pool stays.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db::entities::{asset, lifecycle_event, sanitization_record};
use crate::error::{AppError, AppResult, Blocker};
use crate::ids::AssetId;
use crate::rules::{AssetKind, Destination, EventKind, MethodClass, Release, SanitizationResult, State};

const CHUNK: usize = 500;

/// Whether the row holds user data.
pub fn holds_data(row: &asset::Model) -> bool {
    row.holds_data || AssetKind::parse(&row.kind).is_some_and(|k| k.is_data_bearing())
}

/// The release a move to `to` (from `from`) is, if it is one: transferred out, shipped
/// for recycling, or back into stock from retirement (reuse).
pub fn release_of(from: State, to: State) -> Option<Release> {
    match to {
        State::TransferredOut => Some(Release::Transfer),
        State::InRecycling => Some(Release::Recycling),
        State::InStock if matches!(from, State::Retired | State::Sanitized) => Some(Release::Reuse),
        _ => None,
    }
}

/// The devices among `rows` that `release` finds without a record allowing it.
pub async fn blockers<C: ConnectionTrait>(
    conn: &C,
    rows: &[&asset::Model],
    release: Release,
) -> AppResult<Vec<Blocker>> {
    let devices: Vec<&asset::Model> = rows.iter().copied().filter(|r| holds_data(r)).collect();
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = devices.iter().map(|d| d.id).collect();
    let mut latest: HashMap<Uuid, (DateTime<Utc>, String)> = HashMap::new();
    let mut last_use: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for r in sanitization_record::Entity::find()
            .filter(sanitization_record::Column::AssetId.is_in(chunk.to_vec()))
            .filter(sanitization_record::Column::Result.eq(SanitizationResult::Passed.as_str()))
            .all(conn)
            .await?
        {
            let e = latest.entry(r.asset_id).or_insert((r.ended_at, r.method_class.clone()));
            if r.ended_at >= e.0 {
                *e = (r.ended_at, r.method_class);
            }
        }
        for e in lifecycle_event::Entity::find()
            .filter(lifecycle_event::Column::AssetId.is_in(chunk.to_vec()))
            .filter(lifecycle_event::Column::Kind.eq(EventKind::State.as_str()))
            .filter(lifecycle_event::Column::ToValue.is_in([State::Deployed.as_str(), State::Redeployed.as_str()]))
            .all(conn)
            .await?
        {
            let t = last_use.entry(e.asset_id).or_insert(e.occurred_at);
            if e.occurred_at > *t {
                *t = e.occurred_at;
            }
        }
    }
    let mut out = Vec::new();
    for d in devices {
        let reason = match latest.get(&d.id) {
            None => "no passing sanitization record".to_owned(),
            Some((at, _)) if last_use.get(&d.id).is_some_and(|u| u > at) => {
                format!("in use again since its sanitization on {}", at.format("%Y-%m-%d"))
            }
            Some((_, class)) => match MethodClass::parse(class) {
                Some(c) if c.allows(release) => continue,
                Some(MethodClass::Destroy) => "destroyed: that allows recycling only".to_owned(),
                Some(c) => format!("a {c} record does not allow {}: purge it", release.label()),
                None => format!("an unreadable method class {class:?}"),
            },
        };
        out.push(Blocker { id: AssetId(d.id), tag: d.asset_tag.clone(), reason });
    }
    out.sort_by(|a, b| a.tag.cmp(&b.tag));
    Ok(out)
}

/// The refusal for `blockers` of a move of `what` (a tag) for `release`.
pub fn refusal(what: &str, release: Release, blockers: Vec<Blocker>) -> AppError {
    let shown: Vec<String> = blockers.iter().take(20).map(|b| format!("{} ({})", b.tag, b.reason)).collect();
    let more = if blockers.len() > 20 { format!(" and {} more", blockers.len() - 20) } else { String::new() };
    AppError::Blocked {
        message: format!("{what} holds data that is not sanitized for {}: {}{more}", release.label(), shown.join(", ")),
        items: blockers,
    }
}

/// Refuses `release` of `rows` (an item and everything installed in it) when a device in
/// them is not sanitized for it.
pub async fn check<C: ConnectionTrait>(
    conn: &C,
    what: &str,
    rows: &[&asset::Model],
    release: Release,
) -> AppResult<()> {
    let b = blockers(conn, rows, release).await?;
    if b.is_empty() { Ok(()) } else { Err(refusal(what, release, b)) }
}

/// Whether the item moved site since it was last put in use (its latest `site` entry is
/// newer than its latest move to `deployed` or `redeployed`).
pub async fn moved_since_use<C: ConnectionTrait>(conn: &C, id: AssetId) -> AppResult<bool> {
    use sea_orm::{QueryOrder, QuerySelect};
    let latest = |kind: EventKind, to: Option<&'static [&'static str]>| {
        let mut q = lifecycle_event::Entity::find()
            .filter(lifecycle_event::Column::AssetId.eq(id.0))
            .filter(lifecycle_event::Column::Kind.eq(kind.as_str()))
            .order_by_desc(lifecycle_event::Column::Id)
            .limit(1);
        if let Some(to) = to {
            q = q.filter(lifecycle_event::Column::ToValue.is_in(to.iter().copied()));
        }
        q
    };
    let used = latest(EventKind::State, Some(&["deployed", "redeployed"])).one(conn).await?;
    let moved = latest(EventKind::Site, None).one(conn).await?;
    Ok(match (used, moved) {
        (Some(u), Some(m)) => m.id > u.id,
        (None, Some(_)) => true,
        _ => false,
    })
}

/// Whether a part's sanitization allows it into `dest`: reuse for the spare pool, a
/// transfer out for resale; the recycling bin needs none, and a part without data is
/// always clear.
pub async fn clears<C: ConnectionTrait>(conn: &C, part: &asset::Model, dest: Destination) -> AppResult<bool> {
    let release = match dest {
        Destination::SparePool => Release::Reuse,
        Destination::Resale => Release::Transfer,
        Destination::RecyclingBin => return Ok(true),
    };
    Ok(blockers(conn, &[part], release).await?.is_empty())
}
