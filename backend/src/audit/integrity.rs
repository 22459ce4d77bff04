//! Keeping the chain honest, as recorded admin actions: sealing ledger rows that are outside
//! the chain, and anchoring verified checkpoints. (Verification itself never writes; it is
//! `ledger::chain::verify`.)

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::Db;
use crate::db::entities::{audit_entry, chain_checkpoint, lifecycle_event};
use crate::error::{AppError, AppResult};
use crate::ledger::chain::{self, ChainReport, Checkpoint, VerifyOptions, event_content, head, lock, verify};

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
    chain.save(&txn);
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

/// Verifies the chain from the newest usable stored checkpoint: the cheap check the API
/// and the anchor run (the full walk is `reloop audit verify`).
pub async fn verify_from_checkpoint(db: &Db, progress: &mut dyn FnMut(i64, i64)) -> AppResult<ChainReport> {
    verify(db, &VerifyOptions { incremental: true, expect: None }, progress).await
}

/// Verifies the chain (from the newest usable checkpoint) and, when it holds, stores the
/// head it verified as a sealed checkpoint and returns it for the operator to keep
/// elsewhere (entries written meanwhile are left for the next check). Refuses when the
/// chain does not verify.
pub async fn anchor(db: &Db, ctx: &Ctx, progress: &mut dyn FnMut(i64, i64)) -> AppResult<(Checkpoint, ChainReport)> {
    let key = db.chain_key()?;
    let report = verify_from_checkpoint(db, progress).await?;
    if !report.ok {
        return Err(AppError::conflict("chain_broken", None, format!("no checkpoint taken: {}", report.summary())));
    }
    let seq = report.head_seq;
    let txn = db.write().await?;
    let hash = match seq {
        0 => chain::GENESIS.to_owned(),
        _ => chain::stored_link(&*txn, seq)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the verified entry {seq} is gone")))?,
    };
    let checkpoint = Checkpoint { seq, hash };
    if seq > 0 {
        let row = chain_checkpoint::Model {
            seq,
            hash: checkpoint.hash.clone(),
            seal: chain::checkpoint_seal(key, seq, &checkpoint.hash),
            created_at: ctx.now,
            created_by: ctx.actor.name.clone(),
        };
        if chain_checkpoint::Entity::find_by_id(seq).one(&*txn).await?.is_none() {
            chain_checkpoint::Entity::insert(row.into_active_model()).exec_without_returning(&*txn).await?;
        }
        super::record(
            &txn,
            ctx,
            "audit.anchor",
            "chain",
            seq,
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
    // Almost always keyed already: say so without waiting for the writers' lock.
    if head(db.conn()).await?.keyed_from_seq.is_some() {
        return Ok(None);
    }
    let txn = db.write().await?;
    if chain::held_head(&txn).await?.row.keyed_from_seq.is_some() {
        return Ok(None);
    }
    let earlier = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(KEYED_ACTION))
        .order_by_asc(audit_entry::Column::Seq)
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
    // Mark the head keyed from the next position, sealed; the record below is that position.
    let from = chain::key_from_next(&txn).await?;
    super::record(&txn, ctx, KEYED_ACTION, "chain", from, None, Some(serde_json::json!({"keyed_from_seq": from})))
        .await?;
    txn.commit().await?;
    Ok(Some(from))
}
