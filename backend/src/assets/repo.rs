//! Asset row access for the registry and the features above it (lifecycle moves go
//! through here, never through the table).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::entities::asset;
use crate::db::save_versioned;
use crate::error::{AppError, AppResult};
use crate::ids::AssetId;
use crate::rules::{AssetKind, State};
use crate::text;

/// Deeper trees than this are refused: real hardware nests three or four levels
/// (enclosure > server > board > chip), and the bound keeps every walk finite.
pub const MAX_DEPTH: usize = 16;

/// Ids per `IN (…)` list.
const IN_CHUNK: usize = 500;

pub async fn find<C: ConnectionTrait>(conn: &C, id: AssetId) -> AppResult<asset::Model> {
    asset::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| AppError::not_found("asset", id))
}

pub async fn find_by_tag<C: ConnectionTrait>(conn: &C, tag: &str) -> AppResult<Option<asset::Model>> {
    Ok(asset::Entity::find().filter(asset::Column::TagKey.eq(text::key(tag))).one(conn).await?)
}

/// Rows for `ids`, in no particular order.
pub async fn find_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<asset::Model>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_CHUNK) {
        out.extend(asset::Entity::find().filter(asset::Column::Id.is_in(chunk.to_vec())).all(conn).await?);
    }
    Ok(out)
}

/// Items installed directly in `id`, oldest first.
pub async fn children<C: ConnectionTrait>(conn: &C, id: AssetId) -> AppResult<Vec<asset::Model>> {
    Ok(asset::Entity::find().filter(asset::Column::ParentId.eq(id.0)).order_by_asc(asset::Column::Id).all(conn).await?)
}

/// Everything installed in `id`, at any depth, breadth-first (parents before children).
pub async fn descendants<C: ConnectionTrait>(conn: &C, id: AssetId) -> AppResult<Vec<asset::Model>> {
    Ok(descendant_levels(conn, id).await?.into_iter().flatten().collect())
}

/// Everything installed in `id`, level by level: the parts installed directly in it first,
/// then theirs, and so on (one query per level). As many levels as hang below `id`.
pub async fn descendant_levels<C: ConnectionTrait>(conn: &C, id: AssetId) -> AppResult<Vec<Vec<asset::Model>>> {
    let mut levels = Vec::new();
    let mut frontier = vec![id.0];
    for _ in 0..MAX_DEPTH {
        if frontier.is_empty() {
            return Ok(levels);
        }
        let mut level = Vec::new();
        for chunk in frontier.chunks(IN_CHUNK) {
            level.extend(
                asset::Entity::find()
                    .filter(asset::Column::ParentId.is_in(chunk.to_vec()))
                    .order_by_asc(asset::Column::Id)
                    .all(conn)
                    .await?,
            );
        }
        frontier = level.iter().map(|r| r.id).collect();
        if !level.is_empty() {
            levels.push(level);
        }
    }
    if frontier.is_empty() {
        Ok(levels)
    } else {
        Err(AppError::Internal(anyhow::anyhow!("asset {id} has a tree deeper than {MAX_DEPTH} levels")))
    }
}

/// Everything installed in any of `roots`, at any depth, level by level (parents before
/// children): one query per level and chunk of ids, so a lot of thousands of servers is
/// read in a few dozen queries.
pub async fn descendants_of_all<C: ConnectionTrait>(conn: &C, roots: &[Uuid]) -> AppResult<Vec<asset::Model>> {
    let mut out = Vec::new();
    let mut frontier: Vec<Uuid> = roots.to_vec();
    for _ in 0..MAX_DEPTH {
        if frontier.is_empty() {
            return Ok(out);
        }
        let mut level = Vec::new();
        for chunk in frontier.chunks(IN_CHUNK) {
            level.extend(
                asset::Entity::find()
                    .filter(asset::Column::ParentId.is_in(chunk.to_vec()))
                    .order_by_asc(asset::Column::Id)
                    .all(conn)
                    .await?,
            );
        }
        frontier = level.iter().map(|r| r.id).collect();
        out.extend(level);
    }
    if frontier.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Internal(anyhow::anyhow!(
            "a tree below {} item(s) is deeper than {MAX_DEPTH} levels",
            roots.len()
        )))
    }
}

/// The chain of items from `parent` up to the top, nearest first: pass an item's
/// `parent_id` to get everything it sits in.
pub async fn ancestors<C: ConnectionTrait>(conn: &C, parent: Option<Uuid>) -> AppResult<Vec<asset::Model>> {
    let mut out: Vec<asset::Model> = Vec::new();
    let mut current = parent;
    while let Some(pid) = current {
        if out.len() >= MAX_DEPTH {
            return Err(AppError::Internal(anyhow::anyhow!("asset {pid} is nested deeper than {MAX_DEPTH} levels")));
        }
        let parent = find(conn, AssetId(pid)).await?;
        current = parent.parent_id;
        out.push(parent);
    }
    Ok(out)
}

/// Writes `change` to `row` if nobody changed it since it was read (compare-and-swap on
/// `version`, see `db::save_versioned`), bumping the version. Returns the new row.
pub async fn save<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    row: &asset::Model,
    change: impl FnOnce(&mut asset::ActiveModel),
) -> AppResult<asset::Model> {
    save_versioned::<asset::Entity, _>(conn, ctx.now, row, None, change).await
}

/// An asset row's kind and state, typed.
pub fn kind_state(row: &asset::Model) -> AppResult<(AssetKind, State)> {
    match (AssetKind::parse(&row.kind), State::parse(&row.state)) {
        (Some(k), Some(s)) => Ok((k, s)),
        _ => Err(AppError::Internal(anyhow::anyhow!("unreadable kind/state on asset {}", row.id))),
    }
}
