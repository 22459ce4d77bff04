//! The HTTP edge: the JSON API, the server-rendered UI, health checks and static files.
//!
//! Only this module knows about actix-web and askama. Handlers stay short: extract, call
//! one domain service, render. Errors map to HTTP in [`error`]. Every route is declared
//! once, with its access rule ([`routes`]); one middleware ([`access`]) authenticates,
//! applies the rule and checks CSRF before any handler runs.
//!
//! Within `web`, dependencies point one way too: `routes` → `api`/`ui` pages → `ui`'s
//! layout, flash and forms → `access`, `csrf`, `extract`, `error`.

pub mod access;
pub mod api;
pub mod csrf;
pub mod download;
pub mod error;
pub mod extract;
pub mod health;
pub mod hygiene;
pub mod identity;
pub mod metrics;
pub mod redirect;
pub mod request_log;
pub mod routes;
pub mod state;
pub mod static_files;
pub mod ui;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::db::Db;
use crate::error::AppError;
use crate::settings::Settings;
pub use state::AppState;

/// Path segments that fail to parse (a malformed id) are unknown resources: 404, in the
/// format of the route's family.
fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    error::error_for(req.path(), AppError::NotFound { what: "resource", id: format!("{} ({err})", req.path()) })
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    error::respond(req.path(), AppError::NotFound { what: "page", id: req.path().to_owned() })
}

/// Security headers on every response. No inline script or style anywhere, so the
/// policy can forbid both.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
}

/// Builds the server on an already-bound listener (bind first, then spawn: callers know
/// the address before any request can arrive).
pub fn server(listener: TcpListener, db: Db, settings: Arc<Settings>) -> std::io::Result<Server> {
    let workers = if settings.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        settings.workers
    };
    let table = web::Data::new(routes::table().map_err(std::io::Error::other)?);
    let every = settings.policy_refresh_minutes;
    let state = web::Data::new(AppState::new(db, settings));
    if every > 0 {
        // The fleet view on a schedule: first at start, then every `every` minutes. (On the
        // runtime the server is started from: `server` is called inside one.)
        let s = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(every * 60));
            loop {
                tick.tick().await;
                s.refresh_fleet_soon("schedule");
            }
        });
    }
    let server = HttpServer::new(move || {
        let (app, mut doc) = App::new()
            .into_utoipa_app()
            .openapi(api::ApiDoc::openapi())
            .app_data(state.clone())
            .app_data(table.clone())
            // Before the /api/v1 scope, which would otherwise claim the path.
            .route("/api/v1/openapi.json", web::get().to(api::openapi_json))
            .service(api::scope())
            .split_for_parts();
        api::complete_document(&mut doc);
        app.app_data(web::Data::new(doc))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .wrap(actix_web::middleware::from_fn(access::guard))
            .wrap(actix_web::middleware::from_fn(ui::error_page::render_errors))
            .wrap(security_headers())
            .wrap(Compress::default())
            .wrap(actix_web::middleware::from_fn(request_log::log_requests))
            .configure(routes::configure)
            .default_service(web::to(not_found))
    })
    .workers(workers)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

/// A running server: its address and a handle to stop it (used by tests and the bench).
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
}

/// Binds `addr`, then spawns the server on the current Tokio runtime.
pub fn spawn(addr: &str, db: Db, settings: Arc<Settings>) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr)?;
    let addr = listener.local_addr()?;
    let server = server(listener, db, settings)?;
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Running { addr, handle })
}

/// Binds `addr`, then spawns the metrics-only server (`RELOOP_METRICS_BIND`) on it.
pub fn spawn_metrics(addr: &str, db: Db, settings: Arc<Settings>) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr)?;
    let addr = listener.local_addr()?;
    let server = metrics::server(listener, db, settings)?;
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Running { addr, handle })
}
