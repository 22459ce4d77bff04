//! Reading vendors.

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::model::{Standing, Vendor};
use crate::db::entities::downstream_vendor as dv;
use crate::error::{AppError, AppResult};
use crate::ids::VendorId;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub(crate) async fn row<C: ConnectionTrait>(conn: &C, id: VendorId) -> AppResult<dv::Model> {
    dv::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| AppError::not_found("downstream vendor", id))
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: VendorId) -> AppResult<Vendor> {
    Vendor::from_row(row(conn, id).await?, today())
}

/// Every vendor by name (organisations work with tens of them, not thousands).
pub async fn list<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<Vendor>> {
    let today = today();
    dv::Entity::find()
        .order_by_asc(dv::Column::NameKey)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| Vendor::from_row(m, today))
        .collect()
}

/// The vendor and its standing on `day` (a lot assigned or shipped on that day).
pub async fn standing_of<C: ConnectionTrait>(conn: &C, id: VendorId, day: NaiveDate) -> AppResult<(Vendor, Standing)> {
    let v = Vendor::from_row(row(conn, id).await?, day)?;
    let s = v.standing.clone();
    Ok((v, s))
}
