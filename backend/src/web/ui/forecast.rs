//! The forecast pages: the fleet (`/forecast`), procurement (`/forecast/procurement`), the
//! demand-driven scenarios (`/forecast/demand`) and the fitted lifespans
//! (`/forecast/lifespans`). Each form reads its fields into the service's request, runs
//! the forecast, and shows a chart and the table, or offers it as CSV or JSON
//! (`format=csv|json`). They compute; they write nothing.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Data;
use askama::Template;

use super::forms::{FormState, Submitted};
use super::layout::{Layout, render};
use super::views::query_map;
use crate::forecast::chart::{self, Line, Shade};
use crate::forecast::model::{
    DemandForecast, DemandRequest, FleetForecast, FleetQuery, KernelInput, KindShare, LeversInput, Lifespans,
    ProcurementForecast, ProcurementRequest, ShiftInput,
};
use crate::forecast::{self, export, refdata, service};
use crate::rules::{AssetKind, ChipSupply, DemandScenario, EfficiencyPath, KernelChoice};
use crate::sites::Site;
use crate::web::download::{attachment, csv};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

/// A figure however the template holds it (by value or behind references).
trait Figure {
    fn value(&self) -> f64;
}

impl Figure for f64 {
    fn value(&self) -> f64 {
        *self
    }
}

impl<T: Figure + ?Sized> Figure for &T {
    fn value(&self) -> f64 {
        (**self).value()
    }
}

/// Figures as the forecast pages print them (thousands grouped).
trait Figures {
    fn fig(&self, v: impl Figure, decimals: usize) -> String {
        super::views::grouped(v.value(), decimals)
    }
}

impl Figures for FleetPage {}
impl Figures for ProcurementPage {}
impl Figures for DemandPage {}

/// How a form asked for its answer.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    Page,
    Csv,
    Json,
}

fn format_of(f: &FormState) -> Format {
    match f.val("format") {
        "csv" => Format::Csv,
        "json" => Format::Json,
        _ => Format::Page,
    }
}

fn json<T: serde::Serialize>(v: &T, name: &str) -> PageResult<HttpResponse> {
    let body = serde_json::to_string_pretty(v).map_err(|e| crate::error::AppError::Internal(e.into()))?;
    Ok(attachment(body, "application/json", name))
}

