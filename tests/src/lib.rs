//! The integration-test harness: every test starts reloop on port 0 with its own fresh
//! database and talks HTTP to it, once on SQLite (a temp file) and once on PostgreSQL (a
//! freshly created database, dropped afterwards).
//!
//! PostgreSQL runs when `RELOOP_TEST_POSTGRES_URL` points at a server whose user may
//! create databases (e.g. `postgres://postgres@127.0.0.1:5432/postgres`). Without it the
//! PostgreSQL variants print "skipped: …" and pass locally; with `CI` or
//! `RELOOP_TEST_REQUIRE_ALL` set, a skip is a failure.

// A test harness: a failed expectation here is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;

use std::sync::Arc;

use reloop::auth::tokens::NewToken;
use reloop::auth::{NewUser, User};
use reloop::rules::Role;
use reloop::{Ctx, Db, Settings};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares a test that runs on both databases: `name::sqlite` and `name::postgres`.
/// `db_test! { start = path::to::ctor; async fn … }` starts the app with another
/// constructor (same signature as [`TestApp::start`]).
#[macro_export]
macro_rules! db_test {
    (start = $ctor:path; $(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &$crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $ctor($crate::Backend::Sqlite, stringify!($name)).await {
                    body(&app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $ctor($crate::Backend::Postgres, stringify!($name)).await {
                    body(&app).await;
                }
            }
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &$crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::TestApp::start($crate::Backend::Sqlite, stringify!($name)).await {
                    body(&app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::TestApp::start($crate::Backend::Postgres, stringify!($name)).await {
                    body(&app).await;
                }
            }
        }
    };
}

/// A running reloop with its own database, and an administrator signed in through both
/// doors: an API token for `/api/v1` and a session cookie for the UI.
pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub db: Db,
    pub settings: Arc<Settings>,
    /// The default caller (an admin); `app.get(…)` and friends go through it.
    pub admin: Client,
    handle: actix_web::dev::ServerHandle,
    _sqlite_dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

/// A PostgreSQL database created for one test and dropped when the test ends.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async context; a private runtime on its own thread does the work.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(conn) = Database::connect(admin.as_str()).await {
                        let _ =
                            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                        let _ = conn.close().await;
                    }
                });
            }
        })
        .join();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the workers wind down on their own threads.
        drop(self.handle.stop(false));
    }
}

/// The CSRF token of a page's first form (empty when it has none).
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned()
}

/// Whether every test class must run (CI): a skip is then a failure.
pub fn strict() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("RELOOP_TEST_REQUIRE_ALL").is_some()
}

/// `postgres://u@h:5432/postgres?x=y` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

pub fn test_settings(database_url: String, data_dir: std::path::PathBuf) -> Settings {
    Settings {
        bind: "127.0.0.1:0".parse().expect("static address"),
        data_dir,
        database_url,
        db_max_connections: 5,
        db_acquire_timeout_ms: 10000,
        workers: 1,
        max_body_bytes: 256 * 1024,
        log_filter: "warn".into(),
        log_json: false,
        slow_query_ms: 500,
        metrics_token: None,
        metrics_bind: None,
        secure_cookies: false,
        session_idle_minutes: 60,
        session_max_hours: 12,
        login_max_failures: 5,
        login_lock_minutes: 15,
        login_backoff_ms: 0,
        trusted_proxies: Vec::new(),
        chain_key: None,
        chain_key_file: std::path::PathBuf::from("/nonexistent/reloop-test-chain.key"),
        public_url: "http://127.0.0.1".into(),
        policy_refresh_minutes: 0,
    }
}

/// An empty database of a test app's kind, removed when dropped (a restore's target).
pub struct ScratchDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

/// The password every test user gets.
pub const PASSWORD: &str = "violet tractor sings at noon";

impl TestApp {
    /// Starts the app on `backend`, or returns `None` (after saying why) when that
    /// backend is not configured and skips are allowed.
    pub async fn start(backend: Backend, test: &str) -> Option<TestApp> {
        Self::start_with(backend, test, |_| {}).await
    }

    /// An app with no accounts at all (the first-run setup state).
    pub async fn start_bare(backend: Backend, test: &str) -> Option<TestApp> {
        Self::boot(backend, test, |_| {}, false).await
    }

    /// Like [`TestApp::start`], with settings adjusted first.
    pub async fn start_with(backend: Backend, test: &str, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        Self::boot(backend, test, adjust, true).await
    }

