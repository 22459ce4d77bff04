//! The hash chain shared by the audit trail and the lifecycle ledger.
//!
//! Every entry of either table takes the next `seq` from the single `chain_head` row and
//! stores `prev_hash` (the link of entry `seq - 1`) and `hash`, the link of its canonical
//! content, which includes `prev_hash`. A link is HMAC-SHA-256 under the chain key
//! ([`ChainKey`]) from `keyed_from_seq` on, and plain SHA-256 before (entries written
//! before the chain was keyed). The head row carries a seal (the key's MAC of the head),
//! and verified positions can be kept as sealed checkpoints.
//!
//! What verification detects, and what it cannot, is stated in the README ("Audit trail:
//! what the chain proves"). In short: a row edited, inserted, deleted or reordered behind
//! the application's back; a ledger row written outside the chain; a chain recomputed
//! without the key; a head edited without the key; an asset row that disagrees with its
//! ledger; and, against a checkpoint kept elsewhere, a chain cut back to an earlier head.
//!
//! Invariants:
//! - Verification never writes. Sealing rows written outside the chain is an explicit,
//!   audited admin action, and checkpoints are written by `reloop audit anchor` (both in
//!   `audit::integrity`, one floor up, since they record in the trail).
//! - Writers lock the head row (the first lock of every recording transaction on
//!   PostgreSQL, see `db::Db::write`; SQLite writers are serialised anyway), so instances
//!   sharing a database extend one chain in one order. A writer whose key does not open the
//!   head's seal refuses to write: instances must share one key. The transaction holds the
//!   head from its first read to its commit ([`crate::db::HeldHead`]), so a change that
//!   records several entries reads, checks and writes the head once.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

pub use super::agreement::Mismatch;
use super::agreement::{LIST_MAX, compare_assets};
use crate::db::entities::{audit_entry, chain_checkpoint, chain_head, lifecycle_event};
use crate::db::{ChainKey, Db, HeldHead, WriteTxn};
use crate::error::{AppError, AppResult};

/// The link before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Rows per page when walking the chain.
const PAGE: u64 = 2000;

/// SHA-256 of the canonical content, lower-case hex: the link of unkeyed (legacy) entries.
pub fn hash(canonical: &str) -> String {
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The link of entry `seq`: keyed from `keyed_from` on, plain SHA-256 before.
pub fn link(key: &ChainKey, keyed_from: Option<i64>, seq: i64, canonical: &str) -> String {
    match keyed_from {
        Some(k) if seq >= k => key.mac(canonical),
        _ => hash(canonical),
    }
}

/// The key's seal over a head position.
fn head_seal(key: &ChainKey, seq: i64, hash: &str, keyed_from: Option<i64>) -> String {
    key.mac(&serde_json::json!(["head", seq, hash, keyed_from]).to_string())
}

/// Whether `head` carries a seal that opens with `key`.
fn seal_opens(head: &chain_head::Model, key: &ChainKey) -> bool {
    head.seal.as_deref() == Some(head_seal(key, head.seq, &head.hash, head.keyed_from_seq).as_str())
}

/// The key's seal over a checkpoint.
pub(crate) fn checkpoint_seal(key: &ChainKey, seq: i64, hash: &str) -> String {
    key.mac(&serde_json::json!(["checkpoint", seq, hash]).to_string())
}

/// The chain's head, locked for the current transaction.
pub struct Chain {
    seq: i64,
    hash: String,
    keyed_from: Option<i64>,
    key: ChainKey,
    dirty: bool,
}

/// The chain's head position: every recorded change (a ledger entry or an audit entry)
/// moves it on, so a reader can tell whether the records changed since it last looked
/// (0 for an empty chain). Reads only.
pub async fn head_seq<C: ConnectionTrait>(conn: &C) -> AppResult<i64> {
    Ok(chain_head::Entity::find_by_id(chain_head::MAIN.to_owned()).one(conn).await?.map_or(0, |h| h.seq))
}

/// The chain's size: the head's position, and the rows of the ledger and of the audit
/// trail (counted, for the metrics endpoint).
pub async fn sizes<C: ConnectionTrait>(conn: &C) -> AppResult<(i64, i64, i64)> {
    use sea_orm::PaginatorTrait;
    let head = head_seq(conn).await?;
    let ledger = crate::db::entities::lifecycle_event::Entity::find().count(conn).await? as i64;
    let audit = crate::db::entities::audit_entry::Entity::find().count(conn).await? as i64;
    Ok((head, ledger, audit))
}

/// Locks the head for the rest of the caller's transaction. An empty chain is keyed from
/// its first entry; a chain with entries but no key marker is refused (it is keyed, and the
/// act recorded, by `audit::integrity::adopt_key` when a writing command opens the
/// database; keying it silently here would launder a head edited to drop its marker).
pub async fn lock(txn: &WriteTxn) -> AppResult<Chain> {
    let key = txn.chain_key()?.clone();
    let held = held_head(txn).await?;
    let head = held.row;
    let chain = match head.keyed_from_seq {
        Some(_) if !held.checked && !seal_opens(&head, &key) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the chain head is sealed with another key (or was edited): every instance sharing this database must use the same RELOOP_CHAIN_KEY; nothing was written"
            )));
        }
        Some(_) => Chain { seq: head.seq, hash: head.hash.clone(), keyed_from: head.keyed_from_seq, key, dirty: false },
        None if head.seq == 0 => Chain { seq: 0, hash: head.hash.clone(), keyed_from: Some(1), key, dirty: true },
        None => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the audit chain has entries but is not keyed: start reloop (or run `reloop migrate`) to key it, which is recorded in the trail; nothing was written"
            )));
        }
    };
    txn.hold_head(HeldHead { row: head, checked: true, dirty: held.dirty });
    Ok(chain)
}