/// A share list typed as `kind=share, …`.
fn kind_shares(f: &mut FormState, field: &str) -> Vec<KindShare> {
    match f.opt(field).map(|t| service::parse_kind_shares(field, &t)) {
        Some(Ok(list)) => list.into_iter().map(|(kind, share)| KindShare { kind, share }).collect(),
        Some(Err(p)) => {
            f.fail(field, p.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "));
            Vec::new()
        }
        None => Vec::new(),
    }
}

fn shift(f: &mut FormState, years: &str, share: &str) -> Option<ShiftInput> {
    let y = f.number(years);
    let s = f.number(share);
    match (y, s) {
        (Some(years), share) => Some(ShiftInput { years, share: share.unwrap_or(1.0) }),
        (None, Some(_)) => {
            f.fail(years, "give the years too");
            None
        }
        (None, None) => None,
    }
}

/// The levers fields shared by the procurement and demand forms.
fn levers(f: &mut FormState) -> LeversInput {
    let composition = kind_shares(f, "composition");
    LeversInput {
        extension: shift(f, "extend_years", "extend_share"),
        redeployment: shift(f, "redeploy_years", "redeploy_share"),
        harvest: kind_shares(f, "harvest"),
        composition: (!composition.is_empty()).then_some(composition),
        efficiency_gain: f.number("efficiency_gain"),
        efficiency_from: f.int("efficiency_from"),
    }
}

/// The service's field names onto the form's inputs (`levers.extension.years` →
/// `extend_years`).
fn form_field(field: &str) -> String {
    let f = field.strip_prefix("levers.").unwrap_or(field);
    let f = f.strip_prefix("kernel.").unwrap_or(f);
    match f {
        f if f.starts_with("extension") => "extend_years".into(),
        f if f.starts_with("redeployment") => "redeploy_years".into(),
        f if f.starts_with("harvest") => "harvest".into(),
        f if f.starts_with("composition") => "composition".into(),
        "placed" | "csv" => "placed".into(),
        f if f.starts_with("placed") => "placed".into(),
        f => f.replace('.', "_"),
    }
}

fn absorb(f: &mut FormState, e: crate::error::AppError) -> Result<StatusCode, crate::web::error::PageError> {
    let e = e.map_fields(|name| form_field(&name));
    f.refused(e)
}

#[derive(Template)]
#[template(path = "forecast/fleet.html")]
pub struct FleetPage {
    l: Layout,
    form: FormState,
    sites: Vec<Site>,
    kinds: &'static [AssetKind],
    kernels: &'static [KernelChoice],
    r: Option<FleetForecast>,
    chart: String,
}

fn fleet_query(f: &mut FormState) -> FleetQuery {
    FleetQuery {
        horizon: f.parse("horizon", "must be a whole number of years"),
        kernel: f.choice("kernel"),
        shape: f.number("shape"),
        scale: f.number("scale"),
        site: f.parse("site", "is not a known site"),
        kind: f.choice("kind"),
        extend_years: f.number("extend_years"),
        extend_share: f.number("extend_share"),
        redeploy_years: f.number("redeploy_years"),
        redeploy_share: f.number("redeploy_share"),
        harvest: f.opt("harvest"),
    }
}

fn fleet_chart(r: &FleetForecast) -> String {
    let years: Vec<i32> = r.years.iter().map(|y| y.year).collect();
    let mean: Vec<f64> = r.years.iter().map(|y| y.baseline.mass_t.mean).collect();
    let low: Vec<f64> = r.years.iter().map(|y| y.baseline.mass_t.p5).collect();
    let high: Vec<f64> = r.years.iter().map(|y| y.baseline.mass_t.p95).collect();
    let scen: Vec<f64> = r.years.iter().filter_map(|y| y.scenario.as_ref().map(|s| s.mass_t.mean)).collect();
    let mut lines = vec![Line { label: "Expected (baseline)", values: &mean, color: chart::BASELINE, dashed: false }];
    if scen.len() == years.len() {
        lines.push(Line { label: "With the levers", values: &scen, color: chart::SCENARIO, dashed: true });
    }
    chart::svg(
        "E-waste from the fleet in use, tonnes per year, with the 5th–95th percentile band",
        "tonnes",
        &years,
        Some(Shade { label: "p5–p95 (baseline)", low: &low, high: &high, color: chart::BASELINE }),
        &lines,
    )
}

pub async fn fleet(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    let mut f = FormState::new(query_map(&req));
    let format = format_of(&f);
    let q = fleet_query(&mut f);
    let today = me.ctx().now.date_naive();
    let mut status = StatusCode::OK;
    let mut r = None;
    match f.submit(forecast::fleet(&state.db, &state.forecast, &q, today)).await? {
        Submitted::Done(out) => r = Some(out),
        Submitted::Refused(s) => status = s,
    }
    match (format, &r) {
        (Format::Csv, Some(out)) => {
            return Ok(csv(export::fleet(out)?, "reloop-fleet-forecast.csv"));
        }
        (Format::Json, Some(out)) => return json(out, "reloop-fleet-forecast.json"),
        _ => {}
    }
    let page = FleetPage {
        l: Layout::new(&req, "forecast"),
        sites: crate::sites::list(state.db.conn()).await?,
        kinds: AssetKind::ALL,
        kernels: KernelChoice::ALL,
        chart: r.as_ref().map(fleet_chart).unwrap_or_default(),
        r,
        form: f,
    };
    render(&req, status, &page)
}

#[derive(Template)]
#[template(path = "forecast/procurement.html")]
pub struct ProcurementPage {
    l: Layout,
    form: FormState,
    unu: &'static [refdata::UnuLifespan],
    r: Option<ProcurementForecast>,
    chart: String,
    /// Where the prefilled series comes from.
    prefilled: Option<String>,
}

fn procurement_request(f: &mut FormState) -> ProcurementRequest {
    let kernel = match f.val("kernel") {
        "weibull" => KernelInput { shape: f.number("shape"), scale: f.number("scale"), ..KernelInput::default() },
        "genai" => KernelInput { tabulated: Some("genai".into()), ..KernelInput::default() },
        _ => KernelInput { unu_key: f.opt("unu_key"), ..KernelInput::default() },
    };
    let placed = f.opt("placed");
    if placed.is_none() {
        f.fail("placed", "give the years placed on the market, one per line after the header year,mass_t");
    }
    ProcurementRequest { placed: Vec::new(), csv: placed, unit: None, kernel, until: f.int("until"), levers: levers(f) }
}

fn procurement_chart(r: &ProcurementForecast) -> String {
    let years: Vec<i32> = r.years.iter().map(|y| y.year).collect();
    let placed: Vec<f64> = r.years.iter().map(|y| y.placed).collect();
    let waste: Vec<f64> = r.years.iter().map(|y| y.waste).collect();
    let scen: Vec<f64> = r.years.iter().filter_map(|y| y.scenario_waste).collect();
    let unit = if r.unit == crate::rules::PomUnit::Units { "units" } else { "tonnes" };
    let mut lines = vec![
        Line { label: "Placed on the market", values: &placed, color: chart::THIRD, dashed: false },
        Line { label: "Waste (baseline)", values: &waste, color: chart::BASELINE, dashed: false },
    ];
    if scen.len() == years.len() {
        lines.push(Line { label: "Waste with the levers", values: &scen, color: chart::SCENARIO, dashed: true });
    }
    chart::svg("Placed on the market and waste generated per year", unit, &years, None, &lines)
}

async fn procurement_page(
    req: &HttpRequest,
    state: &AppState,
    mut f: FormState,
    prefilled: Option<String>,
    today: chrono::NaiveDate,
) -> PageResult<HttpResponse> {
    let format = format_of(&f);
    let input = procurement_request(&mut f);
    let mut status = StatusCode::OK;
    let mut r = None;
    if !f.has_errors() {
        match forecast::procurement(&state.db, &state.forecast, input, today).await {
            Ok(out) => r = Some(out),
            Err(e) => status = absorb(&mut f, e)?,
        }
    } else if prefilled.is_none() {
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    match (format, &r) {
        (Format::Csv, Some(out)) => {
            return Ok(csv(export::procurement(out)?, "reloop-procurement-forecast.csv"));
        }
        (Format::Json, Some(out)) => return json(out, "reloop-procurement-forecast.json"),
        _ => {}
    }
    let page = ProcurementPage {
        l: Layout::new(req, "forecast"),
        unu: refdata::unu_lifespans(),
        chart: r.as_ref().map(procurement_chart).unwrap_or_default(),
        r,
        prefilled,
        form: f,
    };
    render(req, status, &page)
}

/// The form, prefilled with the registry's own purchases per year (and their forecast).
pub async fn procurement_form(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    let today = me.ctx().now.date_naive();
    let mut f = FormState::default().with("kernel", "unu").with("unu_key", refdata::FALLBACK_UNU_KEY);
    let mut prefilled = None;
    if let Some((csv, source)) = forecast::scenarios::registry_purchases(&state.db, &state.forecast, today).await? {
        f = f.with("placed", csv);
        prefilled = Some(source);
    }
    procurement_page(&req, &state, f, prefilled, today).await
}

pub async fn procurement(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    procurement_page(&req, &state, FormState::new(form), None, me.ctx().now.date_naive()).await
}

#[derive(Template)]
#[template(path = "forecast/demand.html")]
pub struct DemandPage {
    l: Layout,
    form: FormState,
    scenarios: &'static [DemandScenario],
    chips: &'static [ChipSupply],
    paths: &'static [EfficiencyPath],
    r: Option<DemandForecast>,
    chart: String,
}

fn demand_request(f: &mut FormState) -> DemandRequest {
    DemandRequest {
        scenario: f.choice("scenario"),
        chip_supply: f.choice("chip_supply"),
        efficiency: f.choice("efficiency"),
        lifespan_extension_quarters: f.parse("lifespan_extension_quarters", "must be a whole number of quarters"),
        server_mass_kg: f.number("server_mass_kg"),
        demand_csv: f.opt("demand_csv"),
        levers: levers(f),
    }
}

fn demand_chart(r: &DemandForecast) -> String {
    let years: Vec<i32> = r.years.iter().map(|y| y.year).collect();
    let waste: Vec<f64> = r.years.iter().map(|y| y.waste_t).collect();
    let scen: Vec<f64> = r.years.iter().filter_map(|y| y.scenario_waste_t).collect();
    let mut lines =
        vec![Line { label: "Waste (scenario columns)", values: &waste, color: chart::BASELINE, dashed: false }];
    if scen.len() == years.len() {
        lines.push(Line { label: "With the levers", values: &scen, color: chart::SCENARIO, dashed: true });
    }
    chart::svg("Generative-AI server waste per year, tonnes", "tonnes", &years, None, &lines)
}

async fn demand_page(
    req: &HttpRequest,
    state: &AppState,
    mut f: FormState,
    today: chrono::NaiveDate,
) -> PageResult<HttpResponse> {
    let format = format_of(&f);
    let input = demand_request(&mut f);
    let mut status = StatusCode::OK;
    let mut r = None;
    if f.has_errors() {
        status = StatusCode::UNPROCESSABLE_ENTITY;
    } else {
        match forecast::demand(&state.db, &state.forecast, input, today).await {
            Ok(out) => r = Some(out),
            Err(e) => status = absorb(&mut f, e)?,
        }
    }
    match (format, &r) {
        (Format::Csv, Some(out)) => {
            return Ok(csv(export::demand(out)?, "reloop-demand-forecast.csv"));
        }
        (Format::Json, Some(out)) => return json(out, "reloop-demand-forecast.json"),
        _ => {}
    }
    let page = DemandPage {
        l: Layout::new(req, "forecast"),
        scenarios: DemandScenario::ALL,
        chips: ChipSupply::ALL,
        paths: EfficiencyPath::ALL,
        chart: r.as_ref().map(demand_chart).unwrap_or_default(),
        r,
        form: f,
    };
    render(req, status, &page)
}

/// The paper's base scenario (or the scenario the query names).
pub async fn demand_form(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    demand_page(&req, &state, FormState::new(query_map(&req)), me.ctx().now.date_naive()).await
}

pub async fn demand(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    demand_page(&req, &state, FormState::new(form), me.ctx().now.date_naive()).await
}

#[derive(Template)]
#[template(path = "forecast/lifespans.html")]
pub struct LifespansPage {
    l: Layout,
    r: Lifespans,
}

pub async fn lifespans(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    let r = forecast::lifespans(&state.db, &state.forecast, me.ctx().now.date_naive()).await?;
    render(&req, StatusCode::OK, &LifespansPage { l: Layout::new(&req, "forecast"), r })
}

/// The shipped scenario table, the template of a demand curve of your own.
pub async fn demand_table() -> HttpResponse {
    csv(refdata::DEMAND_CSV.to_owned(), "genai_demand_scenarios.csv")
}
