//! Reading sites, for this module and the features above it (the registry checks that a
//! site exists through here rather than reading the table itself).

use std::collections::HashSet;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::model::Site;
use crate::db::entities::site;
use crate::error::{AppError, AppResult};
use crate::ids::SiteId;
use crate::text;

/// Ids per `IN (…)` list.
const IN_CHUNK: usize = 500;

pub async fn get<C: ConnectionTrait>(conn: &C, id: SiteId) -> AppResult<Site> {
    row(conn, id).await.map(Site::from)
}

pub(super) async fn row<C: ConnectionTrait>(conn: &C, id: SiteId) -> AppResult<site::Model> {
    site::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| AppError::not_found("site", id))
}

/// All sites by name. Organisations run tens of sites, not millions.
pub async fn list<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<Site>> {
    Ok(site::Entity::find().order_by_asc(site::Column::NameKey).all(conn).await?.into_iter().map(Site::from).collect())
}

/// Sites by id, for labelling list pages (unknown ids are left out).
pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[SiteId]) -> AppResult<Vec<Site>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_CHUNK) {
        let raw: Vec<Uuid> = chunk.iter().map(|i| i.0).collect();
        out.extend(
            site::Entity::find().filter(site::Column::Id.is_in(raw)).all(conn).await?.into_iter().map(Site::from),
        );
    }
    Ok(out)
}

/// Which of `ids` name an existing site.
pub async fn existing<C: ConnectionTrait>(conn: &C, ids: &[SiteId]) -> AppResult<HashSet<SiteId>> {
    Ok(by_ids(conn, ids).await?.into_iter().map(|s| s.id).collect())
}

/// Refuses `name` when another site (case-insensitively) has it.
pub(super) async fn ensure_name_free<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    except: Option<SiteId>,
) -> AppResult<()> {
    let mut q = site::Entity::find().filter(site::Column::NameKey.eq(text::key(name)));
    if let Some(id) = except {
        q = q.filter(site::Column::Id.ne(id.0));
    }
    if q.one(conn).await?.is_some() {
        return Err(AppError::conflict("duplicate", Some("name"), format!("a site named {name:?} already exists")));
    }
    Ok(())
}