/// The head as `txn` holds it: read and locked on first use (on PostgreSQL
/// `db::Db::write` has read it already).
pub(crate) async fn held_head(txn: &WriteTxn) -> AppResult<HeldHead> {
    if let Some(held) = txn.held_head() {
        return Ok(held);
    }
    let row = chain_head::Entity::find_by_id(chain_head::MAIN)
        .lock_exclusive()
        .one(&**txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the chain head row is missing")))?;
    let held = HeldHead { row, checked: false, dirty: false };
    txn.hold_head(held.clone());
    Ok(held)
}

/// Marks an unkeyed chain as keyed from its next position on, sealed with `txn`'s key,
/// and returns that position (`audit::integrity::adopt_key` decides when, and records it).
pub(crate) async fn key_from_next(txn: &WriteTxn) -> AppResult<i64> {
    let key = txn.chain_key()?;
    let mut row = held_head(txn).await?.row;
    let from = row.seq + 1;
    row.keyed_from_seq = Some(from);
    row.seal = Some(head_seal(key, row.seq, &row.hash, row.keyed_from_seq));
    txn.hold_head(HeldHead { row, checked: true, dirty: true });
    Ok(from)
}

impl Chain {
    /// Places the next entry: returns its seq and the previous link; the caller links the
    /// entry with [`Chain::link`] and hands it back through [`Chain::advance`].
    pub fn next(&self) -> (i64, String) {
        (self.seq + 1, self.hash.clone())
    }

    /// The link of entry `seq` with this content.
    pub fn link(&self, seq: i64, canonical: &str) -> String {
        link(&self.key, self.keyed_from, seq, canonical)
    }

    pub fn advance(&mut self, seq: i64, hash: String) {
        self.seq = seq;
        self.hash = hash;
        self.dirty = true;
    }

    /// Hands the new head and its seal back to the transaction, which writes it with the
    /// entries at commit.
    pub fn save(self, txn: &WriteTxn) {
        if self.dirty {
            let seal = head_seal(&self.key, self.seq, &self.hash, self.keyed_from);
            let row = chain_head::Model {
                name: chain_head::MAIN.to_owned(),
                seq: self.seq,
                hash: self.hash,
                keyed_from_seq: self.keyed_from,
                seal: Some(seal),
            };
            txn.hold_head(HeldHead { row, checked: true, dirty: true });
        }
    }
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

// ------------------------------------------------------------------------------ checking

/// A position of the chain an operator keeps elsewhere: `seq:hash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Checkpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (seq, hash) =
            s.trim().split_once(':').ok_or("a checkpoint is SEQ:HASH, as `reloop audit anchor` prints it")?;
        let seq: i64 = seq.parse().map_err(|_| format!("{seq:?} is not a chain position"))?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a checkpoint's hash is 64 hexadecimal characters".into());
        }
        Ok(Checkpoint { seq, hash: hash.to_ascii_lowercase() })
    }
}

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Start from the newest sealed checkpoint stored in the database (when it still
    /// matches its entry) instead of the first entry; assets are then compared only where
    /// their ledger grew since.
    pub incremental: bool,
    /// A checkpoint kept outside the database: the chain must still hold it.
    pub expect: Option<Checkpoint>,
}

