//! The harvest bench (a dismantle job's sheet, at scanner speed), the pools, and the
//! reuse figures.
//!
//! The bench form works by post/redirect without JavaScript; `static/app.js` submits it
//! in the background and swaps the page's main region, so focus returns to the serial
//! field without a reload.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::flash::done;
use super::forms::{FormState, Submitted, refusal};
use super::layout::{Layout, ok, render};
use super::repairs::on_code_field;
use super::views::query_map;
use crate::catalog::{self, HardwareModel, ModelQuery};
use crate::error::AppError;
use crate::harvest::{
    self, CloseJob, FoundPart, JobDetail, Line, NewJob, PoolQuery, PoolView, RecordPart, ReuseFigures, ReuseQuery,
};
use crate::ids::JobId;
use crate::rules::{
    AssetKind, CosmeticGrade, Destination, FunctionalGrade, Grade, RetailGrade, TestResult, WorkStatus,
};
use crate::sites::{self, Site};
use crate::text;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

/// Opens a dismantle job; a refusal shows on the bench hub's form.
pub async fn open(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = NewJob {
        asset_id: f.parse("asset_id", "is not a valid id"),
        asset_code: f.opt("asset_code"),
        note: f.opt("note"),
        repair_id: f.parse("repair_id", "is not a valid id"),
    };
    match f.submit(harvest::open(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(j) => Ok(done(
            &format!("/dismantle/{}", j.id),
            &format!("Dismantle job {} opened: scan the first part", j.number),
        )),
        // The hub shows the refusal on its dismantle form, with what was typed.
        Submitted::Refused(status) => {
            on_code_field(&mut f);
            render(&req, status, &super::repairs::hub_page(&req, &state, FormState::default(), f).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "bench/job.html")]
pub struct JobPage {
    l: Layout,
    j: JobDetail,
    form: FormState,
    tests: &'static [TestResult],
    destinations: &'static [Destination],
    functional: &'static [FunctionalGrade],
    cosmetic: &'static [CosmeticGrade],
    retail: &'static [RetailGrade],
    kinds: &'static [AssetKind],
    models: Vec<HardwareModel>,
    /// The scanned code is unknown: show the found-part fields, focused.
    ask_found: bool,
}

impl JobPage {
    fn is_open(&self) -> bool {
        self.j.job.status == WorkStatus::Open
    }

    /// The keys a scan of this line matches (tag and serial, as `text::key` folds them).
    fn codes(&self, line: &Line) -> String {
        [line.asset_tag.as_deref(), line.serial.as_deref()]
            .into_iter()
            .flatten()
            .map(text::key)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn remaining(&self) -> usize {
        self.j.lines.len() - self.j.recorded
    }
}

async fn job_page(req: &HttpRequest, state: &AppState, id: JobId, form: FormState) -> Result<JobPage, AppError> {
    let conn = state.db.conn();
    let ask_found = form.err("code").is_some_and(|e| e.starts_with("no item has"));
    Ok(JobPage {
        l: Layout::new(req, "bench"),
        j: harvest::detail(conn, id).await?,
        tests: TestResult::ALL,
        destinations: Destination::ALL,
        functional: FunctionalGrade::ALL,
        cosmetic: CosmeticGrade::ALL,
        retail: RetailGrade::ALL,
        kinds: AssetKind::ALL,
        models: if ask_found {
            catalog::list(conn, &ModelQuery { limit: Some(500), ..Default::default() }).await?.items
        } else {
            Vec::new()
        },
        form,
        ask_found,
    })
}

pub async fn show(req: HttpRequest, state: Data<AppState>, id: Path<JobId>) -> PageResult<HttpResponse> {
    let form = FormState::default().with("test_result", "passed");
    ok(&req, &job_page(&req, &state, *id, form).await?)
}

/// Records one part; on success back to the sheet (focus on the serial field again).
pub async fn record(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<JobId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let found = f.choice::<AssetKind>("found_kind").map(|kind| FoundPart {
        kind: Some(kind),
        model_id: f.parse("found_model_id", "is not a known model"),
        manufacturer: f.opt("found_manufacturer"),
    });
    let input = RecordPart {
        code: f.opt("code"),
        line_id: f.parse("line_id", "is not a line of this job"),
        test_result: f.choice("test_result"),
        grade: Grade {
            functional: f.choice("grade_functional"),
            cosmetic: f.choice("grade_cosmetic"),
            retail: f.choice("grade_retail"),
        },
        mass_kg: f.number("mass_kg"),
        destination: f.choice("destination"),
        missing: f.val("missing") == "1",
        found,
        version: None,
    };
    match f.submit(harvest::record(&state.db, &me.ctx(), *id, input)).await? {
        Submitted::Done(r) => {
            let l = &r.line;
            let what = if l.missing {
                "missing".to_owned()
            } else {
                format!(
                    "{} → {}",
                    l.test_result.map(|t| t.label().to_lowercase()).unwrap_or_default(),
                    l.destination.map(|d| d.label().to_lowercase()).unwrap_or_default()
                )
            };
            let tag = l.asset_tag.clone().unwrap_or_else(|| format!("line {}", l.ordinal + 1));
            let left = if r.remaining == 0 {
                "every part is recorded: close the job".to_owned()
            } else {
                format!("{} to go", r.remaining)
            };
            let reg = if r.registered { " (registered as found)" } else { "" };
            Ok(done(&format!("/dismantle/{id}#bench"), &format!("{tag}{reg}: {what} · {left}")))
        }
        Submitted::Refused(status) => {
            let status = if status.is_server_error() { StatusCode::UNPROCESSABLE_ENTITY } else { status };
            render(&req, status, &job_page(&req, &state, *id, f).await?)
        }
    }
}

pub async fn close(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<JobId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version");
    let input = CloseJob { version: version.unwrap_or(0) };
    match harvest::close(&state.db, &me.ctx(), *id, input).await {
        Ok(j) => Ok(done(
            &format!("/dismantle/{}", j.id),
            &format!("Job {} closed: the parts are standalone items in their destinations", j.number),
        )),
        Err(e) => {
            let (status, e) = refusal(e)?;
            f.general = Some(e.to_string());
            render(&req, status, &job_page(&req, &state, *id, f).await?)
        }
    }
}

// ---------------------------------------------------------------------------------- pools

#[derive(Template)]
#[template(path = "bench/pool.html")]
pub struct PoolPage {
    l: Layout,
    p: PoolView,
    pools: &'static [Destination],
}

pub async fn pool(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let mut f = FormState::new(query_map(&req));
    let q = PoolQuery {
        pool: f.choice("pool"),
        kind: f.choice("kind"),
        model_id: f.parse("model_id", "is not a known model"),
    };
    if let Some((k, v)) = f.errors.iter().next() {
        return Err(AppError::invalid(k.clone(), v.clone()).into());
    }
    let p = harvest::pool(state.db.conn(), &q).await?;
    ok(&req, &PoolPage { l: Layout::new(&req, "bench"), p, pools: Destination::ALL })
}

// ---------------------------------------------------------------------------------- reuse

#[derive(Template)]
#[template(path = "bench/reuse.html")]
pub struct ReusePage {
    l: Layout,
    f: Option<ReuseFigures>,
    form: FormState,
    sites: Vec<Site>,
    error: Option<String>,
}

fn pct(v: &Option<f64>) -> String {
    v.map(|x| format!("{:.1} %", x * 100.0)).unwrap_or_else(|| "—".into())
}

impl ReusePage {
    fn pct(&self, v: &Option<f64>) -> String {
        pct(v)
    }
}

pub async fn reuse(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let mut f = FormState::new(query_map(&req));
    let q = ReuseQuery { from: f.date("from"), to: f.date("to"), site_id: f.parse("site_id", "is not a known site") };
    let conn = state.db.conn();
    let mut page = ReusePage {
        l: Layout::new(&req, "bench"),
        f: None,
        form: FormState::default(),
        sites: sites::list(conn).await?,
        error: None,
    };
    if f.has_errors() {
        page.error = Some(f.errors_line());
        page.form = f;
        return render(&req, StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    match harvest::figures(conn, &q).await {
        Ok(fig) => {
            f = f.with("from", fig.from.to_string()).with("to", fig.to.to_string());
            page.f = Some(fig);
        }
        Err(e @ AppError::Invalid(_)) => page.error = Some(e.to_string()),
        Err(e) => return Err(e.into()),
    }
    page.form = f;
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(&req, status, &page)
}
