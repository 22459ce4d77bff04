use reloop::rules::Role;
use reloop_tests::{Client, PASSWORD};
use sea_orm::{ConnectionTrait, EntityTrait};

use reloop_tests::csrf_of;

use super::*;

fn set_cookie<'a>(r: &'a Resp, name: &str) -> Option<&'a str> {
    r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&format!("{name}=")))
}

/// Signs in through the login form as a browser would; returns the client and the response.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (Client, Resp) {
    let c = app.anon();
    let page = c.get("/login").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let csrf = csrf_of(&page.text);
    let r = c
        .post_form(
            "/login",
            &[("csrf_token", &csrf), ("username", username), ("password", password), ("next", "/sites")],
        )
        .await;
    (c, r)
}

async fn sql(app: &TestApp, statement: &str) {
    app.db.conn().execute_unprepared(statement).await.expect(statement);
}

db_test! {
    start = TestApp::start_bare;
    async fn first_run_setup_creates_the_admin_and_then_disappears(app: TestApp) {
        let c = app.anon();
        let r = c.get("/assets").await;
        assert_eq!((r.status, r.header("location")), (303, Some("/login?next=%2Fassets")));
        let r = c.get("/login").await;
        assert_eq!((r.status, r.header("location")), (303, Some("/setup")), "no users yet: setup first");
        let page = c.get("/setup").await;
        assert_eq!(page.status, 200);
        let csrf = csrf_of(&page.text);
        assert_eq!(csrf.len(), 64);
        // Without the token nothing happens.
        let r = c.post_form("/setup", &[("username", "root"), ("password", PASSWORD), ("password_again", PASSWORD)]).await;
        assert_eq!(r.status, 403);
        let r = c.post_form("/setup", &[("csrf_token", &csrf), ("username", "root"), ("password", "password1234"), ("password_again", "password1234")]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("too common"), "{}", r.text);
        let r = c.post_form("/setup", &[("csrf_token", &csrf), ("username", "root"), ("password", PASSWORD), ("password_again", "other")]).await;
        assert_eq!(r.status, 422);
        assert_eq!(reloop::auth::users::count(app.db.conn()).await.expect("count"), 0);
        let r = c.post_form("/setup", &[("csrf_token", &csrf), ("username", "root"), ("display_name", "Ada"), ("password", PASSWORD), ("password_again", PASSWORD)]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let page = c.get("/assets").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("Ada") && page.text.contains("Sign out"));
        let users = reloop::auth::users::list(app.db.conn()).await.expect("users");
        assert_eq!((users.len(), users[0].role), (1, Role::Admin));
        assert_eq!(c.get("/setup").await.status, 404, "the page is gone");
        let r = c.post_form("/setup", &[("csrf_token", &csrf), ("username", "intruder"), ("password", PASSWORD), ("password_again", PASSWORD)]).await;
        assert!(r.status == 403 || r.status == 404, "{}", r.status);
        assert_eq!(reloop::auth::users::count(app.db.conn()).await.expect("count"), 1);
    }
}