    async fn boot(
        backend: Backend,
        test: &str,
        adjust: impl FnOnce(&mut Settings),
        with_admin: bool,
    ) -> Option<TestApp> {
        let (mut settings, sqlite_dir, pg) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("reloop.db").display());
                (test_settings(url, dir.path().to_owned()), Some(dir), None)
            }
            Backend::Postgres => {
                let Some(admin) = std::env::var("RELOOP_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty()) else {
                    if strict() {
                        panic!("RELOOP_TEST_POSTGRES_URL is not set, but CI requires the PostgreSQL tests to run");
                    }
                    eprintln!("skipped: {test} on PostgreSQL: RELOOP_TEST_POSTGRES_URL is not set");
                    return None;
                };
                let name = format!("reloop_t_{}", uuid::Uuid::now_v7().simple());
                let conn = Database::connect(admin.as_str()).await.expect("connect to RELOOP_TEST_POSTGRES_URL");
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
                conn.close().await.ok();
                let pg = PgDatabase { admin_url: admin.clone(), name: name.clone() };
                let dir = std::env::temp_dir();
                (test_settings(with_database(&admin, &name), dir), None, Some(pg))
            }
        };
        // Every test database gets its own chain key, as an instance would from its key file
        // (in the settings too, so CLI commands run by a test use the same key).
        let key = reloop::db::ChainKey::random();
        settings.chain_key = Some(key.to_hex());
        adjust(&mut settings);
        let db = Db::connect(&settings.database_url, settings.db_max_connections)
            .await
            .expect("connect")
            .with_chain_key(key);
        db.migrate().await.expect("migrate");
        let settings = Arc::new(settings);
        // Bind first, then spawn: the address is known before any request is made.
        let running = reloop::web::spawn("127.0.0.1:0", db.clone(), settings.clone()).expect("start server");
        let base = format!("http://{}", running.addr);
        let mut app = TestApp {
            backend,
            base: base.clone(),
            db,
            settings,
            admin: Client::anonymous(&base),
            handle: running.handle,
            _sqlite_dir: sqlite_dir,
            _pg: pg,
        };
        if with_admin {
            app.admin = app.user("admin", Role::Admin).await;
        }
        Some(app)
    }

    /// A second, empty database of this app's kind (nothing created in it yet).
    pub async fn scratch_database(&self) -> ScratchDb {
        match self.backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("restored.db").display());
                ScratchDb { url, _dir: Some(dir), _pg: None }
            }
            Backend::Postgres => {
                let admin = std::env::var("RELOOP_TEST_POSTGRES_URL").expect("a PostgreSQL test has its server");
                let name = format!("reloop_t_{}", uuid::Uuid::now_v7().simple());
                let conn = Database::connect(admin.as_str()).await.expect("connect to RELOOP_TEST_POSTGRES_URL");
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create a database");
                conn.close().await.ok();
                let url = with_database(&admin, &name);
                ScratchDb { url, _dir: None, _pg: Some(PgDatabase { admin_url: admin, name }) }
            }
        }
    }

    /// Creates a user with `role` and returns a client signed in as them (token + session).
    pub async fn user(&self, username: &str, role: Role) -> Client {
        let ctx = Ctx::new("test");
        let input = NewUser { username: username.into(), display_name: None, role, password: PASSWORD.into() };
        let user = reloop::auth::users::create(&self.db, &ctx, input).await.expect("create user");
        self.client_for(&user).await
    }

    /// A fresh client signed in as an existing user.
    pub async fn client_for(&self, user: &User) -> Client {
        let ctx = Ctx::new("test");
        let token = reloop::auth::tokens::create(
            &self.db,
            &ctx,
            user.id,
            NewToken { name: "tests".into(), expires_in_days: None },
        )
        .await
        .expect("token")
        .token;
        let started = reloop::auth::sessions::start(
            &self.db,
            user,
            "tests",
            "127.0.0.1",
            self.settings.session_policy(),
            chrono::Utc::now(),
        )
        .await
        .expect("session");
        let jar = Arc::new(reqwest::cookie::Jar::default());
        jar.add_cookie_str(&format!("reloop_session={}; Path=/", started.cookie), &self.base.parse().expect("url"));
        Client::new(&self.base, jar, Some(token), Some(started.csrf), Some(user.clone()))
    }

    /// A client that has signed in to nothing.
    pub fn anon(&self) -> Client {
        Client::anonymous(&self.base)
    }

    pub fn url(&self, path: &str) -> String {
        self.admin.url(path)
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.admin.get(path).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.admin.post_json(path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Resp {
        self.admin.patch_json(path, body).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Resp {
        self.admin.put_json(path, body).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.admin.delete(path).await
    }

    pub async fn delete_json(&self, path: &str, body: &Value) -> Resp {
        self.admin.delete_json(path, body).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Resp {
        self.admin.post_raw(path, content_type, body).await
    }

    /// Posts a form with the admin's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        self.admin.post_form(path, fields).await
    }

    // ---- fixtures --------------------------------------------------------------------

    pub async fn site(&self, name: &str) -> Value {
        let r = self
            .post_json(
                "/api/v1/sites",
                &serde_json::json!({"name": name, "country": "DE", "grid_ci_g_per_kwh": 350, "pue": 1.3}),
            )
            .await;
        assert_eq!(r.status, 201, "creating site: {}", r.text);
        r.json()
    }

    pub async fn model(&self, manufacturer: &str, number: &str, kind: &str, mass: Option<f64>) -> Value {
        let r = self
            .post_json(
                "/api/v1/models",
                &serde_json::json!({"manufacturer": manufacturer, "model_number": number, "kind": kind, "mass_kg": mass}),
            )
            .await;
        assert_eq!(r.status, 201, "creating model: {}", r.text);
        r.json()
    }

    /// Registers an asset; `extra` fields are merged into the body.
    pub async fn asset(&self, tag: &str, kind: &str, extra: Value) -> Value {
        let mut body = serde_json::json!({"asset_tag": tag, "kind": kind});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let r = self.post_json("/api/v1/assets", &body).await;
        assert_eq!(r.status, 201, "registering {tag}: {}", r.text);
        r.json()
    }

    pub async fn get_asset(&self, id: &str) -> Value {
        let r = self.get(&format!("/api/v1/assets/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }

    pub async fn transition(&self, id: &str, to: &str) -> Resp {
        self.post_json(&format!("/api/v1/assets/{id}/transition"), &serde_json::json!({"to": to})).await
    }

    /// Records a passing sanitization of a data-bearing item (`class`: clear, purge or
    /// destroy) with a technique that fits the class.
    pub async fn sanitize(&self, id: &str, class: &str) -> Resp {
        let technique = match class {
            "destroy" => "shred",
            "clear" => "overwrite",
            _ => "crypto_erase",
        };
        let body = serde_json::json!({"asset_id": id, "method_class": class, "technique": technique, "tool": "test-wipe", "verification": "full"});
        self.post_json("/api/v1/sanitization/records", &body).await
    }

    /// The item's whole ledger, oldest first.
    pub async fn events(&self, id: &str) -> Vec<Value> {
        let r = self.get(&format!("/api/v1/assets/{id}/events?limit=500")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let mut items = r.json()["items"].as_array().cloned().unwrap_or_default();
        items.reverse();
        items
    }
}

/// An HTTP client with (optionally) an API token, a session cookie and its CSRF token.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub token: Option<String>,
    pub csrf: Option<String>,
    pub user: Option<User>,
}

impl Client {
    pub fn new(
        base: &str,
        jar: Arc<reqwest::cookie::Jar>,
        token: Option<String>,
        csrf: Option<String>,
        user: Option<User>,
    ) -> Client {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .expect("http client");
        Client { http, base: base.to_owned(), jar, token, csrf, user }
    }

    pub fn anonymous(base: &str) -> Client {
        Client::new(base, Arc::new(reqwest::cookie::Jar::default()), None, None, None)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the API token attached to /api paths.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, self.url(path));
        match (&self.token, path.starts_with("/api/")) {
            (Some(t), true) => rb.bearer_auth(t),
            _ => rb,
        }
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        Resp::from(rb.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.send(self.request(reqwest::Method::POST, path).json(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Resp {
        self.send(self.request(reqwest::Method::PATCH, path).json(body)).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Resp {
        self.send(self.request(reqwest::Method::PUT, path).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    pub async fn delete_json(&self, path: &str, body: &Value) -> Resp {
        self.send(self.request(reqwest::Method::DELETE, path).json(body)).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Resp {
        self.send(self.request(reqwest::Method::POST, path).header("content-type", content_type).body(body)).await
    }

    /// Posts a form, adding this client's CSRF token unless the fields carry one.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(c) = &self.csrf
            && !fields.iter().any(|(k, _)| *k == "csrf_token")
        {
            all.push(("csrf_token", c.as_str()));
        }
        self.send(self.request(reqwest::Method::POST, path).form(&all)).await
    }
}

/// A response with its body read.
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    async fn from(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        Resp { status, headers, text }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The API error's (code, field, message).
    pub fn error(&self) -> (String, Option<String>, String) {
        let v = self.json();
        let e = &v["error"];
        (
            e["code"].as_str().unwrap_or_default().to_owned(),
            e["field"].as_str().map(str::to_owned),
            e["message"].as_str().unwrap_or_default().to_owned(),
        )
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The string value of `v[key]`.
pub fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} is not a string in {v}")).to_owned()
}

/// Decodes the entities HTML escaping produces (`&#60;`, `&lt;`, `&#x27;`, …).
pub fn html_unescape(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => {
                u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32)
            }
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn entities_decode() {
        assert_eq!(super::html_unescape("&#60;b&#62; &amp;amp; &#x27;x&#39; &quot;"), "<b> &amp; 'x' \"");
    }

    #[test]
    fn database_is_replaced_in_urls() {
        assert_eq!(super::with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            super::with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
