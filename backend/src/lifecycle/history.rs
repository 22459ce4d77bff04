//! An item's history as people read it: each ledger entry decoded once, here, into a
//! typed change with the tags and site names it mentions resolved, and a sentence.
//!
//! The ledger stores what the registry wrote (ids as text in `from`/`to`, the registration
//! facts in its payload); pages, exports and passports read this instead of decoding it
//! again. [`item_history`] interleaves an item's ledger entries with its field edits from
//! the audit trail (custodian, notes, grades…), so its page tells its whole story.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assets;
use crate::audit::{self, FieldEdit};
use crate::error::AppResult;
use crate::ids::{AssetId, EventId, SiteId};
use crate::ledger::{self, Event};
use crate::rules::{Destination, EventKind, Page, RepairOutcome, State, WorkloadTier};
use crate::sites;

/// Another item an entry mentions, with the tag it has now (`None` if it is unknown).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct AssetRef {
    pub id: AssetId,
    pub tag: Option<String>,
}

/// A site an entry mentions, with its name (`None` if it is unknown).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct SiteRef {
    pub id: SiteId,
    pub name: Option<String>,
}

/// What one entry changed, typed.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Registered {
        state: Option<State>,
        site: Option<SiteRef>,
        parent: Option<AssetRef>,
    },
    State {
        from: Option<State>,
        to: Option<State>,
    },
    /// The item went into `to`, came out of `from`, or moved between them.
    Parent {
        from: Option<AssetRef>,
        to: Option<AssetRef>,
    },
    PartAdded {
        part: Option<AssetRef>,
    },
    PartRemoved {
        part: Option<AssetRef>,
    },
    Site {
        from: Option<SiteRef>,
        to: Option<SiteRef>,
    },
    Workload {
        from: Option<WorkloadTier>,
        to: Option<WorkloadTier>,
    },
    /// A repair opened (`to` = `open`) or closed (`to` = its outcome).
    Repair {
        to: Option<String>,
    },
    /// Harvested from a dismantled item (`related`) into a destination.
    Harvested {
        destination: Option<Destination>,
    },
}

/// One ledger entry as people read it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: EventId,
    pub occurred_at: DateTime<Utc>,
    pub kind: EventKind,
    pub change: Change,
    /// What happened, as a sentence that reads on to `related` when there is one
    /// ("Installed in" RL-000042).
    pub summary: String,
    /// The other item involved, linked after the summary.
    pub related: Option<AssetRef>,
    pub actor: String,
    pub reason: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// One line of an item's story: a ledger entry, or an edit of its fields.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum HistoryItem {
    /// A lifecycle ledger entry (state, tree, site, workload, bench).
    Ledger(Box<HistoryEntry>),
    /// Fields edited in the registry (from the audit trail), old → new.
    Edit(FieldEdit),
}

impl HistoryItem {
    /// The entry's id (UUIDv7 in both tables: creation order).
    pub fn key(&self) -> Uuid {
        match self {
            HistoryItem::Ledger(e) => e.id.0,
            HistoryItem::Edit(e) => e.id.0,
        }
    }
}

/// The fields the ledger itself records: an edit that changes them has a ledger entry
/// saying so, so the edit does not repeat them.
pub const LEDGER_FIELDS: [&str; 4] = ["state", "parent_id", "site_id", "workload_tier"];

