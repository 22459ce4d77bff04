//! The lifecycle ledger: one append-only row per change of an item's state, parent, site
//! or workload. Rows are only ever inserted, never updated or deleted; an asset's current
//! state, parent, site and workload are a projection of its ledger, written in the same
//! transaction as the entry that explains them.
//!
//! Entries are stored as the registry writes them (ids as text in `from`/`to`); the
//! readable form of an entry, with tags and site names resolved, is built one floor up
//! (`lifecycle::history`), where the registry is known.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, IdenStatic, IntoActiveModel, Iterable,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::chain;
use crate::context::Ctx;
use crate::db::WriteTxn;
use crate::db::entities::lifecycle_event as ev;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, EventId};
use crate::rules::{EventKind, Page};

/// A ledger entry to append.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub asset_id: AssetId,
    pub kind: EventKind,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The other item in a tree change (the parent for the child, the child for the parent).
    pub related: Option<AssetId>,
    pub reason: String,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn new(asset_id: AssetId, kind: EventKind, from: Option<String>, to: Option<String>) -> Self {
        NewEvent {
            asset_id,
            kind,
            from,
            to,
            related: None,
            reason: String::new(),
            payload: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn related(mut self, other: AssetId) -> Self {
        self.related = Some(other);
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    pub fn payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

/// A recorded ledger entry.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Event {
    pub id: EventId,
    pub asset_id: AssetId,
    pub kind: EventKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub related_asset_id: Option<AssetId>,
    pub actor: String,
    pub reason: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

impl TryFrom<ev::Model> for Event {
    type Error = AppError;
    fn try_from(m: ev::Model) -> AppResult<Event> {
        Ok(Event {
            kind: EventKind::parse(&m.kind)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable event kind {:?}", m.kind)))?,
            id: m.id.into(),
            asset_id: m.asset_id.into(),
            from: m.from_value,
            to: m.to_value,
            related_asset_id: m.related_asset_id.map(Into::into),
            actor: m.actor,
            reason: m.reason,
            payload: m.payload,
            occurred_at: m.occurred_at,
        })
    }
}

/// Rows per multi-row INSERT on SQLite: well under its 32,766 bound parameters.
const CHUNK: usize = 500;
/// Rows per INSERT on PostgreSQL, where a chunk travels as one JSON parameter.
const PG_CHUNK: usize = 5000;

/// Appends entries in order, in the caller's transaction, extending the hash chain.
pub async fn append(txn: &WriteTxn, ctx: &Ctx, events: Vec<NewEvent>) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let conn: &DatabaseTransaction = txn;
    let chunk = if conn.get_database_backend() == DbBackend::Postgres { PG_CHUNK } else { CHUNK };
    let mut chain = chain::lock(txn).await?;
    let mut rows = Vec::with_capacity(events.len().min(chunk));
    for e in events {
        let (seq, prev) = chain.next();
        let mut row = ev::Model {
            id: Uuid::now_v7(),
            asset_id: e.asset_id.0,
            kind: e.kind.as_str().to_owned(),
            from_value: e.from,
            to_value: e.to,
            related_asset_id: e.related.map(|r| r.0),
            actor: ctx.actor.name.clone(),
            reason: e.reason,
            payload: e.payload,
            occurred_at: ctx.now,
            seq: Some(seq),
            actor_id: ctx.actor.id.map(|u| u.0),
            prev_hash: Some(prev.clone()),
            hash: None,
        };
        let h = chain.link(seq, &chain::event_content(&row, seq, &prev));
        row.hash = Some(h.clone());
        chain.advance(seq, h);
        rows.push(row);
        if rows.len() == chunk {
            insert(conn, std::mem::take(&mut rows)).await?;
        }
    }
    if !rows.is_empty() {
        insert(conn, rows).await?;
    }
    chain.save(txn);
    Ok(())
}

/// Inserts `rows` in one statement: on SQLite a multi-row INSERT; on PostgreSQL the rows
/// as one JSON array, unpacked by `jsonb_populate_recordset` into the table's own column
/// types (thousands of rows without thousands of bound parameters to send and parse; a
/// lot of 100,000 items spent half its shipping time binding them).
async fn insert(conn: &DatabaseTransaction, rows: Vec<ev::Model>) -> AppResult<()> {
    if conn.get_database_backend() != DbBackend::Postgres {
        ev::Entity::insert_many(rows.into_iter().map(IntoActiveModel::into_active_model))
            .exec_without_returning(conn)
            .await?;
        return Ok(());
    }
    // The entity's own columns and rows, so a column added to it is carried here too.
    let cols = ev::Column::iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    let json = serde_json::to_value(&rows).map_err(|e| AppError::Internal(e.into()))?;
    let sql = format!(
        "INSERT INTO lifecycle_events ({cols}) SELECT {cols} FROM jsonb_populate_recordset(NULL::lifecycle_events, $1)"
    );
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [sea_orm::Value::Json(Some(Box::new(json)))],
    ))
    .await?;
    Ok(())
}

/// An item's ledger, newest first, keyset-paginated by entry id.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    asset: AssetId,
    cursor: Option<EventId>,
    limit: u64,
) -> AppResult<Page<Event>> {
    let mut q = ev::Entity::find().filter(ev::Column::AssetId.eq(asset.0));
    if let Some(c) = cursor {
        q = q.filter(ev::Column::Id.lt(c.0));
    }
    let rows = q.order_by_desc(ev::Column::Id).limit(limit + 1).all(conn).await?;
    Page::from_rows(rows, limit as usize, |r| r.id.to_string()).try_map(Event::try_from)
}
