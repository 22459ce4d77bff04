//! The audit trail and its chain check (admins and auditors), and the rows of an item's
//! history as its page shows them (ledger entries and field edits).

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::forms::FormState;
use super::layout::{Layout, render};
use super::views::{EventView, pager_links, query_map, short_time};
use crate::audit::{self, AuditEntry, AuditQuery, FieldChange, ReadableEntry, Shown};
use crate::error::AppError;
use crate::ids::AssetId;
use crate::ledger::chain::ChainReport;
use crate::lifecycle::HistoryItem;
use crate::web::error::PageResult;
use crate::web::state::AppState;

/// A value as a page shows it: its text, linked to its record's page where it has one.
pub struct ValueView {
    pub text: String,
    pub href: Option<String>,
}

impl ValueView {
    fn of(v: Option<Shown>) -> ValueView {
        match v {
            Some(s) => ValueView { href: s.href(), text: s.text },
            None => ValueView { text: "—".into(), href: None },
        }
    }
}

/// One changed field: its label, old → new.
pub struct ChangeRow {
    pub label: String,
    pub from: ValueView,
    pub to: ValueView,
}

impl From<FieldChange> for ChangeRow {
    fn from(c: FieldChange) -> Self {
        ChangeRow { label: c.label, from: ValueView::of(c.from), to: ValueView::of(c.to) }
    }
}

/// One line of an item's history (`templates/assets/_history.html`).
pub struct HistoryRow {
    pub when: String,
    pub when_iso: String,
    /// `ev-<kind>` for a ledger entry, `ev-edit` for a field edit.
    pub class: String,
    pub text: String,
    pub link: Option<(AssetId, String)>,
    pub actor: String,
    pub reason: String,
    /// A field edit's changed fields.
    pub changes: Vec<ChangeRow>,
}

impl From<HistoryItem> for HistoryRow {
    fn from(item: HistoryItem) -> Self {
        match item {
            HistoryItem::Ledger(e) => {
                let v = EventView::from(*e);
                HistoryRow {
                    when: v.when,
                    when_iso: v.when_iso,
                    class: format!("ev-{}", v.kind.as_str()),
                    text: v.text,
                    link: v.link,
                    actor: v.actor,
                    reason: v.reason,
                    changes: Vec::new(),
                }
            }
            HistoryItem::Edit(e) => HistoryRow {
                when: short_time(e.occurred_at),
                when_iso: e.occurred_at.to_rfc3339(),
                class: "ev-edit".into(),
                text: "Edited".into(),
                link: None,
                actor: e.actor,
                reason: String::new(),
                changes: e.changes.into_iter().map(ChangeRow::from).collect(),
            },
        }
    }
}

/// One audit entry as the trail shows it.
pub struct Row {
    pub e: AuditEntry,
    pub when: String,
    pub target: ValueView,
    pub changes: Vec<ChangeRow>,
}

impl From<ReadableEntry> for Row {
    fn from(r: ReadableEntry) -> Self {
        Row {
            when: short_time(r.entry.occurred_at),
            target: ValueView::of(Some(r.target)),
            changes: r.changes.into_iter().map(ChangeRow::from).collect(),
            e: r.entry,
        }
    }
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
    let result = match audit::readable::list(state.db.conn(), &q).await {
        Ok(r) => r,
        Err(e @ AppError::Invalid(_)) => {
            p.error = Some(e.to_string());
            p.filters = f;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, p));
        }
        Err(e) => return Err(e.into()),
    };
    p.rows = result.items.into_iter().map(Row::from).collect();
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
