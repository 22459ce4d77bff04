//! Asset pages (the list is `asset_list`): an item's page (facts, parts, history, actions) and its forms.

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::audit::HistoryRow;
use super::flash::{done, see_other};
use super::forms::{FormState, Submitted, refusal};
use super::layout::{Layout, ok, render};
use super::views::{self, kg, num, query_map, url_with};
use crate::assets::{self, Asset, AssetPatch, MassSummary, NewAsset, TreeNode};
use crate::catalog::{self, HardwareModel, ModelQuery};
use crate::error::AppError;
use crate::harvest::{self, Job};
use crate::ids::AssetId;
use crate::lifecycle::{self, InstallRequest, ItemView, RemoveRequest, TransitionRequest};
use crate::repairs::{self, Repair};
use crate::rules::{
    AssetKind, CosmeticGrade, FaultCategory, FunctionalGrade, Grade, RetailGrade, State, WorkStatus, WorkloadTier,
};
use crate::sites::{self, Site};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

/// Catalog models for pickers (a catalog holds hundreds, not millions).
async fn all_models(state: &AppState) -> Result<Vec<HardwareModel>, AppError> {
    Ok(catalog::list(state.db.conn(), &ModelQuery { limit: Some(500), ..Default::default() }).await?.items)
}

/// A barcode scan or a search from the top bar: straight to the item when the code is an
/// exact tag or serial, else the list filtered by it.
pub async fn scan(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let code = query_map(&req).remove("code").unwrap_or_default();
    match assets::find_by_code(state.db.conn(), &code).await? {
        Some(a) => Ok(see_other(&format!("/assets/{}", a.id))),
        None => Ok(see_other(&url_with("/assets", &[("q", code.trim())]))),
    }
}

// ---------------------------------------------------------------------------------- show

/// A part in the item's tree, with what its remove form must send back.
pub struct TreeRow {
    pub id: AssetId,
    /// The item it is installed in, and that item's version (the remove form checks it).
    pub parent: AssetId,
    pub parent_version: i32,
    pub tag: String,
    pub kind: String,
    pub model: String,
    pub serial: String,
    pub state: State,
    pub mass: String,
    pub depth: usize,
}

fn flatten(node: &TreeNode, out: &mut Vec<TreeRow>) {
    for c in &node.children {
        out.push(TreeRow {
            id: c.id,
            parent: node.id,
            parent_version: node.version,
            tag: c.asset_tag.clone(),
            kind: c.kind.label().to_owned(),
            model: c.model_label.clone().unwrap_or_default(),
            serial: c.serial.clone().unwrap_or_default(),
            state: c.state,
            mass: kg(Some(c.total_mass_kg)),
            depth: c.depth.min(6),
        });
        flatten(c, out);
    }
}

