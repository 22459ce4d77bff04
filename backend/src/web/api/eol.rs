//! `/api/v1/vendors`, `/api/v1/recycling-lots`, `/api/v1/recycling-factors`: end of life.

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, get, patch, post};

use super::schema::PageDoc;
use crate::ids::{LotId, VendorId};
use crate::recycling::{
    self, AddItems, CustodyEntry, Factor, Lot, LotChange, LotDetail, LotPatch, LotQuery, NewCustody, NewLot, NewReport,
    RemoveItems, SetFactor, ShipLot,
};
use crate::rules::Page;
use crate::vendors::{self, NewVendor, Vendor, VendorPatch};
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(tag = "end-of-life", responses((status = 200, description = "Every vendor by name, with its standing today", body = Vec<Vendor>)))]
#[get("/vendors")]
pub async fn list_vendors(state: Data<AppState>) -> ApiResult<Json<Vec<Vendor>>> {
    Ok(Json(vendors::list(state.db.conn()).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    request_body = NewVendor,
    responses((status = 201, body = Vendor), (status = 409, description = "The name is taken", body = ErrorBody))
)]
#[post("/vendors")]
pub async fn create_vendor(
    state: Data<AppState>,
    me: Me,
    ApiJson(input): ApiJson<NewVendor>,
) -> ApiResult<HttpResponse> {
    let v = vendors::create(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/vendors/{}", v.id))).json(v))
}

#[utoipa::path(tag = "end-of-life", params(("id" = VendorId, Path, description = "Vendor id")), responses((status = 200, body = Vendor), (status = 404, body = ErrorBody)))]
#[get("/vendors/{id}")]
pub async fn get_vendor(state: Data<AppState>, id: Path<VendorId>) -> ApiResult<Json<Vendor>> {
    Ok(Json(vendors::get(state.db.conn(), *id).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    params(("id" = VendorId, Path, description = "Vendor id")),
    request_body = VendorPatch,
    responses((status = 200, body = Vendor), (status = 409, description = "A stale version, or the name is taken", body = ErrorBody))
)]
#[patch("/vendors/{id}")]
pub async fn update_vendor(
    state: Data<AppState>,
    me: Me,
    id: Path<VendorId>,
    ApiJson(p): ApiJson<VendorPatch>,
) -> ApiResult<Json<Vendor>> {
    Ok(Json(vendors::update(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(tag = "end-of-life", params(LotQuery), responses((status = 200, description = "Recycling lots, newest first", body = PageDoc<Lot>)))]
#[get("/recycling-lots")]
pub async fn list_lots(state: Data<AppState>, ApiQuery(q): ApiQuery<LotQuery>) -> ApiResult<Json<Page<Lot>>> {
    Ok(Json(recycling::list(state.db.conn(), &q).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    request_body = NewLot,
    responses(
        (status = 201, description = "An open lot, ready to fill", body = Lot),
        (status = 409, description = "The vendor holds no valid e-waste certification (send accept_uncertified to assign it anyway)", body = ErrorBody),
    )
)]
#[post("/recycling-lots")]
pub async fn create_lot(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewLot>) -> ApiResult<HttpResponse> {
    let l = recycling::create(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/recycling-lots/{}", l.id))).json(l))
}

#[utoipa::path(
    tag = "end-of-life",
    params(("id" = LotId, Path, description = "Lot id")),
    responses((status = 200, description = "The lot with its contents, masses, warnings, custody log, report, the expected-against-reported table and the rates", body = LotDetail), (status = 404, body = ErrorBody))
)]
#[get("/recycling-lots/{id}")]
pub async fn get_lot(state: Data<AppState>, id: Path<LotId>) -> ApiResult<Json<LotDetail>> {
    Ok(Json(recycling::detail(state.db.conn(), *id).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    params(("id" = LotId, Path, description = "Lot id")),
    request_body = LotPatch,
    responses((status = 200, body = Lot), (status = 409, description = "Shipped, stale, or an uncertified vendor", body = ErrorBody))
)]
#[patch("/recycling-lots/{id}")]
pub async fn update_lot(
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    ApiJson(p): ApiJson<LotPatch>,
) -> ApiResult<Json<Lot>> {
    Ok(Json(recycling::update(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    params(("id" = LotId, Path, description = "Lot id")),
    request_body = AddItems,
    responses(
        (status = 200, description = "Added", body = LotChange),
        (status = 409, description = "Shipped, stale, an item that may not go (named), or a data-bearing device that is not sanitized (named, at any depth)", body = ErrorBody),
    )
)]
#[post("/recycling-lots/{id}/items")]
pub async fn add_items(
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    ApiJson(p): ApiJson<AddItems>,
) -> ApiResult<Json<LotChange>> {
    Ok(Json(recycling::add_items(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    params(("id" = LotId, Path, description = "Lot id")),
    request_body = RemoveItems,
    responses((status = 200, description = "Taken out", body = LotChange), (status = 409, description = "Shipped or stale", body = ErrorBody))
)]
#[post("/recycling-lots/{id}/remove-items")]
pub async fn remove_items(
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    ApiJson(p): ApiJson<RemoveItems>,
) -> ApiResult<Json<LotChange>> {
    Ok(Json(recycling::remove_items(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    params(("id" = LotId, Path, description = "Lot id")),
    request_body = ShipLot,
    responses(
        (status = 200, description = "Shipped: every item and everything in it is in recycling", body = Lot),
        (status = 409, description = "Shipped already, stale, empty, an item that may not go, a device not sanitized, an uncertified vendor, or a hazardous lot leaving Basel Annex VII without an override", body = ErrorBody),
    )
)]
#[post("/recycling-lots/{id}/ship")]
pub async fn ship(
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    ApiJson(p): ApiJson<ShipLot>,
) -> ApiResult<Json<Lot>> {
    Ok(Json(recycling::ship(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(tag = "end-of-life", params(("id" = LotId, Path, description = "Lot id")), responses((status = 200, description = "The chain of custody, in order", body = Vec<CustodyEntry>), (status = 404, body = ErrorBody)))]
#[get("/recycling-lots/{id}/custody")]
pub async fn custody(state: Data<AppState>, id: Path<LotId>) -> ApiResult<Json<Vec<CustodyEntry>>> {
    Ok(Json(recycling::custody(state.db.conn(), *id).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    params(("id" = LotId, Path, description = "Lot id")),
    request_body = NewCustody,
    responses((status = 201, description = "Appended (entries are never changed)", body = CustodyEntry), (status = 409, description = "The lot has not shipped", body = ErrorBody))
)]
#[post("/recycling-lots/{id}/custody")]
pub async fn add_custody(
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    ApiJson(p): ApiJson<NewCustody>,
) -> ApiResult<HttpResponse> {
    let e = recycling::add_custody(&state.db, &me.ctx(), *id, p).await?;
    Ok(HttpResponse::Created().json(e))
}

#[utoipa::path(
    tag = "end-of-life",
    params(("id" = LotId, Path, description = "Lot id")),
    request_body = NewReport,
    responses(
        (status = 200, description = "Entered: every item and everything in it is recovered", body = Lot),
        (status = 409, description = "Not shipped, reported already, or stale", body = ErrorBody),
        (status = 422, description = "A bad figure, or figures adding up to more than the lot's net weight", body = ErrorBody),
    )
)]
#[post("/recycling-lots/{id}/recovery")]
pub async fn recovery(
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    ApiJson(p): ApiJson<NewReport>,
) -> ApiResult<Json<Lot>> {
    Ok(Json(recycling::enter_report(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(tag = "end-of-life", responses((status = 200, description = "Every reference factor in force, with its source and default", body = Vec<Factor>)))]
#[get("/recycling-factors")]
pub async fn list_factors(state: Data<AppState>) -> ApiResult<Json<Vec<Factor>>> {
    Ok(Json(recycling::factors::list(state.db.conn()).await?))
}

#[utoipa::path(
    tag = "end-of-life",
    request_body = SetFactor,
    responses((status = 200, description = "Set (audited)", body = Factor), (status = 409, description = "A stale version", body = ErrorBody))
)]
#[post("/recycling-factors")]
pub async fn set_factor(state: Data<AppState>, me: Me, ApiJson(p): ApiJson<SetFactor>) -> ApiResult<Json<Factor>> {
    Ok(Json(recycling::factors::set(&state.db, &me.ctx(), p).await?))
}
