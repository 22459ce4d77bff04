//! Reading the catalog: one model, models by id, the keyset-paginated list and text search.

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::HardwareModel;
use crate::db::entities::hardware_model as hm;
use crate::error::{AppError, AppResult};
use crate::ids::ModelId;
use crate::rules::{AssetKind, Page};
use crate::text;

pub async fn get<C: ConnectionTrait>(conn: &C, id: ModelId) -> AppResult<HardwareModel> {
    row(conn, id).await?.try_into()
}

pub(super) async fn row<C: ConnectionTrait>(conn: &C, id: ModelId) -> AppResult<hm::Model> {
    hm::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| AppError::not_found("hardware model", id))
}

/// The model with this key ([`super::model_key`]), if the catalog has it.
pub async fn by_key<C: ConnectionTrait>(conn: &C, key: &str) -> AppResult<Option<HardwareModel>> {
    row_by_key(conn, key).await?.map(HardwareModel::try_from).transpose()
}

pub(super) async fn row_by_key<C: ConnectionTrait>(conn: &C, key: &str) -> AppResult<Option<hm::Model>> {
    Ok(hm::Entity::find().filter(hm::Column::ModelKey.eq(key)).one(conn).await?)
}

/// The models a person's name for one reads as, case aside: the model whose key it is
/// ("Samsung M393A4K40DB3-CWE", manufacturer and model number), or else those whose label
/// it is ("PowerEdge R740"; at most 20). Empty when none is.
pub async fn by_name<C: ConnectionTrait>(conn: &C, name: &str) -> AppResult<Vec<HardwareModel>> {
    let key = text::key(name);
    if key.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(m) = by_key(conn, &key).await? {
        return Ok(vec![m]);
    }
    let rows = hm::Entity::find()
        .filter(Expr::col(hm::Column::ModelKey).like(contains_pattern(&key)))
        .order_by_asc(hm::Column::ModelKey)
        .limit(200)
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let m = HardwareModel::try_from(r)?;
        if text::key(&m.label()) == key && out.len() < 20 {
            out.push(m);
        }
    }
    Ok(out)
}

/// Models by id, for labelling lists.
pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[ModelId]) -> AppResult<Vec<HardwareModel>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<_> = ids.iter().map(|i| i.0).collect();
    hm::Entity::find()
        .filter(hm::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(HardwareModel::try_from)
        .collect()
}

/// A LIKE pattern matching `needle` anywhere, with LIKE's wildcards escaped.
pub fn contains_pattern(needle: &str) -> LikeExpr {
    let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModelQuery {
    /// Only models of this kind.
    pub kind: Option<AssetKind>,
    /// Text contained in the manufacturer or model number (case-insensitive).
    pub q: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<u64>,
}

/// The catalog ordered by manufacturer and model number, keyset-paginated.
pub async fn list<C: ConnectionTrait>(conn: &C, query: &ModelQuery) -> AppResult<Page<HardwareModel>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500"));
    }
    let mut q = hm::Entity::find();
    if let Some(k) = query.kind {
        q = q.filter(hm::Column::Kind.eq(k.as_str()));
    }
    if let Some(needle) = query.q.as_deref().map(text::key).filter(|s| !s.is_empty()) {
        q = q.filter(Condition::all().add(Expr::col(hm::Column::ModelKey).like(contains_pattern(&needle))));
    }
    if let Some(c) = query.cursor.as_deref().filter(|c| !c.is_empty()) {
        q = q.filter(hm::Column::ModelKey.gt(c));
    }
    let rows = q.order_by_asc(hm::Column::ModelKey).limit(limit + 1).all(conn).await?;
    Page::from_rows(rows, limit as usize, |r| r.model_key.clone()).try_map(HardwareModel::try_from)
}

/// Ids of models whose manufacturer or number contains `needle`, at most `cap` (+1 so
/// callers can tell the cap was hit).
pub async fn ids_matching<C: ConnectionTrait>(conn: &C, needle: &str, cap: u64) -> AppResult<Vec<uuid::Uuid>> {
    Ok(matching_ids(&text::key(needle)).limit(cap + 1).into_tuple::<uuid::Uuid>().all(conn).await?)
}

/// The ids of the models whose key contains `key` (already a [`text::key`]), as a
/// sub-query for callers that filter by model without listing the ids.
pub fn matching_ids_subquery(key: &str) -> SelectStatement {
    matching_ids(key).into_query()
}

/// The text search of [`ids_matching`] and [`matching_ids_subquery`].
fn matching_ids(key: &str) -> Select<hm::Entity> {
    hm::Entity::find()
        .select_only()
        .column(hm::Column::Id)
        .filter(Expr::col(hm::Column::ModelKey).like(contains_pattern(key)))
}