#[derive(Template)]
#[template(path = "assets/show.html")]
pub struct ShowPage {
    l: Layout,
    a: Asset,
    model: Option<HardwareModel>,
    site: Option<Site>,
    path: Vec<(AssetId, String)>,
    parts: Vec<TreeRow>,
    mass: MassSummary,
    mass_total: String,
    mass_own: String,
    facts: Vec<(&'static str, String)>,
    /// The catalog's figures for this item's model, known ones only.
    specs: Vec<(&'static str, String)>,
    allowed: Vec<State>,
    workloads: &'static [WorkloadTier],
    /// Ledger entries and field edits, newest first (`assets/_history.html`).
    events: Vec<HistoryRow>,
    events_next: Option<String>,
    holds_parts: bool,
    action_error: Option<String>,
    /// The item's repairs and dismantle jobs, newest first.
    repairs: Vec<Repair>,
    jobs: Vec<Job>,
    faults: &'static [FaultCategory],
    /// The item's sanitization records (data-bearing items).
    sanitizations: Vec<crate::sanitization::Record>,
    /// What blocked the refused action, with links (a release of unsanitized data).
    blockers: Vec<crate::error::Blocker>,
    /// The policy engine's suggestions (top-level items that are not terminal).
    next_life: Option<crate::policy::Suggestions>,
    /// An install refused because it moves the part to another site, to confirm.
    site_confirm: Option<SiteConfirm>,
}

/// The install form again, asking to confirm the site change it makes.
pub struct SiteConfirm {
    pub mv: lifecycle::SiteMove,
    pub child_tag: String,
    pub reason: String,
}

/// The figures of a catalog model worth showing on an item's page.
fn model_specs(m: &HardwareModel) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.push((k, v));
        }
    };
    put("Form factor", Some(m.form_factor.clone()));
    put("Released", m.release_year.map(|y| y.to_string()));
    put("CPU cores", m.cpu_cores.map(|c| c.to_string()));
    put("Memory", m.memory_gb.map(|v| num(Some(v), "GB")));
    put("GPU memory", m.gpu_vram_gb.map(|v| num(Some(v), "GB")));
    put("Storage", m.storage_tb.map(|v| num(Some(v), "TB")));
    put("Performance", m.perf_value.map(|v| num(Some(v), &m.perf_unit)));
    put("Idle power", m.idle_w.map(|v| num(Some(v), "W")));
    put("Max power", m.max_w.map(|v| num(Some(v), "W")));
    put("Catalog mass", m.mass_kg.map(|v| kg(Some(v))));
    put(
        "Embodied carbon",
        m.embodied_kgco2e.map(|v| {
            format!(
                "{} ({})",
                num(Some(v), "kgCO2e"),
                if m.embodied_source.is_empty() { "no source" } else { &m.embodied_source }
            )
        }),
    );
    put("Updates until", m.support_ends_on.map(|d| d.to_string()));
    out
}

fn facts(a: &Asset) -> Vec<(&'static str, String)> {
    let or_dash = |v: Option<String>| v.filter(|v| !v.is_empty()).unwrap_or_else(|| "—".into());
    vec![
        ("Manufacturer", or_dash(Some(a.manufacturer.clone()))),
        ("Serial", or_dash(a.serial.clone())),
        ("Custodian", or_dash(Some(a.custodian.clone()))),
        ("Workload", or_dash(a.workload_tier.map(|w| w.label().to_owned()))),
        ("Functional grade", or_dash(a.grade.functional.map(|x| x.label().to_owned()))),
        ("Cosmetic grade", or_dash(a.grade.cosmetic.map(|x| x.label().to_owned()))),
        ("Retail grade", or_dash(a.grade.retail.map(|x| x.label().to_owned()))),
        ("Acquired", or_dash(a.acquired_on.map(|d| d.to_string()))),
        ("First deployed", or_dash(a.first_deployed_on.map(|d| d.to_string()))),
        ("Mass override", or_dash(a.mass_override_kg.map(|m| kg(Some(m))))),
        ("Version", a.version.to_string()),
        ("Id", a.id.to_string()),
    ]
}

impl ShowPage {
    fn new(l: Layout, v: ItemView, action_error: Option<String>) -> ShowPage {
        let mut parts = Vec::new();
        flatten(&v.tree, &mut parts);
        let id = v.asset.id;
        ShowPage {
            l,
            facts: facts(&v.asset),
            specs: v.model.as_ref().map(model_specs).unwrap_or_default(),
            mass_total: kg(Some(v.mass.total_kg)),
            mass_own: kg(v.mass.own_kg),
            events_next: v.history.next_cursor.map(|c| format!("/assets/{id}?events={c}#history")),
            events: v.history.items.into_iter().map(HistoryRow::from).collect(),
            a: v.asset,
            model: v.model,
            site: v.site,
            path: v.path,
            parts,
            mass: v.mass,
            allowed: v.allowed,
            workloads: WorkloadTier::ALL,
            holds_parts: v.holds_parts,
            action_error,
            repairs: Vec::new(),
            jobs: Vec::new(),
            faults: FaultCategory::ALL,
            sanitizations: Vec::new(),
            blockers: Vec::new(),
            next_life: None,
            site_confirm: None,
        }
    }