/// An item's ledger entries and field edits, newest first, keyset-paginated by entry id
/// (the cursor is the id of the last entry shown). Each source is read from its own index,
/// at most `limit` + 1 rows past the cursor. An edit that changed only fields the ledger
/// records is left out (the page may then hold fewer than `limit` entries).
pub async fn item_history<C: ConnectionTrait>(
    conn: &C,
    asset: AssetId,
    cursor: Option<Uuid>,
    limit: u64,
) -> AppResult<Page<HistoryItem>> {
    let events = history(conn, asset, cursor.map(EventId), limit).await?;
    let edits = audit::readable::edits_of(conn, asset, cursor, limit, &LEDGER_FIELDS).await?;
    let more = events.next_cursor.is_some() || edits.next_cursor.is_some();
    let mut all: Vec<HistoryItem> = events
        .items
        .into_iter()
        .map(|e| HistoryItem::Ledger(Box::new(e)))
        .chain(edits.items.into_iter().map(HistoryItem::Edit))
        .collect();
    all.sort_by_key(|i| std::cmp::Reverse(i.key()));
    let more = more || all.len() > limit as usize;
    all.truncate(limit as usize);
    let next_cursor = if more { all.last().map(|i| i.key().to_string()) } else { None };
    all.retain(|i| !matches!(i, HistoryItem::Edit(e) if e.changes.is_empty()));
    Ok(Page { items: all, next_cursor })
}

