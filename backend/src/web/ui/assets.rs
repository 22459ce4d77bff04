//! Asset pages (the list is `asset_list`): an item's page (facts, parts, history, actions) and its forms.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use serde::{Deserialize, Serialize};

use super::audit::HistoryRow;
use super::flash::{self, done, see_other};
use super::forms::{FormState, Submitted};
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
    AssetKind, Cascade, CosmeticGrade, FaultCategory, FunctionalGrade, Grade, RetailGrade, State, WorkStatus,
    WorkloadTier,
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
#[derive(Clone)]
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
    /// The states this role may move the item to: its kind's next states that
    /// `Role::may_transition_to` allows (the one permission table, not a template copy).
    allowed: Vec<State>,
    /// Next states the item could take that this role may not choose (said, not offered).
    not_yours: Vec<State>,
    workloads: &'static [WorkloadTier],
    /// Ledger entries and field edits, newest first (`assets/_history.html`).
    events: Vec<HistoryRow>,
    events_next: Option<String>,
    holds_parts: bool,
    /// The change-state and install forms as typed, with their errors (a refusal kept
    /// across the redirect: post/redirect/get).
    move_form: FormState,
    install_form: FormState,
    /// A move that cannot be undone, waiting for its confirmation.
    confirm_move: Option<State>,
    /// A part's removal being confirmed (or refused): the part and its form.
    removal: Option<(TreeRow, FormState)>,
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
    /// The refusal's own words, naming both sites.
    pub message: String,
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
    fn new(l: Layout, v: ItemView) -> ShowPage {
        let mut parts = Vec::new();
        flatten(&v.tree, &mut parts);
        let id = v.asset.id;
        let (allowed, not_yours) = v.allowed.iter().partition(|s| l.may_move_to(**s));
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
            allowed,
            not_yours,
            workloads: WorkloadTier::ALL,
            holds_parts: v.holds_parts,
            move_form: FormState::default(),
            install_form: FormState::default(),
            confirm_move: None,
            removal: None,
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

    /// The states offered that cannot be undone (their reason is required).
    fn irreversible(&self) -> Vec<State> {
        self.allowed.iter().copied().filter(|s| s.is_irreversible()).collect()
    }

    /// The allowed states' labels as a sentence ("Lost or stolen or Transferred out").
    fn labels(&self, states: &[State]) -> String {
        let names: Vec<&str> = states.iter().map(|s| s.label()).collect();
        crate::rules::one_of(&names)
    }

    /// What moving this item to `to` does that cannot be taken back, in words.
    fn consequence(&self, to: &State) -> String {
        let to = *to;
        let tag = &self.a.asset_tag;
        let parts = self.parts.len();
        let mut out = if to.is_terminal() {
            format!("{} is final: {tag}'s life in the registry ends and no further change is possible.", to.label())
        } else {
            format!("There is no way back to stock or service from {}.", to.label().to_lowercase())
        };
        if parts > 0 {
            out.push(' ');
            out.push_str(&match to.cascade() {
                Cascade::WholeTree => format!("The {parts} part(s) installed in {tag} go with it."),
                Cascade::DetachChildren => {
                    format!("The {parts} part(s) installed in {tag} are detached and become standalone items.")
                }
                Cascade::Follow | Cascade::None => String::new(),
            });
        }
        out.trim_end().to_owned()
    }

    /// Shows what the previous request kept for this page: a refused form with its
    /// values and errors, or a step waiting for confirmation.
    fn with_kept(mut self, kept: Kept) -> ShowPage {
        let form = FormState { values: kept.values, errors: kept.errors, general: kept.general };
        self.blockers = kept
            .blockers
            .into_iter()
            .filter_map(|(id, tag, reason)| Some(crate::error::Blocker { id: id.parse().ok()?, tag, reason }))
            .collect();
        match kept.action {
            Action::Move => {
                if kept.confirm {
                    self.confirm_move = form.val("to").parse::<State>().ok().filter(|s| self.allowed.contains(s));
                }
                self.move_form = form;
            }
            Action::Install => self.install_form = form,
            Action::Remove => {
                let part = self.parts.iter().find(|p| p.id.to_string() == form.val("part")).cloned();
                self.removal = part.map(|p| (p, form));
            }
        }
        self
    }
}

