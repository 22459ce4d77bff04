//! The gate as other features call it: by item ids, whole trees included. The rule itself
//! lives in `lifecycle::gate`, where every transition applies it.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

pub use crate::lifecycle::gate::{blockers, holds_data, refusal};
pub use crate::rules::Release;

use crate::assets::repo;
use crate::db::entities::asset;
use crate::error::AppResult;
use crate::ids::AssetId;

/// `items` and everything installed in them, level by level in batches.
pub async fn with_trees<C: ConnectionTrait>(conn: &C, items: &[AssetId]) -> AppResult<Vec<asset::Model>> {
    let ids: Vec<uuid::Uuid> = items.iter().map(|i| i.0).collect();
    let mut all = repo::find_many(conn, &ids).await?;
    let mut frontier = ids;
    for _ in 0..repo::MAX_DEPTH {
        if frontier.is_empty() {
            break;
        }
        let mut level = Vec::new();
        for chunk in frontier.chunks(500) {
            level.extend(asset::Entity::find().filter(asset::Column::ParentId.is_in(chunk.to_vec())).all(conn).await?);
        }
        frontier = level.iter().map(|r| r.id).collect();
        all.extend(level);
    }
    Ok(all)
}

/// 409 `not_sanitized` naming every data-bearing device in `items` or installed in them
/// (any depth) without a passing sanitization record that allows `release` (a `destroy`
/// record allows recycling only).
pub async fn check<C: ConnectionTrait>(conn: &C, items: &[AssetId], release: Release) -> AppResult<()> {
    let rows = with_trees(conn, items).await?;
    let refs: Vec<&asset::Model> = rows.iter().collect();
    let what = if items.len() == 1 {
        refs.first().map(|r| r.asset_tag.clone()).unwrap_or_else(|| "the item".into())
    } else {
        format!("the {} items", items.len())
    };
    crate::lifecycle::gate::check(conn, &what, &refs, release).await
}