    /// Adds the item's bench work (repairs, dismantle jobs).
    async fn with_work(mut self, state: &AppState) -> Result<ShowPage, AppError> {
        self.repairs = repairs::for_asset(state.db.conn(), self.a.id).await?;
        self.jobs = harvest::for_asset(state.db.conn(), self.a.id).await?;
        if self.a.is_data_bearing() {
            self.sanitizations = crate::sanitization::for_asset(state.db.conn(), self.a.id).await?;
        }
        if self.a.parent_id.is_none() && !self.a.state.is_terminal() {
            self.next_life =
                Some(crate::policy::suggestions(state.db.conn(), self.a.id, chrono::Utc::now().date_naive()).await?);
        }
        Ok(self)
    }

    fn open_repair(&self) -> Option<&Repair> {
        self.repairs.iter().find(|r| r.status == WorkStatus::Open)
    }

    fn open_job(&self) -> Option<&Job> {
        self.jobs.iter().find(|j| j.status == WorkStatus::Open)
    }
}

/// History entries per page on an item's page.
const EVENTS_PER_PAGE: u64 = 50;

pub async fn show(req: HttpRequest, state: Data<AppState>, id: Path<AssetId>) -> PageResult<HttpResponse> {
    let mut q = FormState::new(query_map(&req));
    let cursor: Option<uuid::Uuid> = q.parse("events", "is not a valid cursor");
    let view = lifecycle::item(state.db.conn(), *id, cursor, EVENTS_PER_PAGE).await?;
    ok(&req, &ShowPage::new(Layout::new(&req, "assets"), view, None).with_work(&state).await?)
}

/// Shows the item again with the refusal of an action on it.
async fn refused(req: &HttpRequest, state: &AppState, id: AssetId, err: AppError) -> PageResult<HttpResponse> {
    let (status, err) = refusal(err)?;
    let view = lifecycle::item(state.db.conn(), id, None, EVENTS_PER_PAGE).await?;
    let mut page = ShowPage::new(Layout::new(req, "assets"), view, Some(err.to_string())).with_work(state).await?;
    if let AppError::Blocked { items, .. } = err {
        page.blockers = items;
    }
    render(req, status, &page)
}

/// The first of the form's own parse errors, as the refusal to show.
fn parse_error(f: &FormState) -> Option<AppError> {
    f.errors.iter().next().map(|(field, msg)| AppError::invalid(field.clone(), msg.clone()))
}

pub async fn transition(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let request = TransitionRequest {
        to: f.choice("to"),
        reason: f.opt("reason"),
        version: f.int("version"),
        workload_tier: f.choice("workload_tier"),
        payload: None,
    };
    if let Some(e) = parse_error(&f) {
        return refused(&req, &state, *id, e).await;
    }
    match lifecycle::transition(&state.db, &me.ctx(), *id, request).await {
        Ok(out) => {
            let mut msg = format!("{} is now {}", out.asset.asset_tag, out.asset.state.label().to_lowercase());
            if !out.carried.is_empty() {
                msg.push_str(&format!("; {} installed part(s) went along", out.carried.len()));
            }
            if !out.detached.is_empty() {
                msg.push_str(&format!("; {} part(s) detached as standalone items", out.detached.len()));
            }
            Ok(done(&format!("/assets/{}", id), &msg))
        }
        Err(e) => refused(&req, &state, *id, e).await,
    }
}

pub async fn install(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let request = InstallRequest {
        child_id: None,
        child_tag: f.opt("child_tag"),
        version: f.int("version"),
        reason: f.opt("reason"),
        confirm_site_change: f.val("confirm_site_change") == "true",
    };
    if let Some(e) = parse_error(&f) {
        return refused(&req, &state, *id, e).await;
    }
    match lifecycle::install(&state.db, &me.ctx(), *id, request).await {
        Ok(ch) => Ok(done(
            &format!("/assets/{}", id),
            &format!("Installed {} in {}", ch.child.asset_tag, ch.parent.asset_tag),
        )),
        Err(e @ AppError::Conflict { code: "site_change", .. }) => confirm_site(&req, &state, *id, e, &f).await,
        Err(e) => refused(&req, &state, *id, e).await,
    }
}

