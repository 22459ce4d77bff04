//! Reading the registry the way pages and reports need it: one item, its breadcrumb, its
//! subtree with mass, a scan lookup, and pages of items labelled with their model and site.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::Asset;
use super::query::{AssetPage, AssetQuery};
use super::repo;
use crate::catalog::{self, HardwareModel};
use crate::db::entities::asset;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, ModelId, SiteId};
use crate::rules::{AssetKind, State};
use crate::sites::{self, Site};
use crate::text;

pub async fn get<C: ConnectionTrait>(conn: &C, id: AssetId) -> AppResult<Asset> {
    repo::find(conn, id).await?.try_into()
}

/// The items an item sits in, from the top down, as (id, tag): its breadcrumb.
pub async fn path_to<C: ConnectionTrait>(conn: &C, parent: Option<AssetId>) -> AppResult<Vec<(AssetId, String)>> {
    let mut chain: Vec<(AssetId, String)> =
        repo::ancestors(conn, parent.map(|p| p.0)).await?.into_iter().map(|m| (AssetId(m.id), m.asset_tag)).collect();
    chain.reverse();
    Ok(chain)
}

/// Tags of the given items (unknown ids are left out), for labelling links.
pub async fn tags<C: ConnectionTrait>(conn: &C, ids: &[AssetId]) -> AppResult<HashMap<AssetId, String>> {
    let raw: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
    Ok(repo::find_many(conn, &raw).await?.into_iter().map(|m| (AssetId(m.id), m.asset_tag)).collect())
}

/// Looks an item up by its exact tag or serial (a barcode scan).
pub async fn find_by_code<C: ConnectionTrait>(conn: &C, code: &str) -> AppResult<Option<Asset>> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    if let Some(m) = repo::find_by_tag(conn, code).await? {
        return Ok(Some(m.try_into()?));
    }
    let by_serial =
        asset::Entity::find().filter(asset::Column::SerialKey.eq(text::key(code))).limit(2).all(conn).await?;
    // A serial shared by two manufacturers is ambiguous: let the list show both.
    match <[asset::Model; 1]>::try_from(by_serial) {
        Ok([m]) => Ok(Some(m.try_into()?)),
        Err(_) => Ok(None),
    }
}

/// An asset with the names people know it by: its model's label and its site's name.
/// The row of the item named by id or by a scanned tag or serial.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    id: Option<AssetId>,
    code: Option<&str>,
    id_field: &str,
    code_field: &str,
) -> AppResult<asset::Model> {
    match (id, code.map(str::trim).filter(|c| !c.is_empty())) {
        (Some(_), Some(_)) => Err(AppError::invalid(code_field, format!("give {id_field} or {code_field}, not both"))),
        (Some(id), None) => match repo::find(conn, id).await {
            Err(AppError::NotFound { .. }) => Err(AppError::invalid(id_field, format!("no asset has id {id}"))),
            other => other,
        },
        (None, Some(code)) => match find_by_code(conn, code).await? {
            Some(a) => repo::find(conn, a.id).await,
            None => Err(AppError::invalid(code_field, format!("no item has the tag or serial {code}"))),
        },
        (None, None) => Err(AppError::invalid(id_field, format!("name the item ({id_field} or {code_field})"))),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LabelledAsset {
    pub asset: Asset,
    /// The catalog model's label, or "".
    pub model: String,
    /// The site's name, or "".
    pub site: String,
}

/// Labels a page of assets with two small lookups (models, sites), no joins.
pub async fn labelled<C: ConnectionTrait>(conn: &C, assets: Vec<Asset>) -> AppResult<Vec<LabelledAsset>> {
    let mut model_ids: Vec<ModelId> = assets.iter().filter_map(|a| a.model_id).collect();
    model_ids.sort();
    model_ids.dedup();
    let mut site_ids: Vec<SiteId> = assets.iter().filter_map(|a| a.site_id).collect();
    site_ids.sort();
    site_ids.dedup();
    let models: HashMap<ModelId, HardwareModel> =
        catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id, m)).collect();
    let sites: HashMap<SiteId, Site> = sites::by_ids(conn, &site_ids).await?.into_iter().map(|s| (s.id, s)).collect();
    Ok(assets
        .into_iter()
        .map(|a| LabelledAsset {
            model: a.model_id.and_then(|i| models.get(&i)).map(|m| m.label()).unwrap_or_default(),
            site: a.site_id.and_then(|i| sites.get(&i)).map(|s| s.name.clone()).unwrap_or_default(),
            asset: a,
        })
        .collect())
}