/// What [`verify`] found.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChainReport {
    pub ok: bool,
    /// Entries checked (audit entries and ledger entries together).
    pub entries: i64,
    pub head_seq: i64,
    /// The first position checked (1, or the one after the stored checkpoint started from).
    pub from_seq: i64,
    /// Entries from this position on are linked with the chain key.
    pub keyed_from_seq: Option<i64>,
    /// The stored checkpoint the check started from, if any.
    pub started_from: Option<Checkpoint>,
    /// The first entry where the chain breaks.
    pub broken: Option<Broken>,
    /// Ledger rows written outside the chain (no position): how many, and the first ids.
    pub outside_chain: i64,
    pub outside_chain_ids: Vec<String>,
    /// Asset rows that disagree with what their ledger says: how many, and the first ones.
    pub mismatches: i64,
    pub mismatch_list: Vec<Mismatch>,
    /// Assets compared with their ledger.
    pub assets_checked: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Broken {
    /// "audit", "ledger" or "head".
    pub table: String,
    pub seq: i64,
    /// The row's id, when the row exists.
    pub id: Option<String>,
    pub reason: String,
}

impl ChainReport {
    fn new(head: &chain_head::Model) -> ChainReport {
        ChainReport {
            ok: true,
            entries: 0,
            head_seq: head.seq,
            from_seq: 1,
            keyed_from_seq: head.keyed_from_seq,
            started_from: None,
            broken: None,
            outside_chain: 0,
            outside_chain_ids: Vec::new(),
            mismatches: 0,
            mismatch_list: Vec::new(),
            assets_checked: 0,
        }
    }

    fn break_at(&mut self, table: &str, seq: i64, id: Option<String>, reason: impl Into<String>) {
        self.ok = false;
        if self.broken.is_none() {
            self.broken = Some(Broken { table: table.into(), seq, id, reason: reason.into() });
        }
    }

    /// One sentence for a terminal, naming what broke first.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = &self.broken {
            parts.push(format!(
                "BROKEN at {} entry seq {}{}: {}",
                b.table,
                b.seq,
                b.id.as_ref().map(|i| format!(" (id {i})")).unwrap_or_default(),
                b.reason
            ));
        }
        if self.outside_chain > 0 {
            parts.push(format!(
                "{} ledger row(s) outside the chain (not sealed into it: written behind the application's back?): {}",
                self.outside_chain,
                self.outside_chain_ids.join(", ")
            ));
        }
        if self.mismatches > 0 {
            let first: Vec<String> = self
                .mismatch_list
                .iter()
                .take(5)
                .map(|m| {
                    format!(
                        "{} {}: row {} but ledger {}",
                        m.asset_tag,
                        m.field,
                        m.row.as_deref().unwrap_or("none"),
                        m.ledger.as_deref().unwrap_or("none")
                    )
                })
                .collect();
            parts.push(format!("{} asset field(s) disagree with the ledger: {}", self.mismatches, first.join("; ")));
        }
        let scope = match &self.started_from {
            Some(c) => format!("from checkpoint seq {} to seq {}", c.seq, self.head_seq),
            None => format!("head at seq {}", self.head_seq),
        };
        let plural = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let n = self.assets_checked;
        let since = if self.started_from.is_some() { " changed since" } else { "" };
        let assets = if n == 0 && self.started_from.is_some() {
            "no asset changed since".to_owned()
        } else {
            format!(
                "{}{since} {} with {} ledger",
                plural(n, "asset", "assets"),
                if n == 1 { "agrees" } else { "agree" },
                if n == 1 { "its" } else { "their" }
            )
        };
        if parts.is_empty() {
            format!("audit chain intact: {} verified ({scope}); {assets}", plural(self.entries, "entry", "entries"))
        } else {
            format!("audit chain {} ({} entries checked before it, {scope})", parts.join("; "), self.entries)
        }
    }
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