/// Shows the item again with the refused install's message naming both sites, and the
/// install form with what was typed and a checkbox confirming the site change.
async fn confirm_site(
    req: &HttpRequest,
    state: &AppState,
    id: AssetId,
    err: AppError,
    f: &FormState,
) -> PageResult<HttpResponse> {
    let (status, err) = refusal(err)?;
    let child_tag = f.val("child_tag").trim().to_owned();
    let view = lifecycle::item(state.db.conn(), id, None, EVENTS_PER_PAGE).await?;
    let mut page = ShowPage::new(Layout::new(req, "assets"), view, Some(err.to_string())).with_work(state).await?;
    page.site_confirm = lifecycle::site_move(state.db.conn(), id, &child_tag).await?.map(|mv| SiteConfirm {
        mv,
        child_tag,
        reason: f.val("reason").to_owned(),
    });
    render(req, status, &page)
}

pub async fn remove(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    path: Path<(AssetId, AssetId)>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let (parent, child) = path.into_inner();
    let mut f = FormState::new(form);
    let back = f.opt("back").and_then(|b| b.parse::<AssetId>().ok()).unwrap_or(parent);
    let request = RemoveRequest { to_state: f.choice("to_state"), version: f.int("version"), reason: f.opt("reason") };
    if let Some(e) = parse_error(&f) {
        return refused(&req, &state, back, e).await;
    }
    match lifecycle::remove(&state.db, &me.ctx(), parent, child, request).await {
        Ok(ch) => Ok(done(
            &format!("/assets/{back}"),
            &format!(
                "Removed {} from {}; it is {}",
                ch.child.asset_tag,
                ch.parent.asset_tag,
                ch.child.state.label().to_lowercase()
            ),
        )),
        Err(e) => refused(&req, &state, back, e).await,
    }
}

// ---------------------------------------------------------------------------------- forms

#[derive(Template)]
#[template(path = "assets/form.html")]
pub struct FormPage {
    l: Layout,
    title: String,
    action: String,
    cancel: String,
    editing: bool,
    form: FormState,
    kinds: &'static [AssetKind],
    states: Vec<State>,
    sites: Vec<Site>,
    models: Vec<HardwareModel>,
    workloads: &'static [WorkloadTier],
    functional: &'static [FunctionalGrade],
    cosmetic: &'static [CosmeticGrade],
    retail: &'static [RetailGrade],
}

impl FormPage {
    /// The registration form (`id: None`) or the edit form of an item.
    async fn new(req: &HttpRequest, state: &AppState, id: Option<AssetId>, form: FormState) -> Result<Self, AppError> {
        let (title, action, cancel) = match id {
            None => ("Register an item".to_owned(), "/assets".to_owned(), "/assets".to_owned()),
            Some(id) => {
                let tag = form.opt("asset_tag").unwrap_or_else(|| "item".into());
                (format!("Edit {tag}"), format!("/assets/{id}/edit"), format!("/assets/{id}"))
            }
        };
        Ok(FormPage {
            l: Layout::new(req, "assets"),
            title,
            action,
            cancel,
            editing: id.is_some(),
            form,
            kinds: AssetKind::ALL,
            states: State::ALL.iter().copied().filter(|s| s.registrable()).collect(),
            sites: sites::list(state.db.conn()).await?,
            models: all_models(state).await?,
            workloads: WorkloadTier::ALL,
            functional: FunctionalGrade::ALL,
            cosmetic: CosmeticGrade::ALL,
            retail: RetailGrade::ALL,
        })
    }
}

pub async fn new_form(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let q = query_map(&req);
    let mut form = FormState::default();
    for k in ["parent_tag", "kind", "model_id", "site_id"] {
        if let Some(v) = q.get(k) {
            form = form.with(k, v.clone());
        }
    }
    ok(&req, &FormPage::new(&req, &state, None, form).await?)
}

fn grade_of(f: &mut FormState) -> Grade {
    Grade {
        functional: f.choice("grade_functional"),
        cosmetic: f.choice("grade_cosmetic"),
        retail: f.choice("grade_retail"),
    }
}