db_test! {
    async fn signing_in_gives_a_fresh_safe_cookie_and_signing_out_kills_it(app: TestApp) {
        app.user("bob", Role::AssetManager).await;
        // A cookie planted before sign-in is not adopted.
        let planted = "a".repeat(64);
        let (c, r) = {
            let c = app.anon();
            c.jar.add_cookie_str(&format!("reloop_session={planted}; Path=/"), &app.base.parse().expect("url"));
            let csrf = csrf_of(&c.get("/login").await.text);
            let r = c.post_form("/login", &[("csrf_token", &csrf), ("username", "BOB"), ("password", PASSWORD), ("next", "/sites")]).await;
            (c, r)
        };
        assert_eq!((r.status, r.header("location")), (303, Some("/sites")), "{}", r.text);
        let cookie = set_cookie(&r, "reloop_session").expect("session cookie").to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
        assert!(!cookie.contains("Secure"), "loopback without RELOOP_SECURE_COOKIES keeps plain-http cookies: {cookie}");
        let value = cookie.trim_start_matches("reloop_session=").split(';').next().unwrap_or_default().to_owned();
        assert_ne!(value, planted);
        assert!(c.get("/sites").await.text.contains("Sign out"));
        // The session id is stored only as a hash.
        let stored: Vec<String> = reloop::db::entities::session::Entity::find().all(app.db.conn()).await.expect("sessions").into_iter().map(|s| s.id_hash).collect();
        assert!(!stored.contains(&value) && stored.len() >= 2);
        // Sign out: the same cookie no longer works anywhere.
        let thief = app.anon();
        thief.jar.add_cookie_str(&format!("reloop_session={value}; Path=/"), &app.base.parse().expect("url"));
        assert_eq!(thief.get("/sites").await.status, 200, "the stolen cookie works while the session lives");
        let page = c.get("/sites").await;
        let r = c.post_form("/logout", &[("csrf_token", &csrf_of(&page.text))]).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/login")));
        assert_eq!(thief.get("/sites").await.status, 303, "after sign-out the stolen cookie is dead");
        assert_eq!(c.get("/sites").await.status, 303);
    }
}

db_test! {
    start = secure_app;
    async fn cookies_are_secure_when_configured(app: TestApp) {
        app.user("carol", Role::Auditor).await;
        let (_, r) = sign_in(app, "carol", PASSWORD).await;
        assert_eq!(r.status, 303);
        assert!(set_cookie(&r, "reloop_session").unwrap_or_default().contains("Secure"));
    }
}

async fn secure_app(b: Backend, t: &str) -> Option<TestApp> {
    TestApp::start_with(b, t, |s| s.secure_cookies = true).await
}

