//! `/metrics` in Prometheus's text format. On the main address it needs the bearer token
//! `RELOOP_METRICS_TOKEN` (and is not served without one); `RELOOP_METRICS_BIND` serves it
//! alone, without a token, on an address of its own ([`server`]), meant for a private
//! interface. The database's figures are read per scrape: the pool, the chain head, and
//! the ledger's and audit trail's rows (two counts).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::web::{self, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use sha2::{Digest, Sha256};

use super::state::AppState;
use crate::db::Db;
use crate::metrics::{self, DatabaseGauges};
use crate::settings::Settings;

/// `/metrics` on the main address.
pub async fn guarded(state: Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(token) = state.settings.metrics_token.as_deref() else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body(
            "metrics are not served on this address: set RELOOP_METRICS_TOKEN (scrape with it as a bearer token) or RELOOP_METRICS_BIND (an address of their own)\n",
        );
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Digests compared, so the comparison's time says nothing about the token.
    if Sha256::digest(given.as_bytes()) != Sha256::digest(token.as_bytes()) {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
            .content_type("text/plain; charset=utf-8")
            .body("scrape /metrics with the bearer token RELOOP_METRICS_TOKEN\n");
    }
    exposition(&state.db).await
}

async fn open(state: Data<AppState>) -> HttpResponse {
    exposition(&state.db).await
}

/// Everything counted, with `db`'s figures read now.
async fn exposition(db: &Db) -> HttpResponse {
    let (pool_open, pool_idle, pool_max) = db.pool_status();
    let (chain_head_seq, ledger_entries, audit_entries) = match crate::ledger::chain::sizes(db.conn()).await {
        Ok(sizes) => sizes,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the chain's size could not be read");
            (-1, -1, -1)
        }
    };
    let backend = match db.backend() {
        sea_orm::DbBackend::Postgres => "postgres",
        _ => "sqlite",
    };
    let gauges =
        DatabaseGauges { backend, pool_open, pool_idle, pool_max, chain_head_seq, ledger_entries, audit_entries };
    match metrics::render(&gauges) {
        Ok(text) => HttpResponse::Ok().content_type(metrics::CONTENT_TYPE).body(text),
        Err(e) => {
            tracing::error!(error = %e, "metrics could not be rendered");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A server answering only `GET /metrics`, without a token, on `listener`
/// (`RELOOP_METRICS_BIND`).
pub fn server(listener: TcpListener, db: Db, settings: Arc<Settings>) -> std::io::Result<Server> {
    let state = Data::new(AppState::new(db, settings));
    Ok(HttpServer::new(move || App::new().app_data(state.clone()).route("/metrics", web::get().to(open)))
        .workers(1)
        .shutdown_timeout(10)
        .listen(listener)?
        .run())
}
