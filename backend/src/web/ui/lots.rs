//! End-of-life pages: recycling lots (the list with a new-lot form; a lot's page, where it
//! is built, shipped, handed on and reported), and the reference factors behind the
//! estimate (an admin sets them).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, Utc};

use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use super::views::{input_num, pager_links, query_map};
use crate::error::AppError;
use crate::ids::{AssetId, LotId};
use crate::recycling::{
    self, AddItems, BinPart, Factor, Lot, LotDetail, LotPatch, LotQuery, MaterialRow, NewCustody, NewLot, NewReport,
    Recovered, RemoveItems, SetFactor, ShipLot,
};
use crate::rules::{FactorKind, LotStatus, Material, TreatmentRoute};
use crate::vendors::{self, Vendor};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;
/// A form whose checkboxes repeat a name (`asset_ids`).
type Pairs = FormBody<Vec<(String, String)>>;

/// Form state from repeated pairs (the last value of a name wins) and the values of `many`.
fn split_pairs(pairs: Vec<(String, String)>, many: &str) -> (FormState, Vec<String>) {
    let repeated: Vec<String> = pairs.iter().filter(|(k, _)| k == many).map(|(_, v)| v.clone()).collect();
    (FormState::new(pairs.into_iter().filter(|(k, _)| k != many).collect()), repeated)
}

/// Masses as the lot page shows them: kilograms, grams below one kilogram.
pub fn mass(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.1} kg")
    } else if a >= 1.0 {
        format!("{v:.2} kg")
    } else if a >= 0.001 {
        format!("{:.1} g", v * 1000.0)
    } else if a == 0.0 {
        "0 kg".into()
    } else {
        format!("{:.2} mg", v * 1_000_000.0)
    }
}

