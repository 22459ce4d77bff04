//! Creating and editing downstream vendors.

use std::collections::HashSet;

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::model::{Certification, NewVendor, Vendor, VendorPatch};
use super::query::row;
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::entities::downstream_vendor as dv;
use crate::db::{Db, check_version, save_versioned};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::VendorId;
use crate::rules::VendorRole;
use crate::text;

/// Most certifications one vendor lists.
pub const MAX_CERTIFICATIONS: usize = 16;

struct Fields {
    name: String,
    country: String,
    address: String,
    role: VendorRole,
    certifications: Vec<Certification>,
    notes: String,
}

fn validate(v: NewVendor) -> AppResult<Fields> {
    let mut p = Problems::default();
    let name = text::required_line(&mut p, "name", &v.name, text::NAME_MAX);
    let country = v.country.trim().to_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        p.add("country", "must be a two-letter ISO 3166 country code, such as DE or US");
    }
    let address = text::free_text(&mut p, "address", v.address.as_deref().unwrap_or("").trim(), 1000);
    let role = match v.role {
        Some(r) => r,
        None => {
            p.add("role", format!("is required: one of {}", VendorRole::expected()));
            VendorRole::Recycler
        }
    };
    if v.certifications.len() > MAX_CERTIFICATIONS {
        p.add("certifications", format!("at most {MAX_CERTIFICATIONS} certifications"));
    }
    let mut seen = HashSet::new();
    let mut certifications = Vec::with_capacity(v.certifications.len());
    for (i, c) in v.certifications.into_iter().enumerate() {
        let field = format!("certifications[{i}].number");
        let number = text::required_line(&mut p, &field, &c.number, 64);
        if !number.is_empty() && !seen.insert((c.scheme, text::key(&number))) {
            p.add(field, format!("{} {number} is listed twice", c.scheme.label()));
        }
        certifications.push(Certification { scheme: c.scheme, number, expires_on: c.expires_on });
    }
    let notes = text::free_text(&mut p, "notes", v.notes.as_deref().unwrap_or(""), text::NOTES_MAX);
    p.into_result()?;
    Ok(Fields { name, country, address, role, certifications, notes })
}

async fn ensure_name_free<C: ConnectionTrait>(conn: &C, name: &str, except: Option<VendorId>) -> AppResult<()> {
    let mut q = dv::Entity::find().filter(dv::Column::NameKey.eq(text::key(name)));
    if let Some(id) = except {
        q = q.filter(dv::Column::Id.ne(id.0));
    }
    if q.one(conn).await?.is_some() {
        return Err(AppError::conflict("duplicate", Some("name"), format!("a vendor named {name:?} already exists")));
    }
    Ok(())
}

fn certs_json(c: &[Certification]) -> AppResult<serde_json::Value> {
    serde_json::to_value(c).map_err(|e| AppError::Internal(e.into()))
}

pub async fn create(db: &Db, ctx: &Ctx, input: NewVendor) -> AppResult<Vendor> {
    let f = validate(input)?;
    let txn = db.write().await?;
    ensure_name_free(&*txn, &f.name, None).await?;
    let row = dv::ActiveModel {
        id: Set(VendorId::new().0),
        name_key: Set(text::key(&f.name)),
        name: Set(f.name),
        country: Set(f.country),
        address: Set(f.address),
        role: Set(f.role.as_str().to_owned()),
        certifications: Set(certs_json(&f.certifications)?),
        notes: Set(f.notes),
        version: Set(1),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
    };
    let vendor = Vendor::from_row(dv::Entity::insert(row).exec_with_returning(&*txn).await?, ctx.now.date_naive())?;
    audit::record(&txn, ctx, "vendor.create", "vendor", vendor.id, None, snapshot(&vendor)).await?;
    txn.commit().await?;
    Ok(vendor)
}

pub async fn update(db: &Db, ctx: &Ctx, id: VendorId, patch: VendorPatch) -> AppResult<Vendor> {
    let txn = db.write().await?;
    let current = row(&*txn, id).await?;
    check_version::<dv::Entity>(&current, Some(patch.version))?;
    let today = ctx.now.date_naive();
    let before = Vendor::from_row(current.clone(), today)?;
    let f = validate(NewVendor {
        name: patch.name.unwrap_or_else(|| before.name.clone()),
        country: patch.country.unwrap_or_else(|| before.country.clone()),
        address: Some(patch.address.unwrap_or_else(|| before.address.clone())),
        role: Some(patch.role.unwrap_or(before.role)),
        certifications: patch.certifications.unwrap_or_else(|| before.certifications.clone()),
        notes: Some(patch.notes.unwrap_or_else(|| before.notes.clone())),
    })?;
    ensure_name_free(&*txn, &f.name, Some(id)).await?;
    let certs = certs_json(&f.certifications)?;
    let saved = save_versioned::<dv::Entity, _>(&*txn, ctx.now, &current, None, |am| {
        am.name_key = Set(text::key(&f.name));
        am.name = Set(f.name);
        am.country = Set(f.country);
        am.address = Set(f.address);
        am.role = Set(f.role.as_str().to_owned());
        am.certifications = Set(certs);
        am.notes = Set(f.notes);
    })
    .await?;
    let after = Vendor::from_row(saved, today)?;
    audit::record(&txn, ctx, "vendor.update", "vendor", id, snapshot(&before), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}
