//! Catalog pages.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::bom_text::{self, BomText};
use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use super::views::{self, AssetRow, input_num, kg, num, pager_links, query_map};
use crate::assets::{self, AssetQuery};
use crate::catalog::{self, BomLine, HardwareModel, ModelPatch, ModelQuery, NewModel};
use crate::db::Db;
use crate::error::AppResult;
use crate::ids::ModelId;
use crate::rules::AssetKind;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "models/list.html")]
pub struct ListPage {
    l: Layout,
    filters: FormState,
    kinds: &'static [AssetKind],
    models: Vec<HardwareModel>,
    first_url: Option<String>,
    next_url: Option<String>,
    error: Option<String>,
}

pub async fn list(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let mut f = FormState::new(query_map(&req));
    let query = ModelQuery { kind: f.choice("kind"), q: f.opt("q"), cursor: f.opt("cursor"), limit: Some(100) };
    let mut page = ListPage {
        l: Layout::new(&req, "models"),
        filters: FormState::default(),
        kinds: AssetKind::ALL,
        models: Vec::new(),
        first_url: None,
        next_url: None,
        error: None,
    };
    if f.has_errors() {
        page.error = Some(f.errors_line());
        page.filters = f;
        return render(&req, StatusCode::BAD_REQUEST, &page);
    }
    let result = catalog::list(state.db.conn(), &query).await?;
    page.models = result.items;
    (page.first_url, page.next_url) =
        pager_links("/models", &f, &["kind", "q"], query.cursor.is_some(), result.next_cursor.as_deref());
    page.filters = f;
    ok(&req, &page)
}