/// Which of the item page's forms a kept state belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Action {
    Move,
    Install,
    Remove,
}

/// A form of the item page kept across the redirect that follows its POST (`flash::keep`):
/// refused, with its values and errors and the status to show them with, or waiting for
/// confirmation. Reloading the page it leads to never sends the action again.
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    item: String,
    action: Action,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    general: Option<String>,
    /// (id, tag, why) of each item blocking a release.
    blockers: Vec<(String, String, String)>,
    confirm: bool,
    /// An install refused only because it moves the part to another site: ask to confirm.
    #[serde(default)]
    site_change: bool,
    status: u16,
}

impl Kept {
    fn new(item: AssetId, action: Action, f: FormState, status: StatusCode) -> Kept {
        let mut values = f.values;
        values.remove("csrf_token");
        Kept {
            item: item.to_string(),
            action,
            values,
            errors: f.errors,
            general: f.general,
            blockers: Vec::new(),
            confirm: false,
            site_change: false,
            status: status.as_u16(),
        }
    }

    /// Redirects (303) to the item's page at `anchor`, which shows this once. Too large a
    /// state for its cookie loses the blockers' list first (the message names them too),
    /// then the end of the reason.
    fn redirect(mut self, back: AssetId, anchor: &str) -> HttpResponse {
        let location = format!("/assets/{back}#{anchor}");
        loop {
            if let Some(encoded) = flash::encode_slot(&self) {
                return flash::keep(&location, encoded);
            }
            if !self.blockers.is_empty() {
                self.blockers.clear();
            } else if let Some(r) = self.values.get_mut("reason").filter(|r| !r.is_empty()) {
                let keep = r.chars().count() * 3 / 4;
                *r = r.chars().take(keep).collect();
            } else {
                return done(&location, self.general.as_deref().unwrap_or("That was refused; please try again."));
            }
        }
    }
}

/// The refusal of an action on the item page, kept for the page to show at its form.
/// Server errors and vanished records become the error page.
fn refused(back: AssetId, action: Action, mut f: FormState, err: AppError) -> PageResult<HttpResponse> {
    let blockers = match &err {
        AppError::Blocked { items, .. } => {
            items.iter().map(|b| (b.id.to_string(), b.tag.clone(), b.reason.clone())).collect()
        }
        _ => Vec::new(),
    };
    let status = f.refused(err)?;
    let mut kept = Kept::new(back, action, f, status);
    kept.blockers = blockers;
    Ok(kept.redirect(back, anchor_of(action)))
}

/// Where on the item page an action's form is.
fn anchor_of(action: Action) -> &'static str {
    match action {
        Action::Move => "change-state",
        Action::Install => "install",
        Action::Remove => "remove",
    }
}

/// History entries per page on an item's page.
const EVENTS_PER_PAGE: u64 = 50;

pub async fn show(req: HttpRequest, state: Data<AppState>, id: Path<AssetId>) -> PageResult<HttpResponse> {
    let mut q = FormState::new(query_map(&req));
    let cursor: Option<uuid::Uuid> = q.parse("events", "is not a valid cursor");
    let view = lifecycle::item(state.db.conn(), *id, cursor, EVENTS_PER_PAGE).await?;
    let mut page = ShowPage::new(Layout::new(&req, "assets"), view).with_work(&state).await?;
    let mut status = StatusCode::OK;
    if let Some(kept) = flash::kept::<Kept>(&req).filter(|k| k.item == id.to_string()) {
        status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
        let site_change = kept.site_change.then(|| {
            let v = |k: &str| kept.values.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
            (
                v("child_tag"),
                v("reason"),
                kept.general.clone().or_else(|| kept.errors.values().next().cloned()).unwrap_or_default(),
            )
        });
        page = page.with_kept(kept);
        if let Some((child_tag, reason, message)) = site_change {
            page.site_confirm = lifecycle::site_move(state.db.conn(), *id, &child_tag).await?.map(|mv| SiteConfirm {
                message,
                mv,
                child_tag,
                reason,
            });
        }
    }
    render(&req, status, &page)
}

