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
    self, ChainReport, Checkpoint, VerifyOptions, checkpoint_content, event_content, head, lock, verify,
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

/// The audit action that records when the chain was keyed.
pub const KEYED_ACTION: &str = "chain.keyed";

/// Keys an unkeyed chain from its next position on, recording the act in the trail (the
/// entry is itself the first keyed one). Writing commands call it when they open the
/// database, so an upgraded database is keyed at its first start. Refuses when the trail
/// says the chain was keyed before but its head has lost the marker: that head was edited
/// behind reloop's back, and keying it again would launder whatever was recomputed.
/// Returns the position keying starts from, when this call keyed the chain.
pub async fn adopt_key(db: &Db, ctx: &Ctx) -> AppResult<Option<i64>> {
    let txn = db.write().await?;
    let h = head(&*txn).await?;
    if h.keyed_from_seq.is_some() {
        return Ok(None);
    }
    let earlier = crate::db::entities::audit_entry::Entity::find()
        .filter(crate::db::entities::audit_entry::Column::Action.eq(KEYED_ACTION))
        .order_by_asc(crate::db::entities::audit_entry::Column::Seq)
        .one(&*txn)
        .await?;
    if let Some(e) = earlier {
        return Err(AppError::conflict(
            "chain_broken",
            None,
            format!(
                "the chain was keyed at seq {} (audit entry {}) but its head no longer says so: the head was edited behind reloop's back. Nothing was written; verify against a checkpoint kept elsewhere and restore the database from a backup",
                e.seq, e.id
            ),
        ));
    }
    let from = h.seq + 1;
    // Mark the head keyed from the next position, sealed; the record below is that position.
    let key = txn.chain_key()?.clone();
    crate::db::entities::chain_head::Entity::update(crate::db::entities::chain_head::ActiveModel {
        name: Set(h.name.clone()),
        seq: Set(h.seq),
        hash: Set(h.hash.clone()),
        keyed_from_seq: Set(Some(from)),
        seal: Set(Some(key.mac(&chain::head_content(h.seq, &h.hash, Some(from))))),
    })
    .exec(&*txn)
    .await?;
    super::record(&txn, ctx, KEYED_ACTION, "chain", from, None, Some(serde_json::json!({"keyed_from_seq": from})))
        .await?;
    txn.commit().await?;
    Ok(Some(from))
}
