//! The asset list: filters, free text and keyset pagination, fast at a million items.
//!
//! Invariants:
//! - Pages are ordered by id, newest first, and continue from a cursor (the last id seen):
//!   no OFFSET, no COUNT(*).
//! - Every equality filter is served by an index that ends with `id` (see the registry
//!   migration), so a page reads about `limit` index entries.
//! - Free text matches tags and serials by prefix (bytewise ranges on lower-cased keys, an
//!   index each) and models by substring. Selective text is resolved to a bounded set of
//!   ids first and sorted in memory; text that matches more than [`TEXT_CAP`] items is
//!   dense, so walking the id index and filtering finds a page quickly.

use sea_orm::sea_query::{BinOper, Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::Asset;
use super::repo;
use crate::catalog::matching_ids_subquery;
use crate::db::entities::asset;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, ModelId, SiteId};
use crate::rules::{AssetKind, Page, State};
use crate::text;

/// Above this many text matches, a page is found by walking the id index instead.
pub const TEXT_CAP: u64 = 10_000;
/// Text matching more catalog models than this is not selective by model.
const MODEL_CAP: u64 = 1000;
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

#[derive(Clone, Debug, Default, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    pub kind: Option<AssetKind>,
    pub state: Option<State>,
    pub site_id: Option<SiteId>,
    pub model_id: Option<ModelId>,
    /// Tag or serial starting with this text, or model containing it (case-insensitive).
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<AssetId>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<u64>,
}

impl AssetQuery {
    pub fn limit(&self) -> AppResult<u64> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        Ok(limit)
    }
}

pub async fn list<C: ConnectionTrait>(conn: &C, query: &AssetQuery) -> AppResult<Page<Asset>> {
    let limit = query.limit()?;
    let mut base = Condition::all();
    if let Some(k) = query.kind {
        base = base.add(asset::Column::Kind.eq(k.as_str()));
    }
    if let Some(s) = query.state {
        base = base.add(asset::Column::State.eq(s.as_str()));
    }
    if let Some(s) = query.site_id {
        base = base.add(asset::Column::SiteId.eq(s.0));
    }
    if let Some(m) = query.model_id {
        base = base.add(asset::Column::ModelId.eq(m.0));
    }
    if let Some(c) = query.cursor {
        base = base.add(asset::Column::Id.lt(c.0));
    }
    let needle = query.q.as_deref().map(text::key).unwrap_or_default();
    if needle.chars().count() > text::NAME_MAX {
        return Err(AppError::invalid("q", format!("must be at most {} characters", text::NAME_MAX)));
    }

    let rows = if needle.is_empty() {
        page_by_id(conn, base, limit).await?
    } else {
        // Matching models are resolved first: as a sub-query, PostgreSQL cannot estimate
        // the IN and falls back to a sequential scan of every asset.
        let models = crate::catalog::ids_matching(conn, &needle, MODEL_CAP).await?;
        let many_models = models.len() as u64 > MODEL_CAP;
        let ids: Vec<Uuid> = asset::Entity::find()
            .select_only()
            .column(asset::Column::Id)
            .filter(base.clone().add(text_condition(&needle, (!many_models).then_some(&models[..]), false)))
            .limit(TEXT_CAP + 1)
            .into_tuple()
            .all(conn)
            .await?;
        if many_models || ids.len() as u64 > TEXT_CAP {
            page_by_id(conn, base.add(text_condition(&needle, (!many_models).then_some(&models[..]), true)), limit)
                .await?
        } else {
            let mut ids = ids;
            ids.sort_unstable_by(|a, b| b.cmp(a));
            ids.truncate(limit as usize + 1);
            let mut rows = repo::find_many(conn, &ids).await?;
            rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.id));
            rows
        }
    };
    Page::from_rows(rows, limit as usize, |r| r.id.to_string()).try_map(Asset::try_from)
}

async fn page_by_id<C: ConnectionTrait>(conn: &C, cond: Condition, limit: u64) -> AppResult<Vec<asset::Model>> {
    Ok(asset::Entity::find().filter(cond).order_by_desc(asset::Column::Id).limit(limit + 1).all(conn).await?)
}

/// Tag or serial starting with `needle`, or a model whose label contains it.
///
/// `dense` is for text that matches many items: the key columns are wrapped in `|| ''` so
/// that no index serves them and the planner walks the id index instead, stopping after a
/// page (with the plain form, both SQLite and PostgreSQL would collect every match through
/// the tag and serial indexes and sort them all).
/// `models` are the ids of the matching catalog models, or `None` when there are too many
/// to list (then a sub-query finds them).
fn text_condition(needle: &str, models: Option<&[Uuid]>, dense: bool) -> Condition {
    let upper = text::prefix_upper_bound(needle);
    let key = |col: asset::Column| {
        if dense {
            // Written as an operator, not custom SQL: custom SQL's placeholders are
            // backend-specific (`$1` on PostgreSQL, `?` on SQLite).
            Expr::col((asset::Entity, col)).binary(BinOper::Custom("||"), Expr::cust("''"))
        } else {
            Expr::col((asset::Entity, col))
        }
    };
    let any = Condition::any()
        .add(
            Condition::all()
                .add(key(asset::Column::TagKey).gte(needle))
                .add(key(asset::Column::TagKey).lt(upper.as_str())),
        )
        .add(
            Condition::all()
                .add(key(asset::Column::SerialKey).gte(needle))
                .add(key(asset::Column::SerialKey).lt(upper.as_str())),
        );
    match models {
        Some([]) => any,
        Some(ids) => any.add(asset::Column::ModelId.is_in(ids.to_vec())),
        None => any.add(asset::Column::ModelId.in_subquery(matching_ids_subquery(needle))),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};

    use super::*;

    #[test]
    fn the_dense_search_compares_the_key_columns_on_both_databases() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let sql = asset::Entity::find().filter(text_condition("ab", Some(&[]), true)).build(backend).to_string();
            assert!(sql.contains(r#"("assets"."tag_key" || ('')) >= 'ab'"#), "{backend:?}: {sql}");
            assert!(sql.contains(r#"("assets"."serial_key" || ('')) >= 'ab'"#), "{backend:?}: {sql}");
            assert!(!sql.contains("$1"), "{backend:?}: {sql}");
        }
    }
}