#[derive(Template)]
#[template(path = "models/show.html")]
pub struct ShowPage {
    l: Layout,
    m: HardwareModel,
    facts: Vec<(&'static str, String)>,
    specs: String,
    bom: Vec<BomRow>,
    recent: Vec<AssetRow>,
}

/// A bill-of-materials line as the model page shows it: the part model's id and label,
/// if the line names one.
pub struct BomRow {
    count: u32,
    kind: AssetKind,
    model: Option<(ModelId, String)>,
}

/// The catalog models a bill of materials names, by id.
async fn bom_models(db: &Db, bom: &[BomLine]) -> AppResult<HashMap<ModelId, HardwareModel>> {
    let ids: Vec<ModelId> = bom.iter().filter_map(|l| l.model_id).collect();
    Ok(catalog::by_ids(db.conn(), &ids).await?.into_iter().map(|m| (m.id, m)).collect())
}

pub async fn show(req: HttpRequest, state: Data<AppState>, id: Path<ModelId>) -> PageResult<HttpResponse> {
    let conn = state.db.conn();
    let m = catalog::get(conn, *id).await?;
    let page =
        assets::list_labelled(conn, &AssetQuery { model_id: Some(*id), limit: Some(10), ..Default::default() }).await?;
    let text = |s: &str| if s.is_empty() { "—".to_owned() } else { s.to_owned() };
    let facts = vec![
        ("Kind", m.kind.label().to_owned()),
        ("Release year", m.release_year.map(|y| y.to_string()).unwrap_or_else(|| "—".into())),
        ("Form factor", text(&m.form_factor)),
        ("Mass (item alone)", kg(m.mass_kg)),
        ("Embodied carbon", num(m.embodied_kgco2e, "kgCO2e")),
        ("Embodied source", text(&m.embodied_source)),
        ("Idle power", num(m.idle_w, "W")),
        ("Max power", num(m.max_w, "W")),
        ("CPU cores", m.cpu_cores.map(|c| c.to_string()).unwrap_or_else(|| "—".into())),
        ("Memory", num(m.memory_gb, "GB")),
        ("GPU memory", num(m.gpu_vram_gb, "GB")),
        ("Storage", num(m.storage_tb, "TB")),
        ("Performance", if m.perf_value.is_some() { num(m.perf_value, &m.perf_unit) } else { "—".into() }),
        ("Material profile", text(&m.material_profile)),
        ("UNU-KEY", text(&m.unu_key)),
        ("Updates until", m.support_ends_on.map(|d| d.to_string()).unwrap_or_else(|| "—".into())),
    ];
    let parts = bom_models(&state.db, &m.bom).await?;
    let bom = m
        .bom
        .iter()
        .map(|l| BomRow {
            count: l.count,
            kind: l.kind,
            model: l
                .model_id
                .map(|id| (id, parts.get(&id).map(HardwareModel::label).unwrap_or_else(|| id.to_string()))),
        })
        .collect();
    let view = ShowPage {
        l: Layout::new(&req, "models"),
        specs: serde_json::to_string_pretty(&m.specs).unwrap_or_default(),
        bom,
        facts,
        recent: views::rows(page.items),
        m,
    };
    ok(&req, &view)
}

#[derive(Template)]
#[template(path = "models/form.html")]
pub struct FormPage {
    l: Layout,
    title: String,
    action: String,
    cancel: String,
    editing: bool,
    form: FormState,
    kinds: &'static [AssetKind],
    numbers: &'static [(&'static str, &'static str)],
    texts: &'static [(&'static str, &'static str)],
    /// The bill of materials' errors, by line ("line 3 “…”: …").
    bom_errors: Vec<String>,
}

/// Numeric inputs, in form order: (field, label).
const NUMBERS: &[(&str, &str)] = &[
    ("release_year", "Release year"),
    ("mass_kg", "Mass of the item alone (kg)"),
    ("embodied_kgco2e", "Embodied carbon (kgCO2e)"),
    ("idle_w", "Idle power (W)"),
    ("max_w", "Max power (W)"),
    ("cpu_cores", "CPU cores"),
    ("memory_gb", "Memory (GB)"),
    ("gpu_vram_gb", "GPU memory (GB)"),
    ("storage_tb", "Storage (TB)"),
    ("perf_value", "Performance figure"),
];

/// Text inputs, in form order.
const TEXTS: &[(&str, &str)] = &[
    ("embodied_source", "Source of the embodied figure"),
    ("perf_unit", "Performance unit"),
    ("form_factor", "Form factor"),
    ("material_profile", "Material profile"),
    ("unu_key", "UNU-KEY (WEEE)"),
];

impl FormPage {
    /// The new-model form (`id: None`) or the edit form of a model.
    fn new(req: &HttpRequest, id: Option<ModelId>, form: FormState) -> FormPage {
        let (title, action, cancel) = match id {
            None => ("New catalog model".to_owned(), "/models".to_owned(), "/models".to_owned()),
            Some(id) => {
                let label = catalog::label(form.val("manufacturer"), form.val("model_number"));
                (format!("Edit {label}"), format!("/models/{id}/edit"), format!("/models/{id}"))
            }
        };
        FormPage {
            l: Layout::new(req, "models"),
            title,
            action,
            cancel,
            editing: id.is_some(),
            bom_errors: bom_text::line_errors(&form),
            form,
            kinds: AssetKind::ALL,
            numbers: NUMBERS,
            texts: TEXTS,
        }
    }
}

pub async fn new_form(req: HttpRequest) -> PageResult<HttpResponse> {
    ok(&req, &FormPage::new(&req, None, FormState::default().with("specs", "{}")))
}

/// The form's fields as a service input, and where its BOM lines came from (for errors).
async fn fields(db: &Db, f: &mut FormState) -> AppResult<(NewModel, BomText)> {
    let (bom, source) = BomText::read(db, f).await?;
    Ok((NewModel { bom, ..plain_fields(f) }, source))
}

fn plain_fields(f: &mut FormState) -> NewModel {
    let specs = match f.opt("specs") {
        None => None,
        Some(s) => match serde_json::from_str::<serde_json::Value>(&s) {
            Ok(v) => Some(v),
            Err(e) => {
                f.fail("specs", format!("is not valid JSON: {e}"));
                None
            }
        },
    };
    NewModel {
        manufacturer: f.text("manufacturer"),
        model_number: f.text("model_number"),
        kind: f.choice("kind").unwrap_or_else(|| {
            if f.opt("kind").is_none() {
                f.fail("kind", "is required");
            }
            AssetKind::Other
        }),
        release_year: f.int("release_year"),
        form_factor: f.opt("form_factor"),
        mass_kg: f.number("mass_kg"),
        embodied_kgco2e: f.number("embodied_kgco2e"),
        embodied_source: f.opt("embodied_source"),
        idle_w: f.number("idle_w"),
        max_w: f.number("max_w"),
        cpu_cores: f.int("cpu_cores"),
        memory_gb: f.number("memory_gb"),
        gpu_vram_gb: f.number("gpu_vram_gb"),
        storage_tb: f.number("storage_tb"),
        perf_value: f.number("perf_value"),
        perf_unit: f.opt("perf_unit"),
        material_profile: f.opt("material_profile"),
        unu_key: f.opt("unu_key"),
        support_ends_on: f.date("support_ends_on"),
        specs,
        bom: Vec::new(),
        notes: Some(f.text("notes")),
    }
}

pub async fn create(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    FormBody(form): FormBody<HashMap<String, String>>,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let (input, bom) = fields(&state.db, &mut f).await?;
    if f.has_errors() {
        f.absorb_problems(catalog::service::problems(state.db.conn(), input.clone(), None).await?);
    }
    match f.submit(catalog::create(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(m) => Ok(done(&format!("/models/{}", m.id), &format!("Added {} to the catalog", m.label()))),
        Submitted::Refused(status) => render(&req, status, &FormPage::new(&req, None, bom.relabel(f))),
    }
}

pub async fn edit_form(req: HttpRequest, state: Data<AppState>, id: Path<ModelId>) -> PageResult<HttpResponse> {
    let m = catalog::get(state.db.conn(), *id).await?;
    let parts = bom_models(&state.db, &m.bom).await?;
    let form = FormState::default()
        .with("manufacturer", m.manufacturer.clone())
        .with("model_number", m.model_number.clone())
        .with("kind", m.kind.as_str())
        .with("release_year", m.release_year.map(|y| y.to_string()).unwrap_or_default())
        .with("form_factor", m.form_factor.clone())
        .with("mass_kg", input_num(m.mass_kg))
        .with("embodied_kgco2e", input_num(m.embodied_kgco2e))
        .with("embodied_source", m.embodied_source.clone())
        .with("idle_w", input_num(m.idle_w))
        .with("max_w", input_num(m.max_w))
        .with("cpu_cores", m.cpu_cores.map(|c| c.to_string()).unwrap_or_default())
        .with("memory_gb", input_num(m.memory_gb))
        .with("gpu_vram_gb", input_num(m.gpu_vram_gb))
        .with("storage_tb", input_num(m.storage_tb))
        .with("perf_value", input_num(m.perf_value))
        .with("perf_unit", m.perf_unit.clone())
        .with("material_profile", m.material_profile.clone())
        .with("unu_key", m.unu_key.clone())
        .with("support_ends_on", m.support_ends_on.map(|d| d.to_string()).unwrap_or_default())
        .with("specs", serde_json::to_string_pretty(&m.specs).unwrap_or_default())
        .with(bom_text::FIELD, bom_text::write(&m.bom, &parts))
        .with("notes", m.notes.clone())
        .with("version", m.version.to_string());
    ok(&req, &FormPage::new(&req, Some(m.id), form))
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<ModelId>,
    FormBody(form): FormBody<HashMap<String, String>>,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version").unwrap_or(0);
    let (n, bom) = fields(&state.db, &mut f).await?;
    if f.has_errors() {
        f.absorb_problems(catalog::service::problems(state.db.conn(), n.clone(), Some(*id)).await?);
    }
    let patch = ModelPatch::replacing(version, n);
    match f.submit(catalog::update(&state.db, &me.ctx(), *id, patch)).await? {
        Submitted::Done(m) => Ok(done(&format!("/models/{}", m.id), &format!("Saved {}", m.label()))),
        Submitted::Refused(status) => render(&req, status, &FormPage::new(&req, Some(*id), bom.relabel(f))),
    }
}
