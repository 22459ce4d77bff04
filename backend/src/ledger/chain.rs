//! The hash chain shared by the audit trail and the lifecycle ledger.
//!
//! Every entry of either table takes the next `seq` from the single `chain_head` row and
//! stores `prev_hash` (the hash of entry `seq - 1`) and `hash` = SHA-256 of its canonical
//! content, which includes `prev_hash`. Editing, inserting or deleting a row behind the
//! application's back breaks the chain at that row, and [`verify`] names it.
//!
//! Writers lock the head row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite writers are
//! serialised anyway), so instances sharing a database extend one chain in one order.
//! One head for both tables means one lock per transaction and no lock-order deadlocks.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::entities::{audit_entry, chain_head, lifecycle_event};
use crate::error::{AppError, AppResult};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HEAD: &str = "main";

/// The chain's head, locked for the current transaction.
pub struct Chain {
    seq: i64,
    hash: String,
    dirty: bool,
}

/// Locks the head for the rest of the caller's transaction.
pub async fn lock<C: ConnectionTrait>(conn: &C) -> AppResult<Chain> {
    let head = chain_head::Entity::find_by_id(HEAD.to_owned())
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the chain head row is missing")))?;
    Ok(Chain { seq: head.seq, hash: head.hash, dirty: false })
}

impl Chain {
    /// Places the next entry: returns its seq and the previous hash; the caller computes
    /// the entry's hash with [`hash`] and hands it back through [`Chain::advance`].
    pub fn next(&self) -> (i64, String) {
        (self.seq + 1, self.hash.clone())
    }

    pub fn advance(&mut self, seq: i64, hash: String) {
        self.seq = seq;
        self.hash = hash;
        self.dirty = true;
    }

    /// Writes the new head (in the same transaction as the entries).
    pub async fn save<C: ConnectionTrait>(self, conn: &C) -> AppResult<()> {
        if self.dirty {
            chain_head::Entity::update(chain_head::ActiveModel {
                name: Set(HEAD.to_owned()),
                seq: Set(self.seq),
                hash: Set(self.hash),
            })
            .exec(conn)
            .await?;
        }
        Ok(())
    }
}