db_test! {
    async fn wrong_credentials_read_the_same_whoever_exists(app: TestApp) {
        app.user("dave", Role::Refurbisher).await;
        let (_, wrong) = sign_in(app, "dave", "not the password at all").await;
        let (_, ghost) = sign_in(app, "nobody-here", "not the password at all").await;
        assert_eq!((wrong.status, ghost.status), (401, 401));
        let msg = |r: &Resp| r.text.split("class=\"alert\" role=\"alert\">").nth(1).and_then(|t| t.split('<').next()).unwrap_or_default().to_owned();
        assert_eq!(msg(&wrong), msg(&ghost));
        assert!(!msg(&wrong).is_empty());
        // A deactivated account cannot sign in, and says nothing more.
        let dave = reloop::auth::users::find_by_username(app.db.conn(), "dave").await.expect("q").expect("dave");
        let r = app.patch_json(&format!("/api/v1/users/{}", dave.id), &json!({"version": 1, "active": false})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let (_, r) = sign_in(app, "dave", PASSWORD).await;
        assert_eq!(r.status, 401);
        assert_eq!(msg(&r), msg(&ghost));
    }
}

/// Names lock after four failures, with no waits between attempts.
pub(crate) async fn throttled_app(b: Backend, t: &str) -> Option<TestApp> {
    TestApp::start_with(b, t, |s| {
        s.login_max_failures = 4;
        s.login_backoff_ms = 0;
    })
    .await
}

db_test! {
    start = throttled_app;
    async fn repeated_failures_lock_the_account_name_whether_or_not_it_exists(app: TestApp) {
        app.user("erin", Role::Auditor).await;
        for name in ["erin", "ghost"] {
            for i in 0..4 {
                let (_, r) = sign_in(app, name, "wrong wrong wrong").await;
                assert_eq!(r.status, 401, "{name} attempt {i}");
            }
            let (_, r) = sign_in(app, name, PASSWORD).await;
            assert_eq!(r.status, 429, "{name} is locked, even with the right password: {}", r.text);
            assert!(r.header("retry-after").is_some());
            assert!(r.text.contains("Too many failed sign-ins"));
        }
        // Locks live in the database: another client (instance) sees the same.
        let (_, r) = sign_in(app, "erin", PASSWORD).await;
        assert_eq!(r.status, 429);
        // When the lock runs out, the right password works and clears the count.
        sql(app, "UPDATE login_throttle SET locked_until = NULL, first_failure_at = '2000-01-01T00:00:00Z', last_failure_at = '2000-01-01T00:00:00Z' WHERE key = 'user:erin'").await;
        let (_, r) = sign_in(app, "erin", PASSWORD).await;
        assert_eq!(r.status, 303, "{}", r.text);
    }
}

async fn backoff_app(b: Backend, t: &str) -> Option<TestApp> {
    TestApp::start_with(b, t, |s| s.login_backoff_ms = 60_000).await
}

db_test! {
    start = backoff_app;
    async fn after_a_few_failures_each_attempt_must_wait(app: TestApp) {
        app.user("fay", Role::Auditor).await;
        for _ in 0..3 {
            assert_eq!(sign_in(app, "fay", "nope nope nope").await.1.status, 401);
        }
        let (_, r) = sign_in(app, "fay", PASSWORD).await;
        assert_eq!(r.status, 429, "the fourth try comes too soon");
        let wait: i64 = r.header("retry-after").and_then(|v| v.parse().ok()).expect("retry-after");
        assert!((1..=60).contains(&wait), "{wait}");
    }
}

db_test! {
    async fn idle_and_expired_sessions_end(app: TestApp) {
        let c = app.user("gus", Role::Auditor).await;
        assert_eq!(c.get("/assets").await.status, 200);
        sql(app, "UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00Z' WHERE user_id IN (SELECT id FROM users WHERE username = 'gus')").await;
        assert_eq!(c.get("/assets").await.status, 303, "idle too long");
        let c = app.client_for(c.user.as_ref().expect("user")).await;
        assert_eq!(c.get("/assets").await.status, 200);
        sql(app, "UPDATE sessions SET expires_at = '2000-01-01T00:00:00Z' WHERE user_id IN (SELECT id FROM users WHERE username = 'gus')").await;
        assert_eq!(c.get("/assets").await.status, 303, "past the absolute limit");
    }
}

db_test! {
    async fn api_tokens_are_shown_once_hashed_expire_and_revoke(app: TestApp) {
        let anon = app.anon();
        let r = anon.get("/api/v1/assets").await;
        assert_eq!((r.status, r.error().0.as_str()), (401, "unauthorized"));
        assert!(r.header("www-authenticate").unwrap_or_default().starts_with("Bearer"));
        let r = app.post_json("/api/v1/tokens", &json!({"name": "sync", "expires_in_days": 30})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let created = r.json();
        let token = s(&created, "token");
        assert!(token.starts_with("rl_") && token.len() == 67);
        let mut client = app.anon();
        client.token = Some(token.clone());
        assert_eq!(client.get("/api/v1/me").await.json()["username"], "admin");
        let listed = app.get("/api/v1/tokens").await.text;
        assert!(!listed.contains(&token), "the secret is never listed");
        assert!(listed.contains(&token[..10]), "its prefix is");
        // Only a hash is stored.
        let hashes: Vec<String> = reloop::db::entities::api_token::Entity::find().all(app.db.conn()).await.expect("tokens").into_iter().map(|t| t.token_hash).collect();
        assert!(!hashes.contains(&token));
        // Expired tokens stop working.
        sql(app, &format!("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00Z' WHERE id = '{}'", s(&created, "id"))).await;
        if app.backend == Backend::Sqlite {
            // SQLite keeps UUIDs as blobs; the text comparison above matched nothing there.
            let id = uuid::Uuid::parse_str(&s(&created, "id")).expect("id");
            sql(app, &format!("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00Z' WHERE id = X'{}'", id.simple())).await;
        }
        assert_eq!(client.get("/api/v1/me").await.status, 401, "expired");
        // Revoked tokens too; someone else cannot revoke mine.
        let r = app.post_json("/api/v1/tokens", &json!({"name": "ci"})).await;
        let t2 = r.json();
        client.token = Some(s(&t2, "token"));
        assert_eq!(client.get("/api/v1/me").await.status, 200);
        let other = app.user("hal", Role::AssetManager).await;
        let r = other.delete(&format!("/api/v1/tokens/{}", s(&t2, "id"))).await;
        assert_eq!(r.status, 404, "not yours: reported as unknown");
        assert_eq!(client.get("/api/v1/me").await.status, 200);
        let r = app.delete(&format!("/api/v1/tokens/{}", s(&t2, "id"))).await;
        assert_eq!(r.status, 200);
        assert!(r.json()["revoked_at"].is_string());
        assert_eq!(client.get("/api/v1/me").await.status, 401, "revoked");
        // Cookies do not authenticate the API (no cross-site requests with a session).
        let browser = app.user("ivy", Role::Admin).await;
        let mut cookie_only = browser.clone();
        cookie_only.token = None;
        assert_eq!(cookie_only.get("/api/v1/me").await.status, 401);
        // The CLI prints a token for scripts.
        let t = reloop::cli::create_token(&app.db, "ivy", "script", Some(7)).await.expect("cli token");
        client.token = Some(t);
        assert_eq!(client.get("/api/v1/me").await.json()["username"], "ivy");
        assert!(reloop::cli::create_token(&app.db, "nobody", "x", None).await.is_err());
    }
}

db_test! {
    async fn changing_a_password_ends_the_other_sessions(app: TestApp) {
        let me = app.user("joan", Role::AssetManager).await;
        let other = app.client_for(me.user.as_ref().expect("user")).await;
        // A refused change goes back to the form (post/redirect/get), which shows why once.
        let weak = me.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", "123456789012"), ("new_password_again", "123456789012")]).await;
        assert_eq!((weak.status, weak.header("location")), (303, Some("/account#password")));
        assert!(me.get("/account").await.text.contains("too common or too easy to guess"));
        let wrong = me.post_form("/account/password", &[("current_password", "not it at all"), ("new_password", "quiet river under old bridges"), ("new_password_again", "quiet river under old bridges")]).await;
        assert_eq!(wrong.status, 303);
        assert!(me.get("/account").await.text.contains("is not your current password"));
        let r = me.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", "quiet river under old bridges"), ("new_password_again", "quiet river under old bridges")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(me.get("/account").await.status, 200, "this session goes on");
        assert_eq!(other.get("/account").await.status, 303, "the other one ended");
        assert_eq!(sign_in(app, "joan", PASSWORD).await.1.status, 401);
        assert_eq!(sign_in(app, "joan", "quiet river under old bridges").await.1.status, 303);
    }
}

db_test! {
    async fn admins_manage_users_and_the_last_admin_stays(app: TestApp) {
        let r = app.post_json("/api/v1/users", &json!({"username": "kim", "role": "refurbisher", "password": PASSWORD, "display_name": "Kim"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let kim = r.json();
        assert!(!r.text.contains("argon2"), "no hash in the answer");
        let r = app.post_json("/api/v1/users", &json!({"username": "KIM", "role": "auditor", "password": PASSWORD})).await;
        assert_eq!(r.status, 409);
        let r = app.post_json("/api/v1/users", &json!({"username": "lee", "role": "auditor", "password": "short"})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("password")));
        let r = app.post_json("/api/v1/users", &json!({"username": "x", "role": "auditor", "password": PASSWORD})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("username")));
        let r = app.post_json("/api/v1/users", &json!({"username": "lee", "role": "overlord", "password": PASSWORD})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (400, Some("role")));
        // The only admin cannot demote or deactivate themselves.
        let me = app.get("/api/v1/me").await.json();
        let r = app.patch_json(&format!("/api/v1/users/{}", s(&me, "id")), &json!({"version": me["version"], "role": "auditor"})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.error().2.contains("last active admin"));
        let r = app.patch_json(&format!("/api/v1/users/{}", s(&me, "id")), &json!({"version": me["version"], "active": false})).await;
        assert_eq!(r.status, 422);
        // Changing someone's role ends their sessions (their token follows the new role).
        let kim_client = app.client_for(&serde_json::from_value::<UserView>(kim.clone()).expect("user").into_user(app).await).await;
        assert_eq!(kim_client.get("/assets").await.status, 200);
        let r = app.patch_json(&format!("/api/v1/users/{}", s(&kim, "id")), &json!({"version": 1, "role": "auditor"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(kim_client.get("/assets").await.status, 303, "signed out by the role change");
        let mut kim_api = kim_client.clone();
        kim_api.jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        assert_eq!(kim_api.get("/api/v1/me").await.json()["role"], "auditor");
        // Users are never deleted, only deactivated.
        let r = app.patch_json(&format!("/api/v1/users/{}", s(&kim, "id")), &json!({"version": 2, "active": false})).await;
        assert_eq!(r.status, 200);
        assert_eq!(kim_api.get("/api/v1/me").await.status, 401);
        let names: Vec<String> = app.get("/api/v1/users").await.json().as_array().expect("list").iter().map(|u| s(u, "username")).collect();
        assert_eq!(names, ["admin", "kim"]);
        // Through the UI, too.
        let r = app.post_form("/admin/users", &[("username", "morgan"), ("role", "sustainability"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert!(app.get("/admin/users").await.text.contains(">morgan<"));
    }
}

#[derive(serde::Deserialize)]
struct UserView {
    username: String,
}

impl UserView {
    async fn into_user(self, app: &TestApp) -> reloop::auth::User {
        let row = reloop::auth::users::find_by_username(app.db.conn(), &self.username).await.expect("q").expect("user");
        row.try_into().expect("user")
    }
}

db_test! {
    async fn refurbishers_repair_and_harvest_but_do_not_deploy_or_sell(app: TestApp) {
        let refurb = app.user("ned", Role::Refurbisher).await;
        let server = app.asset("RF-1", "server", json!({"state": "deployed"})).await;
        app.asset("RF-SPARE", "dimm", json!({})).await;
        let id = s(&server, "id");
        let r = refurb.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "in_repair"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        // A repair: a spare goes in (and takes the server's state), no role problem.
        let r = refurb.post_json(&format!("/api/v1/assets/{id}/children"), &json!({"child_tag": "RF-SPARE"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = refurb.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "deployed"})).await;
        assert_eq!((r.status, r.error().0.as_str()), (403, "forbidden"));
        assert!(r.error().2.contains("refurbisher"));
        assert_eq!(app.get_asset(&id).await["state"], "in_repair", "nothing changed");
        // Registering and editing are asset managers' work.
        let r = refurb.post_json("/api/v1/assets", &json!({"asset_tag": "RF-2", "kind": "server"})).await;
        assert_eq!(r.status, 403);
        // Sanitize and dismantle are refurbishing.
        assert_eq!(app.transition(&id, "retired").await.status, 200);
        let r = refurb.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "dismantled"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

db_test! {
    async fn forms_without_the_right_csrf_token_change_nothing(app: TestApp) {
        let server = app.asset("CS-1", "server", json!({"state": "deployed"})).await;
        let id = s(&server, "id");
        let mut forger = app.admin.clone();
        for token in [None, Some("0".repeat(64)), Some(String::new())] {
            forger.csrf = token.clone();
            let mut fields = vec![("to", "retired"), ("version", "1")];
            if let Some(t) = &token {
                fields.push(("csrf_token", t.as_str()));
            }
            let r = forger.post_form(&format!("/assets/{id}/transition"), &fields).await;
            assert_eq!(r.status, 403, "token {token:?}: {}", r.text);
            assert!(r.text.contains("did not come from reloop"));
        }
        // Another user's valid token is not this session's.
        let other = app.user("olga", Role::AssetManager).await;
        forger.csrf = other.csrf.clone();
        let r = forger.post_form(&format!("/assets/{id}/transition"), &[("to", "retired"), ("version", "1")]).await;
        assert_eq!(r.status, 403);
        assert_eq!(app.get_asset(&id).await["state"], "deployed");
        assert_eq!(app.events(&id).await.len(), 1, "nothing reached the ledger");
        let r = app.post_form(&format!("/assets/{id}/transition"), &[("to", "retired"), ("version", "1")]).await;
        assert_eq!(r.status, 303, "the real token works");
    }
}