pub async fn transition(
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    if f.opt("to").is_none() {
        f.fail("to", "choose the state to move the item to");
    }
    let request = TransitionRequest {
        to: f.choice("to"),
        reason: f.opt("reason"),
        version: f.int("version"),
        workload_tier: f.choice("workload_tier"),
        payload: None,
    };
    // A move that cannot be undone needs a reason and a second, confirming POST (unless
    // the item cannot take it or the role may not make it: the service's refusal says so).
    let item = assets::get(state.db.conn(), *id).await?;
    let asks = |to: &State| {
        to.is_irreversible() && me.user().role.may_transition_to(*to) && item.state.allowed_next(item.kind).contains(to)
    };
    if let Some(to) = request.to.filter(asks) {
        if request.reason.is_none() {
            f.fail("reason", format!("is required: a move to {} cannot be undone", to.label().to_lowercase()));
        } else if f.val("confirm") != "yes" && !f.has_errors() {
            let mut kept = Kept::new(*id, Action::Move, f, StatusCode::OK);
            kept.confirm = true;
            return Ok(kept.redirect(*id, "confirm"));
        }
    }
    if f.has_errors() {
        return Ok(Kept::new(*id, Action::Move, f, StatusCode::UNPROCESSABLE_ENTITY).redirect(*id, "change-state"));
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
        Err(e) => refused(*id, Action::Move, f, e),
    }
}

pub async fn install(
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
    if f.has_errors() {
        return Ok(Kept::new(*id, Action::Install, f, StatusCode::UNPROCESSABLE_ENTITY).redirect(*id, "install"));
    }
    match lifecycle::install(&state.db, &me.ctx(), *id, request).await {
        Ok(ch) => Ok(done(
            &format!("/assets/{}", id),
            &format!("Installed {} in {}", ch.child.asset_tag, ch.parent.asset_tag),
        )),
        Err(e @ AppError::Conflict { code: "site_change", .. }) => {
            // Back to the item with the message naming both sites and a box to confirm.
            let mut f = f;
            let status = f.refused(e)?;
            let mut kept = Kept::new(*id, Action::Install, f, status);
            kept.site_change = true;
            Ok(kept.redirect(*id, "confirm-site"))
        }
        Err(e) => refused(*id, Action::Install, f, e),
    }
}

/// Removes a part: the first POST (from the parts table) asks for a reason and a
/// confirmation; the second, with `confirm=yes`, removes it.
pub async fn remove(
    state: Data<AppState>,
    me: Me,
    path: Path<(AssetId, AssetId)>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let (parent, child) = path.into_inner();
    let mut f = FormState::new(form).with("part", child.to_string());
    let back = f.opt("back").and_then(|b| b.parse::<AssetId>().ok()).unwrap_or(parent);
    let request = RemoveRequest { to_state: f.choice("to_state"), version: f.int("version"), reason: f.opt("reason") };
    if f.val("confirm") != "yes" && !f.has_errors() {
        let mut kept = Kept::new(back, Action::Remove, f, StatusCode::OK);
        kept.confirm = true;
        return Ok(kept.redirect(back, "remove"));
    }
    if request.reason.is_none() {
        f.fail("reason", "is required: say why the part comes out");
    }
    if f.has_errors() {
        return Ok(Kept::new(back, Action::Remove, f, StatusCode::UNPROCESSABLE_ENTITY).redirect(back, "remove"));
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
        Err(e) => refused(back, Action::Remove, f, e),
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
    if f.has_errors() {
        // Every problem at once: what the registration would refuse, beside the parse errors.
        f.absorb_problems(assets::service::problems(state.db.conn(), &me.ctx(), input.clone()).await?);
    }
    match f.submit(assets::create(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(a) if f.val("next") == "another" => {
            // The next part starts blank but for where it goes: its kind, model, serial
            // and the rest belong to the part just registered.
            let parent = f.val("parent_tag").to_owned();
            let site = a.site_id.map(|s| s.to_string()).unwrap_or_default();
            Ok(done(
                &url_with("/assets/new", &[("parent_tag", &parent), ("site_id", &site)]),
                &format!("Registered {}; register the next part", a.asset_tag),
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