/// SHA-256 of the canonical content, lower-case hex.
pub fn hash(canonical: &str) -> String {
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON with object keys sorted at every depth, so the same value always serialises to
/// the same bytes whatever order a database hands keys back in.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The canonical content of a ledger entry.
pub fn event_content(e: &lifecycle_event::Model, seq: i64, prev_hash: &str) -> String {
    serde_json::json!([
        "event",
        seq,
        e.id,
        e.asset_id,
        e.kind,
        e.from_value,
        e.to_value,
        e.related_asset_id,
        e.actor,
        e.actor_id,
        e.reason,
        canonical(&e.payload),
        time(e.occurred_at),
        prev_hash,
    ])
    .to_string()
}

/// The canonical content of an audit entry.
pub fn audit_content(e: &audit_entry::Model, seq: i64, prev_hash: &str) -> String {
    serde_json::json!([
        "audit",
        seq,
        e.id,
        time(e.occurred_at),
        e.actor_id,
        e.actor_name,
        e.action,
        e.target_type,
        e.target_id,
        e.before.as_ref().map(canonical),
        e.after.as_ref().map(canonical),
        prev_hash,
    ])
    .to_string()
}

/// What `verify` found.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChainReport {
    pub ok: bool,
    /// Entries checked (audit entries and ledger entries together).
    pub entries: i64,
    pub head_seq: i64,
    /// The first entry where the chain breaks.
    pub broken: Option<Broken>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Broken {
    /// "audit" or "ledger".
    pub table: String,
    pub seq: i64,
    /// The row's id, when the row exists.
    pub id: Option<String>,
    pub reason: String,
}

/// One row of either table, in chain order.
enum Entry {
    Event(lifecycle_event::Model),
    Audit(audit_entry::Model),
}

impl Entry {
    fn seq(&self) -> i64 {
        match self {
            Entry::Event(e) => e.seq.unwrap_or(0),
            Entry::Audit(a) => a.seq,
        }
    }
}

const PAGE: u64 = 2000;

/// Walks the whole chain in order and reports the first broken entry.
pub async fn verify<C: ConnectionTrait>(conn: &C) -> AppResult<ChainReport> {
    let head = chain_head::Entity::find_by_id(HEAD.to_owned())
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the chain head row is missing")))?;
    let unsealed = lifecycle_event::Entity::find()
        .filter(lifecycle_event::Column::Seq.is_null())
        .order_by_asc(lifecycle_event::Column::Id)
        .one(conn)
        .await?;
    let mut prev = GENESIS.to_owned();
    let mut expected = 1i64;
    let mut after = 0i64;
    let fail = |table: &str, seq: i64, id: Option<String>, reason: String, checked: i64| ChainReport {
        ok: false,
        entries: checked,
        head_seq: head.seq,
        broken: Some(Broken { table: table.into(), seq, id, reason }),
    };
    loop {
        let events = lifecycle_event::Entity::find()
            .filter(lifecycle_event::Column::Seq.gt(after))
            .order_by_asc(lifecycle_event::Column::Seq)
            .limit(PAGE)
            .all(conn)
            .await?;
        let audits = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gt(after))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(PAGE)
            .all(conn)
            .await?;
        if events.is_empty() && audits.is_empty() {
            break;
        }
        // Only entries below both pages' last seq are known to be complete in this round.
        let bound = match (events.len() as u64 == PAGE, audits.len() as u64 == PAGE) {
            (true, true) => events.last().and_then(|e| e.seq).unwrap_or(0).min(audits.last().map_or(0, |a| a.seq)),
            (true, false) => events.last().and_then(|e| e.seq).unwrap_or(0),
            (false, true) => audits.last().map_or(0, |a| a.seq),
            (false, false) => i64::MAX,
        };
        let mut merged: Vec<Entry> = events
            .into_iter()
            .map(Entry::Event)
            .chain(audits.into_iter().map(Entry::Audit))
            .filter(|e| e.seq() <= bound)
            .collect();
        merged.sort_by_key(Entry::seq);
        for entry in merged {
            let seq = entry.seq();
            let (table, id, stored_prev, stored_hash, content) = match &entry {
                Entry::Event(e) => (
                    "ledger",
                    e.id.to_string(),
                    e.prev_hash.clone().unwrap_or_default(),
                    e.hash.clone().unwrap_or_default(),
                    event_content(e, seq, &prev),
                ),
                Entry::Audit(a) => {
                    ("audit", a.id.to_string(), a.prev_hash.clone(), a.hash.clone(), audit_content(a, seq, &prev))
                }
            };
            if seq != expected {
                let reason = if seq < expected {
                    format!("seq {seq} appears twice")
                } else {
                    format!("entries {expected}..{} are missing (deleted?)", seq - 1)
                };
                return Ok(fail(table, expected.min(seq), Some(id), reason, expected - 1));
            }
            if stored_prev != prev {
                return Ok(fail(
                    table,
                    seq,
                    Some(id),
                    "its prev_hash does not match the previous entry's hash".into(),
                    seq - 1,
                ));
            }
            if hash(&content) != stored_hash {
                return Ok(fail(table, seq, Some(id), "its content does not match its hash (edited?)".into(), seq - 1));
            }
            prev = stored_hash;
            expected += 1;
            after = seq;
        }
    }
    let checked = expected - 1;
    if checked != head.seq || prev != head.hash {
        return Ok(fail(
            "audit",
            checked + 1,
            None,
            format!("the chain ends at {checked} but its head says {}: entries were removed from the end", head.seq),
            checked,
        ));
    }
    if let Some(e) = unsealed {
        return Ok(fail("ledger", 0, Some(e.id.to_string()), "a ledger entry is outside the chain".into(), checked));
    }
    Ok(ChainReport { ok: true, entries: checked, head_seq: head.seq, broken: None })
}

/// Seals ledger rows written before the chain existed (they have no seq), oldest first.
pub async fn seal_backlog(db: &crate::db::Db) -> AppResult<u64> {
    let mut sealed = 0;
    loop {
        let txn = db.write().await?;
        let rows = lifecycle_event::Entity::find()
            .filter(lifecycle_event::Column::Seq.is_null())
            .order_by_asc(lifecycle_event::Column::Id)
            .limit(PAGE)
            .all(&*txn)
            .await?;
        if rows.is_empty() {
            return Ok(sealed);
        }
        let mut chain = lock(&*txn).await?;
        for row in rows {
            let (seq, prev) = chain.next();
            let h = hash(&event_content(&row, seq, &prev));
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
            sealed += 1;
        }
        chain.save(&*txn).await?;
        txn.commit().await?;
    }
}
