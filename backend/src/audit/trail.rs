//! Writing and reading audit entries.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::WriteTxn;
use crate::db::entities::audit_entry as ae;
use crate::error::{AppError, AppResult};
use crate::ids::{AuditId, UserId};
use crate::ledger::chain;
use crate::rules::Page;

/// Records one change in the caller's transaction.
pub async fn record(
    txn: &WriteTxn,
    ctx: &Ctx,
    action: &str,
    target_type: &str,
    target_id: impl std::fmt::Display,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    let mut chain = chain::lock(txn).await?;
    let (seq, prev) = chain.next();
    let mut row = ae::Model {
        id: Uuid::now_v7(),
        seq,
        occurred_at: ctx.now,
        actor_id: ctx.actor.id.map(|u| u.0),
        actor_name: ctx.actor.name.clone(),
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id: target_id.to_string(),
        before,
        after,
        prev_hash: prev.clone(),
        hash: String::new(),
    };
    row.hash = chain.link(seq, &chain::audit_content(&row, seq, &prev));
    chain.advance(seq, row.hash.clone());
    ae::Entity::insert(row.into_active_model()).exec_without_returning(&**txn).await?;
    chain.save(txn);
    Ok(())
}

/// A value as audit JSON (what the API would show for it).
pub fn snapshot<T: Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: AuditId,
    /// Position in the hash chain shared with the lifecycle ledger.
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    /// e.g. asset.create, asset.transition, user.update, token.revoke, auth.login.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    pub hash: String,
}

impl From<ae::Model> for AuditEntry {
    fn from(m: ae::Model) -> Self {
        AuditEntry {
            id: m.id.into(),
            seq: m.seq,
            occurred_at: m.occurred_at,
            actor_id: m.actor_id.map(Into::into),
            actor_name: m.actor_name,
            action: m.action,
            target_type: m.target_type,
            target_id: m.target_id,
            before: m.before,
            after: m.after,
            hash: m.hash,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Exact actor name (username, or a system actor such as "cli").
    pub actor: Option<String>,
    /// Exact action, e.g. asset.transition.
    pub action: Option<String>,
    /// Target type (asset, site, model, user, token); with `target_id` for one record.
    pub target_type: Option<String>,
    /// One record's id, or an asset's tag (a tag no asset has is refused, naming it).
    pub target_id: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// 1–500, default 50.
    pub limit: Option<u64>,
}

/// The trail, newest first, filtered; keyset-paginated by seq.
pub async fn list<C: ConnectionTrait>(conn: &C, q: &AuditQuery) -> AppResult<Page<AuditEntry>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500"));
    }
    let mut find = ae::Entity::find();
    let blank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(a) = blank(&q.actor) {
        find = find.filter(ae::Column::ActorName.eq(a));
    }
    if let Some(a) = blank(&q.action) {
        find = find.filter(ae::Column::Action.eq(a));
    }
    if let Some(t) = blank(&q.target_type) {
        find = find.filter(ae::Column::TargetType.eq(t));
    }
    if let Some(t) = blank(&q.target_id) {
        find = find.filter(ae::Column::TargetId.eq(t));
    }
    if let Some(c) = q.cursor {
        find = find.filter(ae::Column::Seq.lt(c));
    }
    let rows = find.order_by_desc(ae::Column::Seq).limit(limit + 1).all(conn).await?;
    let page = Page::from_rows(rows, limit as usize, |r| r.seq.to_string());
    page.try_map(|r| Ok(AuditEntry::from(r)))
}
