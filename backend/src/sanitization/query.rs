//! Reads of sanitization records and batches.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::model::{Batch, BatchDetail, BatchQuery, Record, RecordQuery};
use crate::db::entities::{sanitization_batch, sanitization_record};
use crate::error::{AppError, AppResult};
use crate::ids::AssetId;
use crate::rules::{Page, SanitizationResult};
use crate::text;

const MAX_LIMIT: u64 = 500;

/// Records, newest first.
pub async fn records<C: ConnectionTrait>(conn: &C, q: &RecordQuery) -> AppResult<Page<Record>> {
    let limit = text::page_limit(q.limit, 50, MAX_LIMIT)?;
    let mut s = sanitization_record::Entity::find().order_by_desc(sanitization_record::Column::Id).limit(limit + 1);
    if let Some(a) = q.asset_id {
        s = s.filter(sanitization_record::Column::AssetId.eq(a.0));
    }
    if let Some(c) = text::page_cursor(q.cursor.as_deref())? {
        s = s.filter(sanitization_record::Column::Id.lt(c));
    }
    let rows: Vec<Record> = s.all(conn).await?.into_iter().map(Record::try_from).collect::<AppResult<_>>()?;
    Ok(Page::from_rows(rows, limit as usize, |r| r.id.to_string()))
}

/// A device's records, newest first.
pub async fn for_asset<C: ConnectionTrait>(conn: &C, asset: AssetId) -> AppResult<Vec<Record>> {
    Ok(records(conn, &RecordQuery { asset_id: Some(asset), limit: Some(100), cursor: None }).await?.items)
}

pub async fn record<C: ConnectionTrait>(conn: &C, id: uuid::Uuid) -> AppResult<Record> {
    sanitization_record::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound { what: "sanitization record", id: id.to_string() })?
        .try_into()
}

/// Batches, newest first.
pub async fn batches<C: ConnectionTrait>(conn: &C, q: &BatchQuery) -> AppResult<Page<Batch>> {
    let limit = text::page_limit(q.limit, 50, MAX_LIMIT)?;
    let mut s = sanitization_batch::Entity::find().order_by_desc(sanitization_batch::Column::Id).limit(limit + 1);
    if let Some(st) = q.status {
        s = s.filter(sanitization_batch::Column::Status.eq(st.as_str()));
    }
    if let Some(c) = text::page_cursor(q.cursor.as_deref())? {
        s = s.filter(sanitization_batch::Column::Id.lt(c));
    }
    let rows: Vec<Batch> = s.all(conn).await?.into_iter().map(Batch::try_from).collect::<AppResult<_>>()?;
    Ok(Page::from_rows(rows, limit as usize, |b| b.id.to_string()))
}

/// A batch with its records, in scan order.
pub async fn batch<C: ConnectionTrait>(conn: &C, id: uuid::Uuid) -> AppResult<BatchDetail> {
    let b = sanitization_batch::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound { what: "sanitization batch", id: id.to_string() })?;
    let records: Vec<Record> = sanitization_record::Entity::find()
        .filter(sanitization_record::Column::BatchId.eq(id))
        .order_by_asc(sanitization_record::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Record::try_from)
        .collect::<AppResult<_>>()?;
    let passed = records.iter().filter(|r| r.result == SanitizationResult::Passed).count();
    Ok(BatchDetail { batch: Batch::try_from(b)?, failed: records.len() - passed, passed, records })
}
