//! Request-scoped logs: every response carries its request id (a client's own only through
//! a trusted proxy), error pages show it, and the log line of a request names its id, route,
//! status and user, while no password, token, session or CSRF secret reaches the log.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reloop_tests::PASSWORD;
use reqwest::cookie::CookieStore;

use reloop_tests::csrf_of;

use super::*;

/// Everything logged by this test binary from the first call on (one global subscriber,
/// `info` and above, as a server logs by default).
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .try_init()
            .expect("no other global subscriber in the test binary");
        buf
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn request_id(r: &Resp) -> String {
    let id = r.header("x-request-id").expect("an X-Request-Id header").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id} is not a UUID");
    id
}

db_test! {
    async fn every_response_carries_its_request_id(app: TestApp) {
        let a = app.get("/api/v1/assets").await;
        let b = app.get("/api/v1/assets").await;
        assert_eq!((a.status, b.status), (200, 200));
        assert_ne!(request_id(&a), request_id(&b));

        // A client's own id is not adopted: it is not a trusted proxy.
        let rb = app.admin.request(reqwest::Method::GET, "/api/v1/assets").header("X-Request-Id", "client-chosen-1");
        let r = app.admin.send(rb).await;
        assert_ne!(request_id(&r), "client-chosen-1");

        // An error page shows the id its response carries, in the visitor's own frame.
        let r = app.admin.get("/no-such-page").await;
        assert_eq!(r.status, 404);
        let id = request_id(&r);
        assert!(r.text.contains(&format!("Reference <code data-request-id>{id}</code>: quote it when you report this")), "{}", r.text);
        assert!(r.text.contains("Sign out"), "the error page of an unknown path keeps the user menu");
    }
}

async fn behind_a_proxy(backend: Backend, test: &str) -> Option<TestApp> {
    TestApp::start_with(backend, test, |s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await
}

db_test! {
    start = behind_a_proxy;
    async fn a_trusted_proxy_passes_its_request_id_on(app: TestApp) {
        let rb = app.admin.request(reqwest::Method::GET, "/api/v1/assets").header("X-Request-Id", "lb-7f3a.01_x");
        let r = app.admin.send(rb).await;
        assert_eq!(r.header("x-request-id"), Some("lb-7f3a.01_x"));
        // Not a plain token: replaced, even from the proxy.
        let rb = app.admin.request(reqwest::Method::GET, "/api/v1/assets").header("X-Request-Id", "two words");
        let r = app.admin.send(rb).await;
        request_id(&r);
    }
}

db_test! {
    async fn logs_name_the_request_and_keep_no_secret(app: TestApp) {
        let logs = captured();
        // A sign-in through the form, and a failed one with a password of its own.
        let c = app.anon();
        let csrf = csrf_of(&c.get("/login").await.text);
        let wrong = "wrong horse battery 7319";
        let r = c.post_form("/login", &[("csrf_token", &csrf), ("username", "admin"), ("password", wrong)]).await;
        assert_eq!(r.status, 401, "the form again, with its error");
        let r = c.post_form("/login", &[("csrf_token", &csrf), ("username", "admin"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let session = c
            .jar
            .cookies(&app.base.parse().unwrap())
            .and_then(|h| h.to_str().ok().map(str::to_owned))
            .and_then(|h| h.split("; ").find_map(|kv| kv.strip_prefix("reloop_session=").map(str::to_owned)))
            .expect("a session cookie");
        // A token made and used through the API.
        let r = app.post_json("/api/v1/tokens", &json!({"name": "logged"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let token = s(&r.json(), "token");
        let mut holder = app.anon();
        holder.token = Some(token.clone());
        let r = holder.get("/api/v1/me").await;
        assert_eq!(r.status, 200);
        let id = request_id(&r);

        let text = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
        let admin = app.admin.user.as_ref().unwrap().id.0;
        let line = text.lines().find(|l| l.contains(&id)).unwrap_or_else(|| panic!("no line for {id}"));
        for part in ["method=GET", "route=/api/v1/me", "status=200", &format!("user={admin}"), "served"] {
            assert!(line.contains(part), "{part} missing from: {line}");
        }
        for (what, secret) in [("the password", PASSWORD), ("a wrong password", wrong), ("the token", &token), ("the session", &session), ("the CSRF token", &csrf)] {
            assert!(!text.contains(secret), "{what} is in the log");
        }
    }
}
