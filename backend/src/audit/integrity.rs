//! Keeping the chain honest, as recorded admin actions: sealing ledger rows that are outside
//! the chain, and anchoring verified checkpoints. (Verification itself never writes; it is
//! `ledger::chain::verify`.)

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::Db;
use crate::db::entities::{chain_checkpoint, lifecycle_event};
use crate::error::{AppError, AppResult};
use crate::ledger::chain::{
    ChainReport, Checkpoint, VerifyOptions, checkpoint_content, event_content, head, lock, verify,
};

/// Seals ledger rows that have no chain position (rows written before the chain existed),
/// oldest first, and records the action in the audit trail with the ids sealed. An admin
/// runs it deliberately (`reloop audit seal`) after checking the rows are genuine: sealing
/// makes whatever the rows say part of the verified history.
pub async fn seal_unsealed(db: &Db, ctx: &Ctx) -> AppResult<Vec<Uuid>> {
    let txn = db.write().await?;
    let rows = lifecycle_event::Entity::find()
        .filter(lifecycle_event::Column::Seq.is_null())
        .order_by_asc(lifecycle_event::Column::Id)
        .all(&*txn)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut chain = lock(&txn).await?;
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let (seq, prev) = chain.next();
        let h = chain.link(seq, &event_content(&row, seq, &prev));
        lifecycle_event::Entity::update(lifecycle_event::ActiveModel {
            id: Set(row.id),
            seq: Set(Some(seq)),
            prev_hash: Set(Some(prev)),
            hash: Set(Some(h.clone())),
            ..Default::default()
        })
        .exec(&*txn)
        .await?;
        chain.advance(seq, h);
        ids.push(row.id);
    }
    chain.save(&txn).await?;
    let sealed: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    super::record(
        &txn,
        ctx,
        "audit.seal",
        "ledger",
        format!("{} rows", ids.len()),
        None,
        Some(serde_json::json!({"sealed": sealed})),
    )
    .await?;
    txn.commit().await?;
    Ok(ids)
}

/// Verifies the chain (from the newest usable checkpoint) and, when it holds, stores the
/// head as a sealed checkpoint and returns it for the operator to keep elsewhere. Refuses
/// when the chain does not verify.
pub async fn anchor(db: &Db, ctx: &Ctx, progress: &mut dyn FnMut(i64, i64)) -> AppResult<(Checkpoint, ChainReport)> {
    let key = db
        .chain_key()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("this database handle has no chain key")))?
        .clone();
    let report = verify(db.conn(), &key, &VerifyOptions { incremental: true, expect: None }, progress).await?;
    if !report.ok {
        return Err(AppError::conflict("chain_broken", None, format!("no checkpoint taken: {}", report.summary())));
    }
    let txn = db.write().await?;
    let h = head(&*txn).await?;
    let checkpoint = Checkpoint { seq: h.seq, hash: h.hash.clone() };
    if h.seq > 0 {
        let row = chain_checkpoint::Model {
            seq: h.seq,
            hash: h.hash.clone(),
            seal: key.mac(&checkpoint_content(h.seq, &h.hash)),
            created_at: ctx.now,
            created_by: ctx.actor.name.clone(),
        };
        if chain_checkpoint::Entity::find_by_id(h.seq).one(&*txn).await?.is_none() {
            chain_checkpoint::Entity::insert(row.into_active_model()).exec_without_returning(&*txn).await?;
        }
        super::record(
            &txn,
            ctx,
            "audit.anchor",
            "chain",
            h.seq,
            None,
            Some(serde_json::json!({"checkpoint": checkpoint.to_string()})),
        )
        .await?;
    }
    txn.commit().await?;
    Ok((checkpoint, report))
}
