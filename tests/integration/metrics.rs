//! `/metrics`: closed without its bearer token, off on the main address when no token is
//! set, open on an address of its own; what it counts moves with what happens, and the
//! database figures are this database's.

use sea_orm::{ConnectionTrait, Statement};

use super::*;

const TOKEN: &str = "metrics-token-0123456789abcdef";

async fn with_token(b: Backend, t: &str) -> Option<TestApp> {
    TestApp::start_with(b, t, |s| s.metrics_token = Some(TOKEN.into())).await
}

/// The value of the series written exactly as `series` (name and labels), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> String {
    let c = app.anon();
    let r = c.send(c.request(reqwest::Method::GET, "/metrics").bearer_auth(TOKEN)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    r.text
}

async fn count(app: &TestApp, table: &str) -> f64 {
    let r = app
        .db
        .conn()
        .query_one_raw(Statement::from_string(app.db.backend(), format!("SELECT COUNT(*) FROM {table}")))
        .await
        .unwrap()
        .unwrap();
    r.try_get_by_index::<i64>(0).unwrap() as f64
}

db_test! {
    start = with_token;
    async fn metrics_need_their_token_and_count_what_happens(app: TestApp) {
        let c = app.anon();
        for auth in [None, Some("wrong-token-0123456789"), app.admin.token.as_deref()] {
            let mut rb = c.request(reqwest::Method::GET, "/metrics");
            if let Some(t) = auth {
                rb = rb.bearer_auth(t);
            }
            let r = c.send(rb).await;
            assert_eq!(r.status, 401, "{auth:?}: {}", r.text);
            assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"metrics\""));
        }

        let before = scrape(app).await;
        let site = app.site("Metrics DC").await;
        for i in 0..3 {
            app.asset(&format!("M-{i}"), "server", json!({"site_id": s(&site, "id")})).await;
        }
        let servers = app.get("/api/v1/assets?kind=server").await;
        assert_eq!(servers.status, 200);
        let id = s(&servers.json()["items"][0], "id");
        assert_eq!(app.transition(&id, "deployed").await.status, 200);
        for _ in 0..3 {
            assert_eq!(app.get("/api/v1/sites").await.status, 200);
        }
        let visitor = app.anon();
        let csrf = reloop_tests::csrf_of(&visitor.get("/login").await.text);
        let r = visitor.post_form("/login", &[("csrf_token", &csrf), ("username", "admin"), ("password", "not it")]).await;
        assert_eq!(r.status, 401);
        let after = scrape(app).await;

        // Counters are the process's (other tests share it): they moved by at least ours.
        let sites_ok = "reloop_http_requests_total{method=\"GET\",route=\"/api/v1/sites\",status=\"200\"}";
        assert!(value(&after, sites_ok) - value(&before, sites_ok) >= 3.0, "{after}");
        let created = "reloop_http_requests_total{method=\"POST\",route=\"/api/v1/assets\",status=\"201\"}";
        assert!(value(&after, created) - value(&before, created) >= 3.0);
        let hist = "reloop_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/sites\",status=\"200\"}";
        assert!(value(&after, hist) - value(&before, hist) >= 3.0);
        assert!(value(&after, "reloop_http_requests_in_flight") >= 1.0, "the scrape itself is in flight");
        let failed = "reloop_sign_in_failures_total";
        assert!(value(&after, failed) - value(&before, failed) >= 1.0);
        assert!(after.contains("# TYPE reloop_db_write_wait_seconds histogram"));
        assert!(value(&after, "reloop_db_write_wait_seconds_count") >= 5.0, "every recording write waited for its turn");

        // This database's figures, exactly: three registrations and one transition are the
        // ledger's four rows; every chained entry is a ledger row or an audit entry.
        assert_eq!(value(&after, "reloop_ledger_entries"), 4.0);
        let audit = count(app, "audit_log").await;
        assert_eq!(value(&after, "reloop_audit_entries"), audit);
        assert_eq!(value(&after, "reloop_chain_head_seq"), 4.0 + audit);
        let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
        assert_eq!(value(&after, &format!("reloop_db_info{{backend=\"{backend}\"}}")), 1.0);
        assert_eq!(value(&after, "reloop_db_pool_max_connections"), 5.0);
        assert!(after.contains(&format!("reloop_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"))));
    }
}

db_test! {
    async fn metrics_are_off_without_a_token_and_open_on_their_own_address(app: TestApp) {
        let r = app.anon().get("/metrics").await;
        assert_eq!(r.status, 404);
        assert!(r.text.contains("set RELOOP_METRICS_TOKEN"), "{}", r.text);

        let own = reloop::web::spawn_metrics("127.0.0.1:0", app.db.clone(), app.settings.clone()).unwrap();
        let r = reqwest::get(format!("http://{}/metrics", own.addr)).await.unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert!(text.contains("# TYPE reloop_http_requests_total counter"), "{text}");
        assert_eq!(value(&text, "reloop_ledger_entries"), 0.0);
        let r = reqwest::get(format!("http://{}/assets", own.addr)).await.unwrap();
        assert_eq!(r.status(), 404, "nothing else is served there");
        own.handle.stop(false).await;
    }
}
