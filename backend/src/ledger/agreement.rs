//! Whether the asset rows agree with their ledger: the registry columns a ledger entry
//! sets (state, parent, site, workload tier), folded from each asset's entries in chain
//! order and compared with its row. Part of verification ([`super::chain::verify`]); the
//! one place the ledger reads another table, and it reads only those columns of the
//! `assets` rows (it knows nothing of the assets feature).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use crate::db::entities::{asset, lifecycle_event};
use crate::error::AppResult;
use crate::rules::EventKind;
use serde::Serialize;
use utoipa::ToSchema;

/// At most this many ids or mismatches are listed in a report (the counts are exact).
pub(super) const LIST_MAX: usize = 100;

/// An asset whose row says one thing and whose ledger another.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Mismatch {
    pub asset_id: String,
    pub asset_tag: String,
    /// state, parent_id, site_id or workload_tier.
    pub field: String,
    /// What the row holds.
    pub row: Option<String>,
    /// What the ledger implies.
    pub ledger: Option<String>,
}

/// What comparing the asset rows found.
#[derive(Default)]
pub(super) struct Agreement {
    pub checked: i64,
    pub mismatches: i64,
    /// The first [`LIST_MAX`] mismatches.
    pub listed: Vec<Mismatch>,
}

/// What an asset's ledger says its row holds.
#[derive(Default)]
struct Projection {
    registered: bool,
    state: Option<String>,
    parent: Option<String>,
    site: Option<String>,
    workload: Option<String>,
}

fn payload_text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_owned)
}

/// Folds an asset's entries (in chain order) into what its row must hold.
fn project(events: &[lifecycle_event::Model]) -> Projection {
    let mut p = Projection::default();
    for e in events {
        match EventKind::parse(&e.kind) {
            Some(EventKind::Registered) => {
                p.registered = true;
                p.state = e.to_value.clone();
                p.parent = payload_text(&e.payload, "parent_id");
                p.site = payload_text(&e.payload, "site_id");
                p.workload = payload_text(&e.payload, "workload_tier");
            }
            Some(EventKind::State) => p.state = e.to_value.clone(),
            Some(EventKind::Parent) => p.parent = e.to_value.clone(),
            Some(EventKind::Site) => p.site = e.to_value.clone(),
            Some(EventKind::Workload) => p.workload = e.to_value.clone(),
            Some(EventKind::ChildAdded | EventKind::ChildRemoved | EventKind::Repair | EventKind::Harvest) | None => {}
        }
    }
    p
}

/// Compares asset rows (all, or those in `scope`) with their ledger, in pages by id.
pub(super) async fn compare_assets<C: ConnectionTrait>(conn: &C, scope: Option<Vec<Uuid>>) -> AppResult<Agreement> {
    let mut found = Agreement::default();
    let mut cursor: Option<Uuid> = None;
    let mut scoped = scope.map(|ids| ids.into_iter());
    loop {
        let rows: Vec<asset::Model> = match &mut scoped {
            Some(ids) => {
                let chunk: Vec<Uuid> = ids.by_ref().take(500).collect();
                if chunk.is_empty() {
                    break;
                }
                asset::Entity::find().filter(asset::Column::Id.is_in(chunk)).all(conn).await?
            }
            None => {
                let mut q = asset::Entity::find().order_by_asc(asset::Column::Id).limit(500);
                if let Some(c) = cursor {
                    q = q.filter(asset::Column::Id.gt(c));
                }
                let rows = q.all(conn).await?;
                if rows.is_empty() {
                    break;
                }
                cursor = rows.last().map(|r| r.id);
                rows
            }
        };
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut ledgers: HashMap<Uuid, Vec<lifecycle_event::Model>> = HashMap::new();
        for e in lifecycle_event::Entity::find()
            .filter(lifecycle_event::Column::AssetId.is_in(ids))
            .filter(lifecycle_event::Column::Seq.is_not_null())
            .order_by_asc(lifecycle_event::Column::Seq)
            .all(conn)
            .await?
        {
            ledgers.entry(e.asset_id).or_default().push(e);
        }
        for row in rows {
            found.checked += 1;
            let p = project(ledgers.get(&row.id).map(Vec::as_slice).unwrap_or(&[]));
            let mut differ = |field: &str, row_value: Option<String>, ledger: Option<String>| {
                if row_value != ledger {
                    found.mismatches += 1;
                    if found.listed.len() < LIST_MAX {
                        found.listed.push(Mismatch {
                            asset_id: row.id.to_string(),
                            asset_tag: row.asset_tag.clone(),
                            field: field.to_owned(),
                            row: row_value,
                            ledger,
                        });
                    }
                }
            };
            if !p.registered {
                differ("registered", Some("yes".into()), None);
                continue;
            }
            differ("state", Some(row.state.clone()), p.state);
            differ("parent_id", row.parent_id.map(|u| u.to_string()), p.parent);
            differ("site_id", row.site_id.map(|u| u.to_string()), p.site);
            differ("workload_tier", row.workload_tier.clone(), p.workload);
        }
    }
    Ok(found)
}
