//! Sites: data centres, labs and warehouses where items are. A site's grid carbon
//! intensity and PUE feed carbon calculations, so each carries its source.
//!
//! Invariants: names are unique regardless of case; edits check `version`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::assets::types::double_option;
use crate::audit::{self, trail::snapshot};
use crate::context::Ctx;
use crate::db::Db;
use crate::db::entities::site;
use crate::error::{AppError, AppResult, Problems};
use crate::ids::SiteId;
use crate::text;

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Site {
    pub id: SiteId,
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Grid carbon intensity in gCO2e/kWh.
    pub grid_ci_g_per_kwh: Option<f64>,
    /// Where the grid intensity figure comes from.
    pub grid_ci_source: String,
    /// Power usage effectiveness (total facility energy / IT energy).
    pub pue: Option<f64>,
    pub notes: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<site::Model> for Site {
    fn from(m: site::Model) -> Site {
        Site {
            id: m.id.into(),
            name: m.name,
            country: m.country,
            grid_ci_g_per_kwh: m.grid_ci_g_per_kwh,
            grid_ci_source: m.grid_ci_source,
            pue: m.pue,
            notes: m.notes,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub grid_ci_g_per_kwh: Option<f64>,
    #[serde(default)]
    pub grid_ci_source: Option<String>,
    #[serde(default)]
    pub pue: Option<f64>,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    pub version: i32,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub grid_ci_g_per_kwh: Option<Option<f64>>,
    #[serde(default)]
    pub grid_ci_source: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub pue: Option<Option<f64>>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The validated content of a site, whether new or edited.
struct Fields {
    name: String,
    country: String,
    grid_ci_g_per_kwh: Option<f64>,
    grid_ci_source: String,
    pue: Option<f64>,
    notes: String,
}

fn validate(f: NewSite) -> AppResult<Fields> {
    let mut p = Problems::default();
    let name = text::required_line(&mut p, "name", &f.name, text::NAME_MAX);
    let country = f.country.trim().to_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        p.add("country", "must be a two-letter ISO 3166 country code, such as DE or US");
    }
    let grid = text::number_in(&mut p, "grid_ci_g_per_kwh", f.grid_ci_g_per_kwh, 0.0, 2000.0);
    let grid_ci_source =
        text::optional_line(&mut p, "grid_ci_source", f.grid_ci_source.as_deref(), 500).unwrap_or_default();
    let pue = text::number_in(&mut p, "pue", f.pue, 1.0, 5.0);
    let notes = text::free_text(&mut p, "notes", f.notes.as_deref().unwrap_or(""), text::NOTES_MAX);
    p.into_result()?;
    Ok(Fields { name, country, grid_ci_g_per_kwh: grid, grid_ci_source, pue, notes })
}

async fn ensure_name_free<C: ConnectionTrait>(conn: &C, name: &str, except: Option<SiteId>) -> AppResult<()> {
    let mut q = site::Entity::find().filter(site::Column::NameKey.eq(text::key(name)));
    if let Some(id) = except {
        q = q.filter(site::Column::Id.ne(id.0));
    }
    if q.one(conn).await?.is_some() {
        return Err(AppError::conflict("duplicate", Some("name"), format!("a site named {name:?} already exists")));
    }
    Ok(())
}

pub async fn create(db: &Db, ctx: &Ctx, input: NewSite) -> AppResult<Site> {
    let f = validate(input)?;
    let txn = db.write().await?;
    ensure_name_free(&*txn, &f.name, None).await?;
    let row = site::ActiveModel {
        id: Set(SiteId::new().0),
        name_key: Set(text::key(&f.name)),
        name: Set(f.name),
        country: Set(f.country),
        grid_ci_g_per_kwh: Set(f.grid_ci_g_per_kwh),
        grid_ci_source: Set(f.grid_ci_source),
        pue: Set(f.pue),
        notes: Set(f.notes),
        version: Set(1),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
    };
    let site = Site::from(site::Entity::insert(row).exec_with_returning(&*txn).await?);
    audit::record(&*txn, ctx, "site.create", "site", site.id, None, snapshot(&site)).await?;
    txn.commit().await?;
    Ok(site)
}

pub async fn update(db: &Db, ctx: &Ctx, id: SiteId, patch: SitePatch) -> AppResult<Site> {
    let txn = db.write().await?;
    let current = site::Entity::find_by_id(id.0).one(&*txn).await?.ok_or_else(|| AppError::not_found("site", id))?;
    if current.version != patch.version {
        return Err(AppError::stale_version("site", current.version, patch.version));
    }
    let f = validate(NewSite {
        name: patch.name.unwrap_or_else(|| current.name.clone()),
        country: patch.country.unwrap_or_else(|| current.country.clone()),
        grid_ci_g_per_kwh: patch.grid_ci_g_per_kwh.unwrap_or(current.grid_ci_g_per_kwh),
        grid_ci_source: Some(patch.grid_ci_source.unwrap_or_else(|| current.grid_ci_source.clone())),
        pue: patch.pue.unwrap_or(current.pue),
        notes: Some(patch.notes.unwrap_or_else(|| current.notes.clone())),
    })?;
    ensure_name_free(&*txn, &f.name, Some(id)).await?;
    let mut am = current.clone().into_active_model();
    am.name_key = Set(text::key(&f.name));
    am.name = Set(f.name);
    am.country = Set(f.country);
    am.grid_ci_g_per_kwh = Set(f.grid_ci_g_per_kwh);
    am.grid_ci_source = Set(f.grid_ci_source);
    am.pue = Set(f.pue);
    am.notes = Set(f.notes);
    am.version = Set(current.version + 1);
    am.updated_at = Set(ctx.now);
    let m = match site::Entity::update(am)
        .validate()?
        .filter(site::Column::Version.eq(current.version))
        .exec(&*txn)
        .await
    {
        Ok(m) => m,
        Err(DbErr::RecordNotUpdated) => {
            return Err(AppError::stale_version("site", current.version + 1, patch.version));
        }
        Err(e) => return Err(e.into()),
    };
    let after = Site::from(m);
    audit::record(&*txn, ctx, "site.update", "site", id, snapshot(&Site::from(current)), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: SiteId) -> AppResult<Site> {
    site::Entity::find_by_id(id.0).one(conn).await?.map(Site::from).ok_or_else(|| AppError::not_found("site", id))
}

/// All sites by name. Organisations run tens of sites, not millions.
pub async fn list<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<Site>> {
    Ok(site::Entity::find().order_by_asc(site::Column::NameKey).all(conn).await?.into_iter().map(Site::from).collect())
}

/// Sites by id, for labelling list pages.
pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[SiteId]) -> AppResult<Vec<Site>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<_> = ids.iter().map(|i| i.0).collect();
    Ok(site::Entity::find().filter(site::Column::Id.is_in(ids)).all(conn).await?.into_iter().map(Site::from).collect())
}