pub async fn create(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = NewAsset {
        asset_tag: f.text("asset_tag"),
        serial: f.opt("serial"),
        manufacturer: f.opt("manufacturer"),
        kind: f.choice("kind"),
        model_id: f.parse("model_id", "is not a known model"),
        parent_id: None,
        parent_tag: f.opt("parent_tag"),
        site_id: f.parse("site_id", "is not a known site"),
        state: f.choice("state"),
        grade: grade_of(&mut f),
        custodian: f.opt("custodian"),
        acquired_on: f.date("acquired_on"),
        first_deployed_on: f.date("first_deployed_on"),
        workload_tier: f.choice("workload_tier"),
        mass_override_kg: f.number("mass_override_kg"),
        notes: f.opt("notes"),
        holds_data: f.val("holds_data") == "1",
    };
    match f.submit(assets::create(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(a) if f.val("next") == "another" => {
            let parent = f.val("parent_tag").to_owned();
            let site = a.site_id.map(|s| s.to_string()).unwrap_or_default();
            Ok(done(
                &url_with("/assets/new", &[("parent_tag", &parent), ("kind", a.kind.as_str()), ("site_id", &site)]),
                &format!("Registered {}", a.asset_tag),
            ))
        }
        Submitted::Done(a) => Ok(done(&format!("/assets/{}", a.id), &format!("Registered {}", a.asset_tag))),
        Submitted::Refused(status) => render(&req, status, &FormPage::new(&req, &state, None, f).await?),
    }
}

fn form_from_asset(a: &Asset) -> FormState {
    let s = |v: Option<String>| v.unwrap_or_default();
    FormState::default()
        .with("asset_tag", a.asset_tag.clone())
        .with("serial", s(a.serial.clone()))
        .with("manufacturer", a.manufacturer.clone())
        .with("kind", a.kind.as_str())
        .with("model_id", s(a.model_id.map(|m| m.to_string())))
        .with("site_id", s(a.site_id.map(|m| m.to_string())))
        .with("grade_functional", s(a.grade.functional.map(|g| g.to_string())))
        .with("grade_cosmetic", s(a.grade.cosmetic.map(|g| g.to_string())))
        .with("grade_retail", s(a.grade.retail.map(|g| g.to_string())))
        .with("custodian", a.custodian.clone())
        .with("acquired_on", s(a.acquired_on.map(|d| d.to_string())))
        .with("first_deployed_on", s(a.first_deployed_on.map(|d| d.to_string())))
        .with("workload_tier", s(a.workload_tier.map(|w| w.to_string())))
        .with("mass_override_kg", views::input_num(a.mass_override_kg))
        .with("notes", a.notes.clone())
        .with("holds_data", if a.holds_data { "1" } else { "" })
        .with("version", a.version.to_string())
}

pub async fn edit_form(req: HttpRequest, state: Data<AppState>, id: Path<AssetId>) -> PageResult<HttpResponse> {
    let a = assets::get(state.db.conn(), *id).await?;
    ok(&req, &FormPage::new(&req, &state, Some(a.id), form_from_asset(&a)).await?)
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version");
    let patch = AssetPatch {
        version: version.unwrap_or(0),
        asset_tag: Some(f.text("asset_tag")),
        serial: Some(f.opt("serial")),
        manufacturer: Some(f.text("manufacturer")),
        kind: f.choice("kind"),
        model_id: Some(f.parse("model_id", "is not a known model")),
        site_id: Some(f.parse("site_id", "is not a known site")),
        grade: Some(grade_of(&mut f)),
        custodian: Some(f.text("custodian")),
        acquired_on: Some(f.date("acquired_on")),
        first_deployed_on: Some(f.date("first_deployed_on")),
        workload_tier: Some(f.choice("workload_tier")),
        mass_override_kg: Some(f.number("mass_override_kg")),
        notes: Some(f.text("notes")),
        holds_data: Some(f.val("holds_data") == "1"),
        reason: f.opt("reason"),
    };
    if version.is_none() {
        f.general = Some("the form lost its version; reload the page".into());
    }
    match f.submit(assets::update(&state.db, &me.ctx(), *id, patch)).await? {
        Submitted::Done(a) => Ok(done(&format!("/assets/{}", a.id), &format!("Saved {}", a.asset_tag))),
        Submitted::Refused(status) => render(&req, status, &FormPage::new(&req, &state, Some(*id), f).await?),
    }
}
