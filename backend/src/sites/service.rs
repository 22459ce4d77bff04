//! Creating and editing sites.

use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;

use super::model::{NewSite, Site, SitePatch};
use super::repo;
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::entities::site;
use crate::db::{Db, save_versioned};
use crate::error::{AppResult, Problems};
use crate::ids::SiteId;
use crate::text;

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

pub async fn create(db: &Db, ctx: &Ctx, input: NewSite) -> AppResult<Site> {
    let f = validate(input)?;
    let txn = db.write().await?;
    repo::ensure_name_free(&*txn, &f.name, None).await?;
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
    audit::record(&txn, ctx, "site.create", "site", site.id, None, snapshot(&site)).await?;
    txn.commit().await?;
    Ok(site)
}

pub async fn update(db: &Db, ctx: &Ctx, id: SiteId, patch: SitePatch) -> AppResult<Site> {
    let txn = db.write().await?;
    let current = repo::row(&*txn, id).await?;
    // Checked first, so a stale version is reported before any problem with the content.
    crate::db::check_version::<site::Entity>(&current, Some(patch.version))?;
    let f = validate(NewSite {
        name: patch.name.unwrap_or_else(|| current.name.clone()),
        country: patch.country.unwrap_or_else(|| current.country.clone()),
        grid_ci_g_per_kwh: patch.grid_ci_g_per_kwh.unwrap_or(current.grid_ci_g_per_kwh),
        grid_ci_source: Some(patch.grid_ci_source.unwrap_or_else(|| current.grid_ci_source.clone())),
        pue: patch.pue.unwrap_or(current.pue),
        notes: Some(patch.notes.unwrap_or_else(|| current.notes.clone())),
    })?;
    repo::ensure_name_free(&*txn, &f.name, Some(id)).await?;
    // The version the client sent was checked above, against this same row.
    let saved = save_versioned::<site::Entity, _>(&*txn, ctx.now, &current, None, |am| {
        am.name_key = Set(text::key(&f.name));
        am.name = Set(f.name);
        am.country = Set(f.country);
        am.grid_ci_g_per_kwh = Set(f.grid_ci_g_per_kwh);
        am.grid_ci_source = Set(f.grid_ci_source);
        am.pue = Set(f.pue);
        am.notes = Set(f.notes);
    })
    .await?;
    let after = Site::from(saved);
    audit::record(&txn, ctx, "site.update", "site", id, snapshot(&Site::from(current)), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}