/// An item's history, newest first, keyset-paginated by entry id.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    asset: AssetId,
    cursor: Option<EventId>,
    limit: u64,
) -> AppResult<Page<HistoryEntry>> {
    let page = ledger::history(conn, asset, cursor, limit).await?;
    let items = readable(conn, page.items).await?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Decodes entries, resolving the items and sites they mention in two lookups.
pub async fn readable<C: ConnectionTrait>(conn: &C, events: Vec<Event>) -> AppResult<Vec<HistoryEntry>> {
    let mut asset_ids: Vec<AssetId> = Vec::new();
    let mut site_ids: Vec<SiteId> = Vec::new();
    for e in &events {
        asset_ids.extend(e.related_asset_id);
        match e.kind {
            EventKind::Parent => {
                asset_ids.extend([&e.from, &e.to].into_iter().flatten().filter_map(|v| v.parse::<AssetId>().ok()))
            }
            EventKind::Site => {
                site_ids.extend([&e.from, &e.to].into_iter().flatten().filter_map(|v| v.parse::<SiteId>().ok()))
            }
            EventKind::Registered => site_ids.extend(registered_site(e)),
            _ => {}
        }
    }
    asset_ids.sort();
    asset_ids.dedup();
    site_ids.sort();
    site_ids.dedup();
    let tags = assets::read::tags(conn, &asset_ids).await?;
    let names: HashMap<SiteId, String> =
        sites::by_ids(conn, &site_ids).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let asset_ref = |id: AssetId| AssetRef { id, tag: tags.get(&id).cloned() };
    let site_ref = |id: SiteId| SiteRef { id, name: names.get(&id).cloned() };
    let parsed_asset = |v: &Option<String>| v.as_deref().and_then(|s| s.parse().ok()).map(asset_ref);
    let parsed_site = |v: &Option<String>| v.as_deref().and_then(|s| s.parse().ok()).map(site_ref);
    let state = |v: &Option<String>| v.as_deref().and_then(State::parse);
    let tier = |v: &Option<String>| v.as_deref().and_then(WorkloadTier::parse);
    Ok(events
        .into_iter()
        .map(|e| {
            let related = e.related_asset_id.map(asset_ref);
            let change = match e.kind {
                EventKind::Registered => Change::Registered {
                    state: state(&e.to),
                    site: registered_site(&e).map(site_ref),
                    parent: related.clone(),
                },
                EventKind::State => Change::State { from: state(&e.from), to: state(&e.to) },
                EventKind::Parent => Change::Parent { from: parsed_asset(&e.from), to: parsed_asset(&e.to) },
                EventKind::ChildAdded => Change::PartAdded { part: related.clone() },
                EventKind::ChildRemoved => Change::PartRemoved { part: related.clone() },
                EventKind::Site => Change::Site { from: parsed_site(&e.from), to: parsed_site(&e.to) },
                EventKind::Workload => Change::Workload { from: tier(&e.from), to: tier(&e.to) },
                EventKind::Repair => Change::Repair { to: e.to.clone() },
                EventKind::Harvest => Change::Harvested { destination: e.to.as_deref().and_then(Destination::parse) },
            };
            HistoryEntry {
                summary: summary(&change),
                id: e.id,
                occurred_at: e.occurred_at,
                kind: e.kind,
                change,
                related,
                actor: e.actor,
                reason: e.reason,
                payload: e.payload,
            }
        })
        .collect())
}

/// The site a registration entry records (in its payload, as the registry wrote it).
fn registered_site(e: &Event) -> Option<SiteId> {
    e.payload.get("site_id").and_then(|v| v.as_str()).and_then(|s| s.parse().ok())
}

/// The sentence for a change; it reads on to the related item's tag where there is one.
pub fn summary(change: &Change) -> String {
    let state = |s: &Option<State>| s.map(|s| s.label()).unwrap_or("?");
    let site = |s: &Option<SiteRef>| match s {
        Some(SiteRef { name: Some(n), .. }) => n.clone(),
        Some(_) => "?".to_owned(),
        None => "no site".to_owned(),
    };
    let tag = |a: &Option<AssetRef>| a.as_ref().and_then(|a| a.tag.clone()).unwrap_or_else(|| "?".to_owned());
    let tier = |w: &Option<WorkloadTier>| w.map(|w| w.label()).unwrap_or("none");
    match change {
        Change::Registered { state: s, site: at, parent } => {
            let mut t = format!("Registered as {}", state(s));
            if at.is_some() {
                t.push_str(&format!(" at {}", site(at)));
            }
            if parent.is_some() {
                t.push_str(", installed in");
            }
            t
        }
        Change::State { from, to } => format!("{} → {}", state(from), state(to)),
        Change::Parent { from: None, to: Some(_) } => "Installed in".to_owned(),
        Change::Parent { from: Some(_), to: None } => "Removed from".to_owned(),
        Change::Parent { from: f @ Some(_), to: Some(_) } => format!("Moved from {} to", tag(f)),
        Change::Parent { from: None, to: None } => "Parent unchanged".to_owned(),
        Change::PartAdded { .. } => "Part installed:".to_owned(),
        Change::PartRemoved { .. } => "Part removed:".to_owned(),
        Change::Site { from, to } => format!("Moved from {} to {}", site(from), site(to)),
        Change::Workload { from: None, to } => format!("Workload set to {}", tier(to)),
        Change::Workload { from, to: None } => format!("Workload cleared (was {})", tier(from)),
        Change::Workload { from, to } => format!("Workload {} → {}", tier(from), tier(to)),
        Change::Repair { to } => match to.as_deref() {
            Some("open") => "Repair opened".to_owned(),
            Some(o) => format!("Repair closed: {}", RepairOutcome::parse(o).map(|o| o.label()).unwrap_or(o)),
            None => "Repair".to_owned(),
        },
        Change::Harvested { destination } => {
            format!("Harvested to the {} from", destination.map(|d| d.label().to_lowercase()).unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_read_as_people_write_them() {
        let frankfurt = Some(SiteRef { id: SiteId::new(), name: Some("Frankfurt".into()) });
        let r1 = Some(AssetRef { id: AssetId::new(), tag: Some("RL-1".into()) });
        let cases = [
            (
                Change::Registered { state: Some(State::Deployed), site: frankfurt.clone(), parent: None },
                "Registered as Deployed at Frankfurt",
            ),
            (
                Change::Registered { state: Some(State::InStock), site: None, parent: r1.clone() },
                "Registered as In stock, installed in",
            ),
            (Change::State { from: Some(State::InStock), to: Some(State::Deployed) }, "In stock → Deployed"),
            (Change::Parent { from: r1.clone(), to: r1.clone() }, "Moved from RL-1 to"),
            (Change::Parent { from: r1.clone(), to: None }, "Removed from"),
            (Change::Site { from: None, to: frankfurt }, "Moved from no site to Frankfurt"),
            (Change::Workload { from: None, to: Some(WorkloadTier::CiBuild) }, "Workload set to CI and build runners"),
            (
                Change::Workload { from: Some(WorkloadTier::CiBuild), to: None },
                "Workload cleared (was CI and build runners)",
            ),
        ];
        for (change, expected) in cases {
            assert_eq!(summary(&change), expected);
        }
    }
}
