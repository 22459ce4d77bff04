//! Sanitization pages: the station (open a batch, scan devices one after another), single
//! records, and printable certificates per device and per batch.

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use super::views::query_map;
use crate::error::AppError;
use crate::rules::{MethodClass, Technique, Verification, WorkStatus};
use crate::sanitization::{self, Batch, BatchDetail, BatchQuery, BatchScan, NewBatch, NewRecord, Record, RecordQuery};
use crate::sites::{self, Site};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

#[derive(Template)]
#[template(path = "sanitization/index.html")]
pub struct StationPage {
    l: Layout,
    batch_form: FormState,
    record_form: FormState,
    classes: &'static [MethodClass],
    techniques: &'static [Technique],
    verifications: &'static [Verification],
    sites: Vec<Site>,
    open: Vec<Batch>,
    recent: Vec<Record>,
}

async fn station(
    req: &HttpRequest,
    state: &AppState,
    batch_form: FormState,
    record_form: FormState,
) -> Result<StationPage, AppError> {
    let conn = state.db.conn();
    let open_q = BatchQuery { status: Some(WorkStatus::Open), limit: Some(50), cursor: None };
    Ok(StationPage {
        l: Layout::new(req, "bench"),
        batch_form,
        record_form,
        classes: MethodClass::ALL,
        techniques: Technique::ALL,
        verifications: Verification::ALL,
        sites: sites::list(conn).await?,
        open: sanitization::batches(conn, &open_q).await?.items,
        recent: sanitization::records(conn, &RecordQuery { limit: Some(20), ..Default::default() }).await?.items,
    })
}

pub async fn index(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let q = query_map(&req);
    let record_form = FormState::default()
        .with("asset_code", q.get("asset").cloned().unwrap_or_default())
        .with("verification", "full");
    let batch_form = FormState::default().with("verification", "full");
    ok(&req, &station(&req, &state, batch_form, record_form).await?)
}

pub async fn open_batch(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = NewBatch {
        method_class: f.choice("method_class"),
        technique: f.choice("technique"),
        tool: f.opt("tool"),
        tool_version: f.opt("tool_version"),
        operator: f.opt("operator"),
        verification: f.choice("verification"),
        sample_share: f.number("sample_share"),
        site_id: f.parse("site_id", "is not a known site"),
    };
    match f.submit(sanitization::open_batch(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(b) => Ok(done(
            &format!("/sanitization/batches/{}", b.id),
            &format!("Batch {} open: scan the first device", b.number),
        )),
        Submitted::Refused(status) => render(&req, status, &station(&req, &state, f, FormState::default()).await?),
    }
}

pub async fn create_record(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = NewRecord {
        asset_id: None,
        asset_code: f.opt("asset_code"),
        method_class: f.choice("method_class"),
        technique: f.choice("technique"),
        tool: f.opt("tool"),
        tool_version: f.opt("tool_version"),
        operator: f.opt("operator"),
        started_at: None,
        ended_at: None,
        verification: f.choice("verification"),
        sample_share: f.number("sample_share"),
        result: f.choice("result"),
        certificate_id: f.opt("certificate_id"),
        notes: f.opt("notes"),
    };
    match f.submit(sanitization::add_record(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(r) => Ok(done(
            &format!("/sanitization/records/{}", r.id),
            &format!(
                "{}: sanitization {} (certificate {})",
                r.device_tag,
                r.result.label().to_lowercase(),
                r.certificate_id
            ),
        )),
        Submitted::Refused(status) => {
            if let Some(e) = f.errors.remove("asset_id") {
                f.fail("asset_code", e);
            }
            render(&req, status, &station(&req, &state, FormState::default(), f).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "sanitization/batch.html")]
pub struct BatchPage {
    l: Layout,
    b: BatchDetail,
    form: FormState,
}

impl BatchPage {
    fn is_open(&self) -> bool {
        self.b.batch.status == WorkStatus::Open
    }
}

async fn batch_page(
    req: &HttpRequest,
    state: &AppState,
    id: uuid::Uuid,
    form: FormState,
) -> Result<BatchPage, AppError> {
    Ok(BatchPage { l: Layout::new(req, "bench"), b: sanitization::batch(state.db.conn(), id).await?, form })
}

pub async fn show_batch(req: HttpRequest, state: Data<AppState>, id: Path<uuid::Uuid>) -> PageResult<HttpResponse> {
    ok(&req, &batch_page(&req, &state, *id, FormState::default().with("result", "passed")).await?)
}

pub async fn scan(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<uuid::Uuid>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = BatchScan { code: f.text("code"), result: f.choice("result"), notes: f.opt("notes") };
    match f.submit(sanitization::scan(&state.db, &me.ctx(), *id, input)).await? {
        Submitted::Done(r) => Ok(done(
            &format!("/sanitization/batches/{id}#station"),
            &format!("{}: {} · certificate {}", r.device_tag, r.result.label().to_lowercase(), r.certificate_id),
        )),
        Submitted::Refused(status) => render(&req, status, &batch_page(&req, &state, *id, f).await?),
    }
}

pub async fn close_batch(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<uuid::Uuid>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version").unwrap_or(0);
    match f.submit(sanitization::close_batch(&state.db, &me.ctx(), *id, version)).await? {
        Submitted::Done(b) => {
            Ok(done(&format!("/sanitization/batches/{}", b.id), &format!("Batch {} closed", b.number)))
        }
        Submitted::Refused(status) => render(&req, status, &batch_page(&req, &state, *id, f).await?),
    }
}

#[derive(Template)]
#[template(path = "sanitization/certificate.html")]
pub struct CertificatePage {
    l: Layout,
    records: Vec<Record>,
    batch: Option<Batch>,
    title: String,
}

pub async fn certificate(req: HttpRequest, state: Data<AppState>, id: Path<uuid::Uuid>) -> PageResult<HttpResponse> {
    let r = sanitization::record(state.db.conn(), *id).await?;
    let title = format!("Certificate of sanitization {}", r.certificate_id);
    ok(&req, &CertificatePage { l: Layout::new(&req, "bench"), records: vec![r], batch: None, title })
}

pub async fn batch_certificate(
    req: HttpRequest,
    state: Data<AppState>,
    id: Path<uuid::Uuid>,
) -> PageResult<HttpResponse> {
    let b = sanitization::batch(state.db.conn(), *id).await?;
    let title = format!("Certificate of sanitization, batch {}", b.batch.number);
    ok(&req, &CertificatePage { l: Layout::new(&req, "bench"), records: b.records, batch: Some(b.batch), title })
}
