//! The asset list (`/assets`): filters, word search, a sort, pages both ways, the count of
//! what matches, and the selection the bulk actions and label sheets act on.
//!
//! Top-level items are listed by default (a server, not its 24 DIMMs); "Include installed
//! parts" lists everything. The count is exact when the maintained counters can answer
//! the filters (`overview::count`); with search words it says "more than N" instead of
//! counting every match.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::forms::FormState;
use super::layout::{Layout, ok, render};
use super::views::{self, AssetRow, grouped, query_map, url_with};
use crate::assets::{self, AssetQuery, AssetSort};
use crate::catalog::{self, HardwareModel, ModelQuery};
use crate::error::AppError;
use crate::labels::Stock;
use crate::overview;
use crate::rules::{AssetKind, State};
use crate::sites::{self, Site};
use crate::web::error::PageResult;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "assets/list.html")]
pub struct ListPage {
    l: Layout,
    filters: FormState,
    rows: Vec<AssetRow>,
    /// "1,204 items", "more than 50 items", …
    count: String,
    first_url: Option<String>,
    prev_url: Option<String>,
    next_url: Option<String>,
    kinds: &'static [AssetKind],
    states: &'static [State],
    sorts: &'static [AssetSort],
    sites: Vec<Site>,
    models: Vec<HardwareModel>,
    error: Option<String>,
    /// Label stocks for printing the selected rows' labels.
    stocks: &'static [Stock],
}

/// The parameters a page link keeps.
const KEPT: [&str; 7] = ["kind", "state", "site_id", "model_id", "q", "include_parts", "sort"];

fn items(n: i64) -> String {
    if n == 1 { "1 item".to_owned() } else { format!("{} items", grouped(n as f64, 0)) }
}

pub async fn list(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let mut f = FormState::new(query_map(&req));
    let query = AssetQuery {
        kind: f.choice("kind"),
        state: f.choice("state"),
        site_id: f.parse("site_id", "is not a known site"),
        model_id: f.parse("model_id", "is not a known model"),
        q: f.opt("q"),
        include_parts: Some(f.val("include_parts") == "true"),
        sort: f.choice("sort"),
        cursor: f.opt("cursor"),
        before: f.opt("before"),
        limit: None,
    };
    let conn = state.db.conn();
    let mut page = ListPage {
        l: Layout::new(&req, "assets"),
        rows: Vec::new(),
        count: String::new(),
        first_url: None,
        prev_url: None,
        next_url: None,
        kinds: AssetKind::ALL,
        states: State::ALL,
        sorts: AssetSort::ALL,
        sites: sites::list(conn).await?,
        models: catalog::list(conn, &ModelQuery { limit: Some(500), ..Default::default() }).await?.items,
        error: None,
        filters: FormState::default(),
        stocks: Stock::ALL,
    };
    if f.has_errors() {
        page.error = Some(f.errors_line());
        page.filters = f;
        return render(&req, StatusCode::BAD_REQUEST, &page);
    }
    match assets::list_labelled(conn, &query).await {
        Ok(result) => {
            let kept: Vec<(&str, &str)> = KEPT.iter().map(|k| (*k, f.val(k))).filter(|(_, v)| !v.is_empty()).collect();
            let link = |extra: Option<(&str, &str)>| {
                let mut p = kept.clone();
                p.extend(extra);
                url_with("/assets", &p)
            };
            let shown = result.items.len() as i64;
            page.count = match query.counter_filter() {
                Some(c) => items(overview::count(conn, &c).await?),
                None if result.next_cursor.is_none() && result.prev_cursor.is_none() => items(shown),
                None => format!("more than {}", items(shown)),
            };
            page.first_url = result.prev_cursor.as_ref().map(|_| link(None));
            page.prev_url = result.prev_cursor.as_deref().map(|c| link(Some(("before", c))));
            page.next_url = result.next_cursor.as_deref().map(|c| link(Some(("cursor", c))));
            page.rows = views::rows(result.items);
        }
        Err(e @ (AppError::Invalid(_) | AppError::BadRequest { .. })) => page.error = Some(e.to_string()),
        Err(e) => return Err(e.into()),
    }
    page.filters = f;
    ok(&req, &page)
}
