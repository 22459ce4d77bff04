//! Next-life pages: an item's suggestions with every option explained (and accepting one),
//! the fleet's items due for a decision (filters, totals, CSV), and the policy itself
//! (read by everyone; checked, dry-run and saved by admins).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use super::views::{pager_links, query_map};
use crate::error::AppError;
use crate::ids::AssetId;
use crate::policy::{
    self, Accept, DryRun, FleetQuery, FleetRow, FleetTotals, PolicyDraft, PolicyVersion, RunInfo, Suggestions,
};
use crate::rules::{AssetKind, Disposition, DueReason};
use crate::sites::Site;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

#[derive(Template)]
#[template(path = "policy/next_life.html")]
struct NextLifePage {
    l: Layout,
    s: Suggestions,
    error: Option<String>,
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub async fn next_life(req: HttpRequest, state: Data<AppState>, id: Path<AssetId>) -> PageResult<HttpResponse> {
    let s = policy::suggestions(state.db.conn(), *id, today()).await?;
    ok(&req, &NextLifePage { l: Layout::new(&req, "policy"), s, error: None })
}

pub async fn accept(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = Accept {
        disposition: f.choice("disposition"),
        tier: f.choice("tier"),
        site_id: f.parse("site_id", "is not a site id"),
        policy_version: f.int("policy_version"),
        asset_version: f.int("asset_version"),
        reason: f.opt("reason"),
    };
    match f.submit(policy::accept(&state.db, &me.ctx(), *id, input)).await? {
        Submitted::Done(a) => {
            let msg = match a.job_id {
                Some(_) => format!("{}: {} (dismantle job opened)", a.asset_tag, a.did),
                None => format!("{}: {}", a.asset_tag, a.did),
            };
            let to = a.job_id.map_or_else(|| format!("/assets/{}", a.asset_id), |j| format!("/dismantle/{j}"));
            Ok(done(&to, &msg))
        }
        Submitted::Refused(status) => {
            let s = policy::suggestions(state.db.conn(), *id, today()).await?;
            let error = f.general.clone().or_else(|| (!f.errors.is_empty()).then(|| f.errors_line()));
            render(&req, status, &NextLifePage { l: Layout::new(&req, "policy"), s, error })
        }
    }
}

#[derive(Template)]
#[template(path = "policy/fleet.html")]
struct FleetPage {
    l: Layout,
    form: FormState,
    run: Option<RunInfo>,
    totals: FleetTotals,
    rows: Vec<FleetRow>,
    filtered: bool,
    first_url: Option<String>,
    next_url: Option<String>,
    query: String,
    dispositions: &'static [Disposition],
    kinds: &'static [AssetKind],
    reasons: &'static [DueReason],
    sites: Vec<Site>,
    error: Option<String>,
}

const FILTERS: &[&str] = &["disposition", "kind", "site", "due"];

fn fleet_query(f: &mut FormState) -> FleetQuery {
    FleetQuery {
        disposition: f.choice("disposition"),
        kind: f.choice("kind"),
        site: f.parse("site", "is not a site id"),
        due: f.choice("due"),
        cursor: f.parse("cursor", "is not a valid cursor"),
        limit: None,
    }
}

pub async fn fleet(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let mut f = FormState::new(query_map(&req));
    let q = fleet_query(&mut f);
    let conn = state.db.conn();
    let sites = crate::sites::list(conn).await?;
    let mut page = FleetPage {
        l: Layout::new(&req, "policy"),
        run: None,
        totals: FleetTotals::default(),
        rows: Vec::new(),
        filtered: FILTERS.iter().any(|k| !f.val(k).is_empty()),
        first_url: None,
        next_url: None,
        query: String::new(),
        dispositions: Disposition::ALL,
        kinds: AssetKind::ALL,
        reasons: DueReason::ALL,
        sites,
        error: f.has_errors().then(|| f.errors_line()),
        form: FormState::default(),
    };
    let filters: Vec<(String, String)> =
        FILTERS.iter().filter(|k| !f.val(k).is_empty()).map(|k| ((*k).to_owned(), f.val(k).to_owned())).collect();
    page.query = if filters.is_empty() {
        String::new()
    } else {
        format!("?{}", form_urlencoded::Serializer::new(String::new()).extend_pairs(filters).finish())
    };
    if page.error.is_none()
        && let Some((id, info)) = policy::query::latest_run(conn).await?
    {
        page.totals = policy::query::totals(conn, id, &info, &q).await?;
        let rows = policy::query::page(conn, id, &q).await?;
        let (first, next) = pager_links("/fleet/due", &f, FILTERS, q.cursor.is_some(), rows.next_cursor.as_deref());
        page.first_url = first;
        page.next_url = next;
        page.rows = rows.items;
        page.run = Some(info);
    }
    let status = if page.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page.form = f;
    render(&req, status, &page)
}

pub async fn fleet_csv(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let mut f = FormState::new(query_map(&req));
    let q = fleet_query(&mut f);
    if f.has_errors() {
        return Err(AppError::BadRequest { field: None, message: f.errors_line() }.into());
    }
    let body = policy::export::csv(state.db.conn(), &q).await?;
    Ok(crate::web::download::csv(body, "reloop-due.csv"))
}

pub async fn refresh(state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    let run = policy::refresh(&state.db, me.ctx().now, "requested").await?;
    Ok(done(
        "/fleet/due",
        &format!(
            "Fleet evaluated with policy version {}: {} items, {} due",
            run.policy_version, run.evaluated, run.due
        ),
    ))
}

#[derive(Template)]
#[template(path = "policy/policy.html")]
struct PolicyPage {
    l: Layout,
    current: PolicyVersion,
    versions: Vec<PolicyVersion>,
    form: FormState,
    line_errors: Vec<String>,
    checked: Option<String>,
    dry: Option<DryRun>,
}

async fn policy_page(req: &HttpRequest, state: &AppState, form: Option<FormState>) -> PageResult<PolicyPage> {
    let now = chrono::Utc::now();
    let versions = policy::versions(state.db.conn(), now).await?;
    let current = versions.first().cloned().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no policy version")))?;
    let form = form.unwrap_or_else(|| FormState::default().with("source", current.source.clone()));
    Ok(PolicyPage {
        l: Layout::new(req, "policy"),
        current,
        versions,
        form,
        line_errors: Vec::new(),
        checked: None,
        dry: None,
    })
}

pub async fn show(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    ok(&req, &policy_page(&req, &state, None).await?)
}

/// The pack's problems, one per line of the list under the text area.
fn line_errors(e: &AppError) -> Vec<String> {
    e.field_errors().into_iter().map(|f| format!("{} · {}", f.message, f.field)).collect()
}

pub async fn submit(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let draft = PolicyDraft { source: f.text("source"), note: f.opt("note"), based_on: f.int("based_on") };
    let action = f.opt("action").unwrap_or_else(|| "check".into());
    let result: Result<(Option<String>, Option<DryRun>), AppError> = match action.as_str() {
        "save" => match policy::save(&state.db, &me.ctx(), draft).await {
            Ok(v) => {
                state.refresh_fleet_soon("policy_saved");
                return Ok(done(
                    "/policy",
                    &format!("Saved as version {}; the fleet view is being re-evaluated", v.number),
                ));
            }
            Err(e) => Err(e),
        },
        "dry_run" => policy::dry_run(&state.db, &draft.source, today()).await.map(|d| (None, Some(d))),
        _ => policy::check(state.db.conn(), &draft.source)
            .await
            .map(|p| (Some(format!("The pack is valid: {} rules, {} tiers", p.rules.len(), p.tiers.len())), None)),
    };
    let mut page = policy_page(&req, &state, None).await?;
    match result {
        Ok((checked, dry)) => {
            page.form = f;
            page.checked = checked;
            page.dry = dry;
            ok(&req, &page)
        }
        Err(e) => {
            page.line_errors = line_errors(&e);
            let status = f.refused(e)?;
            if !page.line_errors.is_empty() {
                f.errors.clear();
                f.general = Some(format!("{} problem(s) in the pack: nothing was saved", page.line_errors.len()));
            }
            page.form = f;
            render(&req, status, &page)
        }
    }
}
