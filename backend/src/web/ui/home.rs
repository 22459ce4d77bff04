//! The home page: the fleet overview (counts by state, kind and site, mass in service and
//! in stock, retirements this year), with charts drawn on the server. Anonymous visitors
//! are sent to sign in by the access rule (`Read`).

use std::borrow::Borrow;

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::layout::{Layout, ok};
use super::views::grouped;
use crate::overview::model::Bucket;
use crate::overview::{self, Overview, chart};
use crate::web::error::PageResult;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    l: Layout,
    o: Overview,
    states_chart: String,
    kinds_chart: String,
    sites_chart: String,
    /// The states that have items: the columns of the kind × state table.
    cols: Vec<Bucket>,
    /// The kind × state table's rows.
    cross: Vec<CrossRow>,
}

/// A kind's row of the kind × state table: (state key, items) per column.
pub struct CrossRow {
    kind: Bucket,
    cells: Vec<(String, i64)>,
}

/// A figure however the template holds it (by value or behind references).
trait Count {
    fn n(&self) -> i64;
}

impl Count for i64 {
    fn n(&self) -> i64 {
        *self
    }
}

impl<T: Count + ?Sized> Count for &T {
    fn n(&self) -> i64 {
        (**self).n()
    }
}

impl HomePage {
    fn fig(&self, n: impl Count) -> String {
        grouped(n.n() as f64, 0)
    }

    fn positive(&self, n: impl Count) -> bool {
        n.n() > 0
    }

    fn kg<N: Borrow<f64>>(&self, kg: N) -> String {
        let kg = *kg.borrow();
        grouped(kg, if kg >= 100.0 { 0 } else { 1 })
    }
}

pub async fn show(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let o = overview::load(&state.db, Utc::now()).await?;
    let pairs = |b: &[Bucket]| b.iter().map(|b| (b.label.clone(), b.items)).collect::<Vec<_>>();
    let with_items: Vec<_> = o.by_state.iter().filter(|b| b.items > 0).cloned().collect();
    let page = HomePage {
        states_chart: chart::bars("Items by state", &pairs(&with_items)),
        kinds_chart: chart::bars("Items by kind", &pairs(&o.by_kind[..o.by_kind.len().min(12)])),
        sites_chart: chart::bars("Items by site", &pairs(&o.by_site[..o.by_site.len().min(12)])),
        cols: with_items.clone(),
        cross: o
            .by_kind
            .iter()
            .zip(&o.kind_by_state)
            .map(|(k, row)| CrossRow {
                kind: k.clone(),
                cells: o
                    .by_state
                    .iter()
                    .zip(row)
                    .filter(|(s, _)| s.items > 0)
                    .map(|(s, n)| (s.key.clone(), *n))
                    .collect(),
            })
            .collect(),
        l: Layout::new(&req, "home"),
        o,
    };
    ok(&req, &page)
}