/// The given items, labelled, by id (unknown ids are left out): one read of the rows and
/// the two lookups of [`labelled`].
pub async fn labelled_by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: &[AssetId],
) -> AppResult<HashMap<AssetId, LabelledAsset>> {
    let mut raw: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
    raw.sort();
    raw.dedup();
    let rows = repo::find_many(conn, &raw).await?;
    let assets = rows.into_iter().map(Asset::try_from).collect::<AppResult<Vec<Asset>>>()?;
    Ok(labelled(conn, assets).await?.into_iter().map(|l| (l.asset.id, l)).collect())
}

/// A page of the asset list, labelled: [`super::list`] then [`labelled`].
pub async fn list_labelled<C: ConnectionTrait>(conn: &C, query: &AssetQuery) -> AppResult<AssetPage<LabelledAsset>> {
    let page = super::query::list(conn, query).await?;
    Ok(AssetPage {
        items: labelled(conn, page.items).await?,
        next_cursor: page.next_cursor,
        prev_cursor: page.prev_cursor,
    })
}

/// One item in a subtree view.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TreeNode {
    pub id: AssetId,
    pub asset_tag: String,
    pub kind: AssetKind,
    pub state: State,
    pub model_id: Option<ModelId>,
    pub model_label: Option<String>,
    pub serial: Option<String>,
    /// Depth below the root (the root is 0).
    pub depth: usize,
    /// The item's optimistic-locking version (send it back when removing one of its parts).
    pub version: i32,
    /// This item's own mass (override, else catalog), if known.
    pub own_mass_kg: Option<f64>,
    /// Own mass plus every installed part's known mass.
    pub total_mass_kg: f64,
    #[schema(no_recursion)]
    pub children: Vec<TreeNode>,
}

/// Mass of an item and everything installed in it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MassSummary {
    pub own_kg: Option<f64>,
    pub total_kg: f64,
    /// Items in the tree (including the root) whose mass is unknown: the total leaves them out.
    pub unknown_mass_items: usize,
    pub items: usize,
}

/// An item read with everything installed in it.
pub struct Subtree {
    pub root: Asset,
    /// The root's catalog model, if it has one.
    pub model: Option<HardwareModel>,
    pub tree: TreeNode,
    pub mass: MassSummary,
}

/// The item, its parts at every depth with their mass, the mass summary and the item's
/// model (one read of the root and one of the models, so pages need no separate lookup of
/// the item or its model).
pub async fn subtree<C: ConnectionTrait>(conn: &C, id: AssetId) -> AppResult<Subtree> {
    let mut rows = vec![repo::find(conn, id).await?];
    rows.extend(repo::descendants(conn, id).await?);
    let model_ids: Vec<ModelId> = {
        let mut v: Vec<ModelId> = rows.iter().filter_map(|r| r.model_id.map(ModelId)).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut models: HashMap<ModelId, HardwareModel> =
        catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id, m)).collect();
    let mut by_parent: HashMap<uuid::Uuid, Vec<&asset::Model>> = HashMap::new();
    for r in rows.iter().skip(1) {
        if let Some(p) = r.parent_id {
            by_parent.entry(p).or_default().push(r);
        }
    }
    let mut unknown = 0usize;
    fn build(
        r: &asset::Model,
        depth: usize,
        by_parent: &HashMap<uuid::Uuid, Vec<&asset::Model>>,
        models: &HashMap<ModelId, HardwareModel>,
        unknown: &mut usize,
    ) -> AppResult<TreeNode> {
        let (kind, state) = repo::kind_state(r)?;
        let model = r.model_id.and_then(|m| models.get(&ModelId(m)));
        let own = r.mass_override_kg.or(model.and_then(|m| m.mass_kg));
        if own.is_none() {
            *unknown += 1;
        }
        let mut children = Vec::new();
        for c in by_parent.get(&r.id).map(Vec::as_slice).unwrap_or(&[]) {
            children.push(build(c, depth + 1, by_parent, models, unknown)?);
        }
        // Rounded to the gram: sums of binary fractions otherwise show as 20.130000000000003.
        let total =
            ((own.unwrap_or(0.0) + children.iter().map(|c| c.total_mass_kg).sum::<f64>()) * 1000.0).round() / 1000.0;
        Ok(TreeNode {
            id: AssetId(r.id),
            asset_tag: r.asset_tag.clone(),
            kind,
            state,
            model_id: r.model_id.map(ModelId),
            model_label: model.map(|m| m.label()),
            serial: r.serial.clone(),
            depth,
            version: r.version,
            own_mass_kg: own,
            total_mass_kg: total,
            children,
        })
    }
    let tree = build(&rows[0], 0, &by_parent, &models, &mut unknown)?;
    let summary = MassSummary {
        own_kg: tree.own_mass_kg,
        total_kg: tree.total_mass_kg,
        unknown_mass_items: unknown,
        items: rows.len(),
    };
    let model = rows[0].model_id.and_then(|m| models.remove(&ModelId(m)));
    let root = Asset::try_from(rows.swap_remove(0))?;
    Ok(Subtree { root, model, tree, mass: summary })
}
