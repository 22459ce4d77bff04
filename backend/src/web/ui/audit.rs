//! The audit trail and its chain check (admins and auditors).

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::forms::FormState;
use super::layout::{Layout, render};
use super::views::{pager_links, query_map, short_time};
use crate::audit::{self, AuditEntry, AuditQuery};
use crate::ledger::chain::ChainReport;
use crate::web::error::PageResult;
use crate::web::state::AppState;

pub struct Row {
    pub e: AuditEntry,
    pub when: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    l: Layout,
    filters: FormState,
    rows: Vec<Row>,
    first_url: Option<String>,
    next_url: Option<String>,
    report: Option<ChainReport>,
    error: Option<String>,
}

fn compact(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map(|v| serde_json::to_string(v).unwrap_or_default()).unwrap_or_default()
}

const FILTERS: [&str; 4] = ["actor", "action", "target_type", "target_id"];

async fn page(req: &HttpRequest, state: &AppState, report: Option<ChainReport>) -> PageResult<(StatusCode, AuditPage)> {
    let mut f = FormState::new(query_map(req));
    let q = AuditQuery {
        actor: f.opt("actor"),
        action: f.opt("action"),
        target_type: f.opt("target_type"),
        target_id: f.opt("target_id"),
        cursor: f.parse("cursor", "is not a valid cursor"),
        limit: Some(50),
    };
    let mut p = AuditPage {
        l: Layout::new(req, "audit"),
        filters: FormState::default(),
        rows: Vec::new(),
        first_url: None,
        next_url: None,
        report,
        error: None,
    };
    if f.has_errors() {
        p.error = Some("The page cursor is not valid.".into());
        p.filters = f;
        return Ok((StatusCode::BAD_REQUEST, p));
    }
    let result = audit::list(state.db.conn(), &q).await?;
    p.rows = result
        .items
        .into_iter()
        .map(|e| Row { when: short_time(e.occurred_at), before: compact(&e.before), after: compact(&e.after), e })
        .collect();
    (p.first_url, p.next_url) = pager_links("/audit", &f, &FILTERS, q.cursor.is_some(), result.next_cursor.as_deref());
    p.filters = f;
    Ok((StatusCode::OK, p))
}

pub async fn list(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let (status, p) = page(&req, &state, None).await?;
    render(&req, status, &p)
}

/// Checks the chain from the newest stored checkpoint and shows the result above the trail.
pub async fn verify(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let (report, _) = state.verify_chain().await?;
    let (status, p) = page(&req, &state, Some(report)).await?;
    render(&req, status, &p)
}
