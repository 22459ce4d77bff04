//! The trail as people read it: each entry's target and changed fields, with the items,
//! sites, models and users it names shown by tag or name; a target given as an asset tag.
//!
//! The names are read from the `assets`, `sites`, `hardware_models` and `users` tables
//! directly (through `db::entities`, one query per table for a whole page), not through the
//! features that own them: the trail sits below them, and only needs their names.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::diff::{self, FieldChange, RefKind, Shown};
use super::trail::{self, AuditEntry, AuditQuery};
use crate::db::entities::{asset, audit_entry as ae, hardware_model, site, user};
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, AuditId};
use crate::rules::Page;
use crate::text;

/// An audit entry with its target named and its changes field by field.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReadableEntry {
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// The target as people know it (an asset's tag, a site's or model's name, a username).
    pub target: Shown,
    /// Only the fields that changed, labelled, old → new.
    pub changes: Vec<FieldChange>,
}

/// Some of an item's field edits (the registry's edit form and `PATCH`), newest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldEdit {
    pub id: AuditId,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub changes: Vec<FieldChange>,
}

/// The audit actions that edit an item's fields in place.
pub const EDIT_ACTIONS: [&str; 1] = ["asset.update"];

/// The trail, newest first and filtered like [`trail::list`], readable. A `target_id` that
/// is not an id is taken as an asset's tag; a tag no asset has is refused, naming it.
pub async fn list<C: ConnectionTrait>(conn: &C, q: &AuditQuery) -> AppResult<Page<ReadableEntry>> {
    let mut q = q.clone();
    let asked = q.target_id.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let mut unknown_tag = None;
    if let Some(t) = asked.filter(|t| t.parse::<Uuid>().is_err()) {
        let ty = q.target_type.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if matches!(ty, None | Some("asset")) {
            match asset::Entity::find().filter(asset::Column::TagKey.eq(text::key(&t))).one(conn).await? {
                Some(a) => {
                    q.target_type = Some("asset".into());
                    q.target_id = Some(a.id.to_string());
                }
                None if ty.is_some() => return Err(no_such_tag(&t, false)),
                None => unknown_tag = Some(t),
            }
        }
    }
    let page = trail::list(conn, &q).await?;
    if let Some(t) = unknown_tag
        && page.items.is_empty()
        && q.cursor.is_none()
    {
        return Err(no_such_tag(&t, true));
    }
    let items = readable(conn, page.items).await?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

fn no_such_tag(t: &str, nor_id: bool) -> AppError {
    let also = if nor_id { ", and no entry has it as its target id" } else { "" };
    AppError::invalid("target_id", format!("no asset has the tag “{t}”{also}"))
}

/// Names the targets and changes of `entries` (one lookup per kind of record).
pub async fn readable<C: ConnectionTrait>(conn: &C, entries: Vec<AuditEntry>) -> AppResult<Vec<ReadableEntry>> {
    let mut out: Vec<ReadableEntry> = entries
        .into_iter()
        .map(|e| ReadableEntry {
            target: target_of(&e),
            changes: diff::diff(e.before.as_ref(), e.after.as_ref()),
            entry: e,
        })
        .collect();
    let mut names = Names::default();
    for e in &out {
        names.want(&e.target);
        e.changes.iter().for_each(|c| names.want_change(c));
    }
    names.read(conn).await?;
    for e in &mut out {
        names.fill(&mut e.target);
        e.changes.iter_mut().for_each(|c| names.fill_change(c));
    }
    Ok(out)
}

/// The target as a value: a link for the records that have names.
fn target_of(e: &AuditEntry) -> Shown {
    let kind = match e.target_type.as_str() {
        "asset" => Some(RefKind::Asset),
        "site" => Some(RefKind::Site),
        "model" => Some(RefKind::Model),
        "user" => Some(RefKind::User),
        _ => None,
    };
    match (kind, e.target_id.parse::<Uuid>()) {
        (Some(k), Ok(id)) => Shown::link(k, id),
        _ => Shown::text(e.target_id.clone()),
    }
}

/// An item's field edits, newest first, keyset-paginated by entry id (ids are UUIDv7, so
/// they interleave with the item's ledger entries by time): each with the fields it changed,
/// named, leaving out those its ledger entries already tell (`ledger_fields`).
pub async fn edits_of<C: ConnectionTrait>(
    conn: &C,
    asset: AssetId,
    cursor: Option<Uuid>,
    limit: u64,
    ledger_fields: &[&str],
) -> AppResult<Page<FieldEdit>> {
    let mut find = ae::Entity::find()
        .filter(ae::Column::TargetType.eq("asset"))
        .filter(ae::Column::TargetId.eq(asset.to_string()))
        .filter(ae::Column::Action.is_in(EDIT_ACTIONS));
    if let Some(c) = cursor {
        find = find.filter(ae::Column::Id.lt(c));
    }
    let rows = find.order_by_desc(ae::Column::Id).limit(limit + 1).all(conn).await?;
    let page = Page::from_rows(rows, limit as usize, |r| r.id.to_string());
    let entries = readable(conn, page.items.into_iter().map(AuditEntry::from).collect()).await?;
    let items = entries
        .into_iter()
        .map(|r| FieldEdit {
            id: r.entry.id,
            occurred_at: r.entry.occurred_at,
            actor: r.entry.actor_name,
            changes: r.changes.into_iter().filter(|c| !ledger_fields.contains(&c.field.as_str())).collect(),
        })
        .collect();
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// The names of the records a page mentions, read once per kind.
#[derive(Default)]
struct Names {
    wanted: HashMap<RefKind, HashSet<Uuid>>,
    found: HashMap<(RefKind, Uuid), String>,
}

impl Names {
    fn want(&mut self, s: &Shown) {
        if let Some(l) = &s.link {
            self.wanted.entry(l.kind).or_default().insert(l.id);
        }
    }

    fn want_change(&mut self, c: &FieldChange) {
        for s in [&c.from, &c.to].into_iter().flatten() {
            self.want(s);
        }
    }

    fn fill(&self, s: &mut Shown) {
        if let Some(l) = &s.link
            && let Some(n) = self.found.get(&(l.kind, l.id))
        {
            s.text = n.clone();
        }
    }

    fn fill_change(&self, c: &mut FieldChange) {
        for s in [&mut c.from, &mut c.to].into_iter().flatten() {
            self.fill(s);
        }
    }

    async fn read<C: ConnectionTrait>(&mut self, conn: &C) -> AppResult<()> {
        for (kind, ids) in &self.wanted {
            let ids: Vec<Uuid> = ids.iter().copied().collect();
            for chunk in ids.chunks(500) {
                let chunk = chunk.to_vec();
                let named: Vec<(Uuid, String)> = match kind {
                    RefKind::Asset => asset::Entity::find()
                        .filter(asset::Column::Id.is_in(chunk))
                        .all(conn)
                        .await?
                        .into_iter()
                        .map(|a| (a.id, a.asset_tag))
                        .collect(),
                    RefKind::Site => site::Entity::find()
                        .filter(site::Column::Id.is_in(chunk))
                        .all(conn)
                        .await?
                        .into_iter()
                        .map(|s| (s.id, s.name))
                        .collect(),
                    RefKind::Model => hardware_model::Entity::find()
                        .filter(hardware_model::Column::Id.is_in(chunk))
                        .all(conn)
                        .await?
                        .into_iter()
                        .map(|m| (m.id, model_label(&m.manufacturer, &m.model_number)))
                        .collect(),
                    RefKind::User => user::Entity::find()
                        .filter(user::Column::Id.is_in(chunk))
                        .all(conn)
                        .await?
                        .into_iter()
                        .map(|u| (u.id, u.username))
                        .collect(),
                };
                self.found.extend(named.into_iter().map(|(id, n)| ((*kind, id), n)));
            }
        }
        Ok(())
    }
}

/// A model as the catalog names it (`catalog::label`: the manufacturer unless the model
/// number already starts with it).
fn model_label(manufacturer: &str, number: &str) -> String {
    if number.to_lowercase().starts_with(&manufacturer.to_lowercase()) {
        number.to_owned()
    } else {
        format!("{manufacturer} {number}")
    }
}