pub(crate) async fn head<C: ConnectionTrait>(conn: &C) -> AppResult<chain_head::Model> {
    chain_head::Entity::find_by_id(chain_head::MAIN)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the chain head row is missing")))
}

/// The stored link of the entry at `seq`, if one exists.
pub(crate) async fn stored_link<C: ConnectionTrait>(conn: &C, seq: i64) -> AppResult<Option<String>> {
    if let Some(e) = lifecycle_event::Entity::find().filter(lifecycle_event::Column::Seq.eq(seq)).one(conn).await? {
        return Ok(e.hash);
    }
    Ok(audit_entry::Entity::find().filter(audit_entry::Column::Seq.eq(seq)).one(conn).await?.map(|a| a.hash))
}

/// The newest stored checkpoint whose seal opens with `key` and whose entry still has
/// the link it recorded.
async fn usable_checkpoint<C: ConnectionTrait>(conn: &C, key: &ChainKey) -> AppResult<Option<Checkpoint>> {
    let rows =
        chain_checkpoint::Entity::find().order_by_desc(chain_checkpoint::Column::Seq).limit(20).all(conn).await?;
    for c in rows {
        if c.seal == checkpoint_seal(key, c.seq, &c.hash)
            && stored_link(conn, c.seq).await?.as_deref() == Some(c.hash.as_str())
        {
            return Ok(Some(Checkpoint { seq: c.seq, hash: c.hash }));
        }
    }
    Ok(None)
}

/// Checks the chain and the assets against their ledger with `db`'s key; never writes.
/// Every query reads one snapshot ([`Db::read_snapshot`]), so writers working meanwhile
/// cannot make a moment's chain look cut or an asset look edited. `progress` is told
/// (checked, head) as the walk goes.
pub async fn verify(db: &Db, opts: &VerifyOptions, progress: &mut dyn FnMut(i64, i64)) -> AppResult<ChainReport> {
    let key = db.chain_key()?;
    let snapshot = db.read_snapshot().await?;
    let report = verify_in(&snapshot, key, opts, progress).await?;
    snapshot.commit().await?;
    Ok(report)
}

