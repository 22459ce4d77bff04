//! Site pages.

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use super::views::{self, AssetRow, input_num, num};
use crate::assets::{self, AssetQuery};
use crate::ids::SiteId;
use crate::sites::{self, NewSite, Site, SitePatch};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

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
        assets::list_labelled(conn, &AssetQuery { site_id: Some(*id), limit: Some(20), ..Default::default() }).await?;
    let view = ShowPage {
        l: Layout::new(&req, "sites"),
        grid: num(site.grid_ci_g_per_kwh, "gCO2e/kWh"),
        pue: num(site.pue, ""),
        more: page.next_cursor.is_some(),
        recent: views::rows(page.items),
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

impl FormPage {
    /// The new-site form (`id: None`) or the edit form of a site.
    fn new(req: &HttpRequest, id: Option<SiteId>, form: FormState) -> FormPage {
        let (title, action, cancel) = match id {
            None => ("New site".to_owned(), "/sites".to_owned(), "/sites".to_owned()),
            Some(id) => (
                format!("Edit {}", form.opt("name").unwrap_or_else(|| "site".into())),
                format!("/sites/{id}/edit"),
                format!("/sites/{id}"),
            ),
        };
        FormPage { l: Layout::new(req, "sites"), title, action, cancel, editing: id.is_some(), form }
    }
}

pub async fn new_form(req: HttpRequest) -> PageResult<HttpResponse> {
    ok(&req, &FormPage::new(&req, None, FormState::default()))
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

pub async fn create(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = fields(&mut f);
    match f.submit(sites::create(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(s) => Ok(done(&format!("/sites/{}", s.id), &format!("Created site {}", s.name))),
        Submitted::Refused(status) => render(&req, status, &FormPage::new(&req, None, f)),
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
    ok(&req, &FormPage::new(&req, Some(s.id), form))
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<SiteId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version").unwrap_or(0);
    let n = fields(&mut f);
    let patch = SitePatch::replacing(version, n);
    match f.submit(sites::update(&state.db, &me.ctx(), *id, patch)).await? {
        Submitted::Done(s) => Ok(done(&format!("/sites/{}", s.id), &format!("Saved site {}", s.name))),
        Submitted::Refused(status) => render(&req, status, &FormPage::new(&req, Some(*id), f)),
    }
}