fn opt_mass(v: &Option<f64>) -> String {
    v.map(mass).unwrap_or_else(|| "—".into())
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// A vendor as a select's option names it.
fn vendor_label(v: &Vendor) -> String {
    let note = if v.standing.certified { "" } else { ", no valid certification" };
    format!("{} ({}{note})", v.name, v.country)
}

// ---------------------------------------------------------------------------------- lots

#[derive(Template)]
#[template(path = "eol/lots.html")]
pub struct ListPage {
    l: Layout,
    filters: FormState,
    form: FormState,
    statuses: &'static [LotStatus],
    routes: &'static [TreatmentRoute],
    vendors: Vec<Vendor>,
    lots: Vec<Lot>,
    first_url: Option<String>,
    next_url: Option<String>,
    error: Option<String>,
}

impl ListPage {
    fn vendor_name(&self, lot: &Lot) -> String {
        lot.vendor_id
            .and_then(|v| self.vendors.iter().find(|x| x.id == v))
            .map(|v| v.name.clone())
            .unwrap_or_else(|| "—".into())
    }

    fn net(&self, lot: &Lot) -> String {
        opt_mass(&lot.net_kg)
    }

    fn vendor_label(&self, v: &Vendor) -> String {
        vendor_label(v)
    }

    /// Whether the refused new-lot form asks to confirm an uncertified vendor.
    fn ask_accept(&self) -> bool {
        self.form.err("accept_uncertified").is_some() || self.form.val("accept_uncertified") == "1"
    }
}

async fn list_page(req: &HttpRequest, state: &AppState, form: FormState) -> Result<(ListPage, bool), AppError> {
    let mut f = FormState::new(query_map(req));
    let q = LotQuery { status: f.choice("status"), vendor_id: None, cursor: f.opt("cursor"), limit: Some(100) };
    let conn = state.db.conn();
    let mut page = ListPage {
        l: Layout::new(req, "eol"),
        filters: FormState::default(),
        form,
        statuses: LotStatus::ALL,
        routes: TreatmentRoute::ALL,
        vendors: vendors::list(conn).await?,
        lots: Vec::new(),
        first_url: None,
        next_url: None,
        error: None,
    };
    if f.has_errors() {
        page.error = Some(f.errors_line());
        page.filters = f;
        return Ok((page, false));
    }
    let result = recycling::list(conn, &q).await?;
    page.lots = result.items;
    (page.first_url, page.next_url) =
        pager_links("/lots", &f, &["status"], q.cursor.is_some(), result.next_cursor.as_deref());
    page.filters = f;
    Ok((page, true))
}

pub async fn list(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let (page, fine) =
        list_page(&req, &state, FormState::default().with("route", TreatmentRoute::ALL[0].as_str())).await?;
    render(&req, if fine { StatusCode::OK } else { StatusCode::BAD_REQUEST }, &page)
}

pub async fn create(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = NewLot {
        reference: f.opt("reference"),
        vendor_id: f.parse("vendor_id", "is not a known vendor"),
        route: f.choice("route"),
        planned_ship_on: f.date("planned_ship_on"),
        note: f.opt("note"),
        accept_uncertified: f.val("accept_uncertified") == "1",
    };
    match f.submit(recycling::create(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(lot) => {
            Ok(done(&format!("/lots/{}", lot.id), &format!("Lot {} opened: add items to it", lot.number)))
        }
        Submitted::Refused(status) => render(&req, status, &list_page(&req, &state, f).await?.0),
    }
}

/// The forms of a lot's page, each as typed when it was refused.
#[derive(Default)]
pub struct Forms {
    edit: Option<FormState>,
    add: Option<FormState>,
    remove: Option<FormState>,
    ship: Option<FormState>,
    custody: Option<FormState>,
    report: Option<FormState>,
}

#[derive(Template)]
#[template(path = "eol/lot.html")]
pub struct LotPage {
    l: Layout,
    d: LotDetail,
    vendors: Vec<Vendor>,
    routes: &'static [TreatmentRoute],
    materials: &'static [Material],
    bin: Vec<BinPart>,
    bin_total: usize,
    edit: FormState,
    add: FormState,
    remove: FormState,
    ship: FormState,
    custody: FormState,
    report: FormState,
}

impl LotPage {
    fn is_open(&self) -> bool {
        self.d.lot.status == LotStatus::Open
    }

    fn is_shipped(&self) -> bool {
        self.d.lot.status == LotStatus::Shipped
    }

    fn kgs(&self, v: &f64) -> String {
        mass(*v)
    }

    fn okgs(&self, v: &Option<f64>) -> String {
        opt_mass(v)
    }

    fn pct(&self, v: &f64) -> String {
        pct(*v)
    }

    fn yield_text(&self, r: &MaterialRow) -> String {
        r.yield_fraction.map(pct).unwrap_or_else(|| "—".into())
    }

    fn gap_class(&self, r: &MaterialRow) -> &'static str {
        match (r.gap_kg, r.expected_recovery_kg) {
            (Some(g), Some(e)) if e > 0.0 && g < -0.2 * e => "short",
            _ => "",
        }
    }

    /// Whether shipping needs the uncertified vendor confirmed.
    fn needs_accept(&self) -> bool {
        self.d.vendor.as_ref().is_some_and(|v| !v.standing.certified) && self.d.lot.vendor_accepted_by.is_none()
    }

    fn needs_override(&self) -> bool {
        self.d.warnings.iter().any(|w| w.code == "export")
    }

    fn report_field(&self, m: &Material) -> String {
        format!("kg_{}", m.as_str())
    }

    fn report_label(&self, m: &Material) -> String {
        format!("{} recovered (kg)", m.label())
    }

    fn vendor_label(&self, v: &Vendor) -> String {
        vendor_label(v)
    }
}

async fn lot_page(req: &HttpRequest, state: &AppState, id: LotId, forms: Forms) -> Result<LotPage, AppError> {
    let conn = state.db.conn();
    let d = recycling::detail(conn, id).await?;
    let lot = &d.lot;
    let version = lot.version.to_string();
    let edit = forms.edit.unwrap_or_else(|| {
        FormState::default()
            .with("reference", lot.reference.clone())
            .with("vendor_id", lot.vendor_id.map(|v| v.to_string()).unwrap_or_default())
            .with("route", lot.route.map(|r| r.as_str()).unwrap_or_default())
            .with("planned_ship_on", lot.planned_ship_on.map(|d| d.to_string()).unwrap_or_default())
            .with("gross_kg", input_num(lot.gross_kg))
            .with("tare_kg", input_num(lot.tare_kg))
            .with("transport_doc", lot.transport_doc.clone())
            .with("note", lot.note.clone())
    });
    let ship = forms.ship.unwrap_or_else(|| {
        FormState::default()
            .with("gross_kg", input_num(lot.gross_kg))
            .with("tare_kg", input_num(lot.tare_kg))
            .with("transport_doc", lot.transport_doc.clone())
            .with("shipped_on", Utc::now().date_naive().to_string())
    });
    let custody = forms
        .custody
        .unwrap_or_else(|| FormState::default().with("occurred_at", Utc::now().format("%Y-%m-%dT%H:%M").to_string()));
    let (bin, bin_total) =
        if lot.status == LotStatus::Open { recycling::bin_parts(conn, 200).await? } else { (Vec::new(), 0) };
    let vendors = if lot.status == LotStatus::Open { vendors::list(conn).await? } else { Vec::new() };
    let with_version = |f: FormState| f.with("version", version.clone());
    Ok(LotPage {
        l: Layout::new(req, "eol"),
        vendors,
        routes: TreatmentRoute::ALL,
        materials: Material::ALL,
        bin,
        bin_total,
        edit: with_version(edit),
        add: with_version(forms.add.unwrap_or_default()),
        remove: with_version(forms.remove.unwrap_or_default()),
        ship: with_version(ship),
        custody,
        report: with_version(forms.report.unwrap_or_default()),
        d,
    })
}

pub async fn show(req: HttpRequest, state: Data<AppState>, id: Path<LotId>) -> PageResult<HttpResponse> {
    ok(&req, &lot_page(&req, &state, *id, Forms::default()).await?)
}

/// Keeps the version the form was drawn with (the page refreshes the others).
fn keep_version(mut f: FormState, sent: Option<i32>) -> FormState {
    if let Some(v) = sent {
        f.values.insert("version".into(), v.to_string());
    }
    f
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version");
    let patch = LotPatch {
        version: version.unwrap_or(0),
        reference: Some(f.text("reference")),
        vendor_id: Some(f.parse("vendor_id", "is not a known vendor")),
        route: Some(f.choice("route")),
        planned_ship_on: Some(f.date("planned_ship_on")),
        gross_kg: Some(f.number("gross_kg")),
        tare_kg: Some(f.number("tare_kg")),
        transport_doc: Some(f.text("transport_doc")),
        note: Some(f.text("note")),
        accept_uncertified: f.val("accept_uncertified") == "1",
    };
    match f.submit(recycling::update(&state.db, &me.ctx(), *id, patch)).await? {
        Submitted::Done(lot) => Ok(done(&format!("/lots/{}", lot.id), &format!("Lot {} saved", lot.number))),
        Submitted::Refused(status) => {
            let forms = Forms { edit: Some(keep_version(f, version)), ..Default::default() };
            render(&req, status, &lot_page(&req, &state, *id, forms).await?)
        }
    }
}

fn asset_ids(f: &mut FormState, field: &str, raw: &[String]) -> Vec<AssetId> {
    let mut out = Vec::new();
    for v in raw {
        match v.parse() {
            Ok(id) => out.push(id),
            Err(_) => f.fail(field, format!("{v:?} is not an item id")),
        }
    }
    out
}

pub async fn add_items(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    FormBody(pairs): Pairs,
) -> PageResult<HttpResponse> {
    let (mut f, raw) = split_pairs(pairs, "asset_ids");
    let version = f.int("version");
    let ids = asset_ids(&mut f, "asset_ids", &raw);
    let codes: Vec<String> =
        f.text("codes").lines().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect();
    let input = AddItems {
        version: version.unwrap_or(0),
        asset_ids: ids,
        codes,
        from_recycling_bin: f.val("from_recycling_bin") == "1",
    };
    match f.submit(recycling::add_items(&state.db, &me.ctx(), *id, input)).await? {
        Submitted::Done(c) => Ok(done(
            &format!("/lots/{}#items", c.lot.id),
            &format!("{} item(s) added to lot {}", c.changed, c.lot.number),
        )),
        Submitted::Refused(status) => {
            // Errors about single codes show on the codes field.
            let keys: Vec<String> = f.errors.keys().filter(|k| k.starts_with("codes[")).cloned().collect();
            for k in keys {
                if let Some(m) = f.errors.remove(&k) {
                    f.fail("codes", m);
                }
            }
            let forms = Forms { add: Some(keep_version(f, version)), ..Default::default() };
            render(&req, status, &lot_page(&req, &state, *id, forms).await?)
        }
    }
}

pub async fn remove_items(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    FormBody(pairs): Pairs,
) -> PageResult<HttpResponse> {
    let (mut f, raw) = split_pairs(pairs, "asset_ids");
    let version = f.int("version");
    let ids = asset_ids(&mut f, "asset_ids", &raw);
    let input = RemoveItems { version: version.unwrap_or(0), asset_ids: ids };
    match f.submit(recycling::remove_items(&state.db, &me.ctx(), *id, input)).await? {
        Submitted::Done(c) => Ok(done(
            &format!("/lots/{}#items", c.lot.id),
            &format!("{} item(s) taken out of lot {}", c.changed, c.lot.number),
        )),
        Submitted::Refused(status) => {
            let forms = Forms { remove: Some(keep_version(f, version)), ..Default::default() };
            render(&req, status, &lot_page(&req, &state, *id, forms).await?)
        }
    }
}

pub async fn ship(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version");
    let input = ShipLot {
        version: version.unwrap_or(0),
        gross_kg: f.number("gross_kg"),
        tare_kg: f.number("tare_kg"),
        transport_doc: f.opt("transport_doc"),
        shipped_on: f.date("shipped_on"),
        accept_uncertified: f.val("accept_uncertified") == "1",
        export_override_reason: f.opt("export_override_reason"),
    };
    match f.submit(recycling::ship(&state.db, &me.ctx(), *id, input)).await? {
        Submitted::Done(lot) => Ok(done(
            &format!("/lots/{}", lot.id),
            &format!(
                "Lot {} shipped: {} item(s) and part(s) are in recycling",
                lot.number,
                lot.contents_count.unwrap_or(0)
            ),
        )),
        Submitted::Refused(status) => {
            let forms = Forms { ship: Some(keep_version(f, version)), ..Default::default() };
            render(&req, status, &lot_page(&req, &state, *id, forms).await?)
        }
    }
}

/// A `datetime-local` value, read as UTC.
fn when(f: &mut FormState, field: &str) -> Option<chrono::DateTime<Utc>> {
    let v = f.opt(field)?;
    let parsed = NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M"));
    match parsed {
        Ok(t) => Some(t.and_utc()),
        Err(_) => {
            f.fail(field, "must be a date and time such as 2026-05-04T14:30 (UTC)");
            None
        }
    }
}

pub async fn add_custody(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = NewCustody {
        handed_over_by: f.text("handed_over_by"),
        received_by: f.text("received_by"),
        organisation: f.text("organisation"),
        place: f.text("place"),
        occurred_at: when(&mut f, "occurred_at"),
        note: f.opt("note"),
    };
    if input.occurred_at.is_none() && f.err("occurred_at").is_none() {
        f.fail("occurred_at", "when the hand-off happened is required");
    }
    match f.submit(recycling::add_custody(&state.db, &me.ctx(), *id, input)).await? {
        Submitted::Done(e) => Ok(done(
            &format!("/lots/{id}#custody"),
            &format!("Hand-off {} recorded: {} to {}", e.ordinal, e.handed_over_by, e.received_by),
        )),
        Submitted::Refused(status) => {
            let forms = Forms { custody: Some(f), ..Default::default() };
            render(&req, status, &lot_page(&req, &state, *id, forms).await?)
        }
    }
}

pub async fn recovery(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<LotId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version");
    let mut materials = Vec::new();
    let mut names: Vec<String> = f.values.keys().filter(|k| k.starts_with("kg_")).cloned().collect();
    names.sort();
    for name in names {
        let code = name.trim_start_matches("kg_");
        match Material::parse(code) {
            Some(m) => {
                if let Some(kg) = f.number(&name) {
                    materials.push(Recovered { material: m, kg });
                }
            }
            None => f.fail(
                "materials",
                format!("{code:?} is not a material reloop reports: one of {}", Material::expected()),
            ),
        }
    }
    let input = NewReport {
        version: version.unwrap_or(0),
        certificate_id: f.text("certificate_id"),
        certificate_date: f.date("certificate_date"),
        materials,
        energy_recovery_kg: f.number("energy_recovery_kg").unwrap_or(0.0),
        disposal_kg: f.number("disposal_kg").unwrap_or(0.0),
        note: f.opt("note"),
    };
    match f.submit(recycling::enter_report(&state.db, &me.ctx(), *id, input)).await? {
        Submitted::Done(lot) => Ok(done(
            &format!("/lots/{}#recovery", lot.id),
            &format!("Recovery report entered: lot {} is recovered", lot.number),
        )),
        Submitted::Refused(status) => {
            // Errors on one material line (`materials[2].kg`) show on the report as a whole.
            let keys: Vec<String> = f.errors.keys().filter(|k| k.starts_with("materials[")).cloned().collect();
            for k in keys {
                if let Some(m) = f.errors.remove(&k) {
                    f.fail("materials", m);
                }
            }
            let forms = Forms { report: Some(keep_version(f, version)), ..Default::default() };
            render(&req, status, &lot_page(&req, &state, *id, forms).await?)
        }
    }
}

// ------------------------------------------------------------------------------- factors

#[derive(Template)]
#[template(path = "eol/factors.html")]
pub struct FactorsPage {
    l: Layout,
    groups: Vec<(FactorKind, String, Vec<Factor>)>,
    form: FormState,
    kinds: &'static [FactorKind],
    materials: &'static [Material],
    can_edit: bool,
}

impl FactorsPage {
    fn is_content(&self, k: &FactorKind) -> bool {
        *k == FactorKind::Content
    }

    /// A factor to six significant places, without trailing zeros (derived factors carry
    /// float noise: 0.016274999999999998).
    fn value(&self, v: &f64) -> String {
        let digits = (6 - v.abs().max(1e-12).log10().floor() as i32 - 1).clamp(0, 12) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
    }
}

async fn factors_page(req: &HttpRequest, state: &AppState, form: FormState) -> Result<FactorsPage, AppError> {
    let mut groups: Vec<(FactorKind, String, Vec<Factor>)> = Vec::new();
    for f in recycling::factors::list(state.db.conn()).await? {
        match groups.iter_mut().find(|(k, s, _)| *k == f.kind && *s == f.subject) {
            Some(g) => g.2.push(f),
            None => groups.push((f.kind, f.subject.clone(), vec![f])),
        }
    }
    let l = Layout::new(req, "eol");
    let can_edit = l.user.as_ref().is_some_and(|u| u.role.allows(crate::rules::Permission::ManageFactors));
    Ok(FactorsPage { l, groups, form, kinds: FactorKind::ALL, materials: Material::ALL, can_edit })
}

/// The factors, with the edit form filled from `?kind=&subject=&material=` (a row's Edit).
pub async fn factors(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let q = FormState::new(query_map(&req));
    let mut form = FormState::default().with("version", "0").with("kind", "content");
    if let (Some(k), Some(s), Some(m)) = (q.opt("kind"), q.opt("subject"), q.opt("material")) {
        form = form.with("kind", k.clone()).with("subject", s.clone()).with("material", m.clone());
        let found = recycling::factors::list(state.db.conn())
            .await?
            .into_iter()
            .find(|f| f.kind.as_str() == k && f.subject == s && f.material.as_str() == m);
        if let Some(f) = found {
            form =
                form.with("value", f.value.to_string()).with("source", f.source).with("version", f.version.to_string());
        }
    }
    ok(&req, &factors_page(&req, &state, form).await?)
}

pub async fn set_factor(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let kind = f.choice("kind");
    let material = f.choice("material");
    let value = f.number("value");
    let version = f.int("version").unwrap_or(0);
    for (field, missing) in [("kind", kind.is_none()), ("material", material.is_none()), ("value", value.is_none())] {
        if missing && f.err(field).is_none() {
            f.fail(field, "is required");
        }
    }
    let (Some(kind), Some(material), Some(value)) = (kind, material, value) else {
        return render(&req, StatusCode::UNPROCESSABLE_ENTITY, &factors_page(&req, &state, f).await?);
    };
    let input = SetFactor { kind, subject: f.text("subject"), material, value, source: f.text("source"), version };
    match f.submit(recycling::factors::set(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(x) => Ok(done(
            "/recycling-factors",
            &format!("{} {} {} set to {} {}", x.kind.as_str(), x.subject, x.material.as_str(), x.value, x.unit),
        )),
        Submitted::Refused(status) => render(&req, status, &factors_page(&req, &state, f).await?),
    }
}