async fn verify_in<C: ConnectionTrait>(
    conn: &C,
    key: &ChainKey,
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(i64, i64),
) -> AppResult<ChainReport> {
    let head = head(conn).await?;
    let mut report = ChainReport::new(&head);
    // The head's seal, reported after the walk so that the earliest break is named first.
    let seal_problem = match (&head.seal, head.keyed_from_seq) {
        (Some(_), Some(_)) if seal_opens(&head, key) => None,
        (None, None) if head.seq == 0 => None,
        (None, None) => Some(
            "the chain is not keyed yet: start reloop once with its key (RELOOP_CHAIN_KEY) so that new entries are linked with it",
        ),
        _ => Some(
            "the head's seal does not open with this key: the head was edited, or this is not the key the chain was written with",
        ),
    };

    // Rows outside the chain.
    report.outside_chain =
        lifecycle_event::Entity::find().filter(lifecycle_event::Column::Seq.is_null()).count(conn).await? as i64;
    if report.outside_chain > 0 {
        report.ok = false;
        report.outside_chain_ids = lifecycle_event::Entity::find()
            .select_only()
            .column(lifecycle_event::Column::Id)
            .filter(lifecycle_event::Column::Seq.is_null())
            .order_by_asc(lifecycle_event::Column::Id)
            .limit(LIST_MAX as u64)
            .into_tuple::<Uuid>()
            .all(conn)
            .await?
            .into_iter()
            .map(|u| u.to_string())
            .collect();
    }

    // Where to start.
    let start = if opts.incremental { usable_checkpoint(conn, key).await? } else { None };
    let (mut prev, mut after) = match &start {
        Some(c) => (c.hash.clone(), c.seq),
        None => (GENESIS.to_owned(), 0),
    };
    report.from_seq = after + 1;
    let mut expected = after + 1;
    // Assets whose ledger grew since the checkpoint started from (only then compared alone).
    let mut touched: Option<HashSet<Uuid>> = start.is_some().then(HashSet::new);
    report.started_from = start;
    let mut expect_seen = false;

    'walk: loop {
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
                Entry::Event(e) => {
                    if let Some(t) = touched.as_mut() {
                        t.insert(e.asset_id);
                    }
                    (
                        "ledger",
                        e.id.to_string(),
                        e.prev_hash.clone().unwrap_or_default(),
                        e.hash.clone().unwrap_or_default(),
                        event_content(e, seq, &prev),
                    )
                }
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
                report.break_at(table, expected.min(seq), Some(id), reason);
                break 'walk;
            }
            if stored_prev != prev {
                report.break_at(table, seq, Some(id), "its prev_hash does not match the previous entry's hash");
                break 'walk;
            }
            if link(key, head.keyed_from_seq, seq, &content) != stored_hash {
                report.break_at(
                    table,
                    seq,
                    Some(id),
                    "its content does not match its hash (edited, or linked without the chain key)",
                );
                break 'walk;
            }
            if let Some(c) = &opts.expect
                && c.seq == seq
            {
                expect_seen = true;
                if c.hash != stored_hash {
                    report.break_at(
                        table,
                        seq,
                        Some(id),
                        format!("the checkpoint {c} no longer holds: this position now has hash {stored_hash}"),
                    );
                    break 'walk;
                }
            }
            prev = stored_hash;
            expected += 1;
            after = seq;
            report.entries += 1;
        }
        progress(report.entries, head.seq);
    }

    if let Some(problem) = seal_problem
        && report.broken.is_none()
    {
        report.break_at("head", head.seq, None, problem);
    }
    if report.broken.is_none() {
        let last = expected - 1;
        if last != head.seq || prev != head.hash {
            report.break_at(
                "head",
                last + 1,
                None,
                format!("the chain ends at {last} but its head says {}: entries were removed from the end", head.seq),
            );
        }
    }
    if let Some(c) = &opts.expect
        && !expect_seen
        && report.broken.is_none()
    {
        if c.seq > head.seq {
            report.break_at(
                "head",
                head.seq + 1,
                None,
                format!(
                    "the chain ends at seq {} but the checkpoint {c} was taken at seq {}: entries were cut from the end",
                    head.seq, c.seq
                ),
            );
        } else if (c.seq == 0 && c.hash != GENESIS)
            || (c.seq > 0 && stored_link(conn, c.seq).await?.as_deref() != Some(c.hash.as_str()))
        {
            report.break_at("head", c.seq, None, format!("the checkpoint {c} no longer holds"));
        }
    }

    // Assets against their ledger: all of them, or those whose ledger grew since the
    // checkpoint started from.
    let agreement = compare_assets(conn, touched.map(|t| t.into_iter().collect())).await?;
    report.ok &= agreement.mismatches == 0;
    report.assets_checked = agreement.checked;
    report.mismatches = agreement.mismatches;
    report.mismatch_list = agreement.listed;
    Ok(report)
}
