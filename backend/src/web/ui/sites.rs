//! Site pages.

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::forms::FormState;
use super::views::{AssetRow, Labels, input_num, num};
use super::{Layout, done, ok, render};
use crate::assets::{self, AssetQuery};
use crate::error::AppError;
use crate::ids::SiteId;
use crate::sites::{self, NewSite, Site, SitePatch};
use crate::web::AppState;
use crate::web::access::Me;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;

#[derive(Template)]
#[template(path = "sites/list.html")]
pub struct ListPage {
    l: Layout,
    sites: Vec<Site>,
}

pub async fn list(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let page = ListPage { l: Layout::new(&req, "sites"), sites: sites::list(state.db.conn()).await? };
    ok(&req, &page)
}

#[derive(Template)]
#[template(path = "sites/show.html")]
pub struct ShowPage {
    l: Layout,
    site: Site,
    grid: String,
    pue: String,
    recent: Vec<AssetRow>,
    more: bool,
}

pub async fn show(req: HttpRequest, state: Data<AppState>, id: Path<SiteId>) -> PageResult<HttpResponse> {
    let conn = state.db.conn();
    let site = sites::get(conn, *id).await?;
    let page =
        assets::query::list(conn, &AssetQuery { site_id: Some(*id), limit: Some(20), ..Default::default() }).await?;
    let labels = Labels::load(conn, &page.items).await?;
    let view = ShowPage {
        l: Layout::new(&req, "sites"),
        grid: num(site.grid_ci_g_per_kwh, "gCO2e/kWh"),
        pue: num(site.pue, ""),
        recent: page.items.iter().map(|a| AssetRow::new(a, &labels)).collect(),
        more: page.next_cursor.is_some(),
        site,
    };
    ok(&req, &view)
}

#[derive(Template)]
#[template(path = "sites/form.html")]
pub struct FormPage {
    l: Layout,
    title: String,
    action: String,
    cancel: String,
    editing: bool,
    form: FormState,
}

pub async fn new_form(req: HttpRequest) -> PageResult<HttpResponse> {
    let page = FormPage {
        l: Layout::new(&req, "sites"),
        title: "New site".into(),
        action: "/sites".into(),
        cancel: "/sites".into(),
        editing: false,
        form: FormState::default(),
    };
    ok(&req, &page)
}

fn fields(f: &mut FormState) -> NewSite {
    NewSite {
        name: f.text("name"),
        country: f.text("country"),
        grid_ci_g_per_kwh: f.number("grid_ci_g_per_kwh"),
        grid_ci_source: f.opt("grid_ci_source"),
        pue: f.number("pue"),
        notes: Some(f.text("notes")),
    }
}

fn refused(req: &HttpRequest, mut page: FormPage, e: AppError) -> PageResult<HttpResponse> {
    let status = page.form.refused(e)?;
    render(req, status, &page)
}

pub async fn create(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    FormBody(form): FormBody<HashMap<String, String>>,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = fields(&mut f);
    let result = if f.has_errors() {
        Err(AppError::Invalid(Vec::new()))
    } else {
        sites::create(&state.db, &me.ctx(), input).await
    };
    match result {
        Ok(s) => Ok(done(&format!("/sites/{}", s.id), &format!("Created site {}", s.name))),
        Err(e) => {
            let page = FormPage {
                l: Layout::new(&req, "sites"),
                title: "New site".into(),
                action: "/sites".into(),
                cancel: "/sites".into(),
                editing: false,
                form: f,
            };
            refused(&req, page, e)
        }
    }
}

pub async fn edit_form(req: HttpRequest, state: Data<AppState>, id: Path<SiteId>) -> PageResult<HttpResponse> {
    let s = sites::get(state.db.conn(), *id).await?;
    let form = FormState::default()
        .with("name", s.name.clone())
        .with("country", s.country.clone())
        .with("grid_ci_g_per_kwh", input_num(s.grid_ci_g_per_kwh))
        .with("grid_ci_source", s.grid_ci_source.clone())
        .with("pue", input_num(s.pue))
        .with("notes", s.notes.clone())
        .with("version", s.version.to_string());
    let page = FormPage {
        l: Layout::new(&req, "sites"),
        title: format!("Edit {}", s.name),
        action: format!("/sites/{}/edit", s.id),
        cancel: format!("/sites/{}", s.id),
        editing: true,
        form,
    };
    ok(&req, &page)
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<SiteId>,
    FormBody(form): FormBody<HashMap<String, String>>,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version").unwrap_or(0);
    let n = fields(&mut f);
    let patch = SitePatch {
        version,
        name: Some(n.name),
        country: Some(n.country),
        grid_ci_g_per_kwh: Some(n.grid_ci_g_per_kwh),
        grid_ci_source: Some(n.grid_ci_source.unwrap_or_default()),
        pue: Some(n.pue),
        notes: n.notes,
    };
    let result = if f.has_errors() {
        Err(AppError::Invalid(Vec::new()))
    } else {
        sites::update(&state.db, &me.ctx(), *id, patch).await
    };
    match result {
        Ok(s) => Ok(done(&format!("/sites/{}", s.id), &format!("Saved site {}", s.name))),
        Err(e) => {
            let page = FormPage {
                l: Layout::new(&req, "sites"),
                title: "Edit site".into(),
                action: format!("/sites/{id}/edit"),
                cancel: format!("/sites/{id}"),
                editing: true,
                form: f,
            };
            refused(&req, page, e)
        }
    }
}
