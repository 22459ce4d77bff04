//! Walks every route of the app (UI and API) for every role and for anonymous callers.

use reloop::rules::{Permission, Role};
use reloop::web::routes::all_rules;

use super::*;

db_test! {
    async fn every_route_admits_exactly_the_roles_its_rule_names(app: TestApp) {
        // Fixtures the paths point at.
        let site = app.site("Matrix").await;
        let model = app.model("Acme", "M1", "server", None).await;
        let parent = app.asset("MX-P", "server", json!({})).await;
        let child = app.asset("MX-C", "dimm", json!({"parent_tag": "MX-P"})).await;
        let token = app.post_json("/api/v1/tokens", &json!({"name": "matrix"})).await.json();
        let mut users = Vec::new();
        for role in Role::ALL {
            let c = app.user(&format!("m-{}", role.as_str().replace('_', "-")), *role).await;
            users.push((*role, c.user.clone().expect("user")));
        }
        let some_user = &users[2].1;
        let fill = |path: &str| -> String {
            let id = if path.starts_with("/api/v1/sites/") || path.starts_with("/sites/") {
                s(&site, "id")
            } else if path.starts_with("/api/v1/models/") || path.starts_with("/models/") {
                s(&model, "id")
            } else if path.starts_with("/api/v1/users/") || path.starts_with("/admin/users/") {
                some_user.id.to_string()
            } else if path.starts_with("/api/v1/tokens/") || path.starts_with("/account/tokens/") {
                s(&token, "id")
            } else {
                s(&parent, "id")
            };
            path.replace("{id}", &id).replace("{child_id}", &s(&child, "id")).replace("{child}", &s(&child, "id")).replace("{name}", "app.css")
        };
        let mut checked = 0;
        for rule in all_rules() {
            let path = fill(&rule.path);
            let api = rule.path.starts_with("/api/");
            // Anonymous callers, with the sign-in page's CSRF token as a browser would have.
            let mut anon = app.anon();
            let login = anon.get("/login").await;
            anon.csrf = login.text.split("name=\"csrf_token\" value=\"").nth(1).and_then(|r| r.split('"').next()).map(str::to_owned);
            let r = send(&anon, rule.method, &path, api).await;
            if rule.perm == Permission::Public {
                assert_ne!(r.status, 403, "anonymous {} {path}: {}", rule.method, r.text);
            } else if api {
                assert_eq!(r.status, 401, "anonymous {} {path}", rule.method);
            } else {
                assert_eq!(r.status, 303, "anonymous {} {path}", rule.method);
                assert!(r.header("location").unwrap_or_default().starts_with("/login?next="), "anonymous {} {path}", rule.method);
            }
            // Each role, with a fresh session so that sign-outs do not leak between checks.
            for (role, user) in &users {
                let client = app.client_for(user).await;
                let r = send(&client, rule.method, &path, api).await;
                let allowed = rule.perm == Permission::Public || role.allows(rule.perm);
                let to_login = r.status == 303 && r.header("location").unwrap_or_default().starts_with("/login?next=");
                // An empty sign-in form is answered 401 for its credentials, not its access.
                let bad_credentials = rule.path == "/login" && r.status == 401;
                if allowed {
                    assert!(bad_credentials || (r.status != 401 && r.status != 403 && !to_login), "{role} should reach {} {path}, got {}: {}", rule.method, r.status, r.text);
                } else {
                    assert_eq!(r.status, 403, "{role} must be refused {} {path}: {}", rule.method, r.text);
                    if api {
                        assert_eq!(r.error().0, "forbidden");
                    } else {
                        assert!(r.text.contains("does not allow this"), "{}", r.text);
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 5 * 60, "only {checked} checks");
        // Nothing the matrix posted reached the registry: every write was empty or refused.
        assert_eq!(app.get_asset(&s(&parent, "id")).await["state"], "in_stock");
    }
}

async fn send(c: &reloop_tests::Client, method: &str, path: &str, api: bool) -> Resp {
    match (method, api) {
        ("GET", _) => c.get(path).await,
        ("POST", true) => c.post_json(path, &json!({})).await,
        ("PATCH", true) => c.patch_json(path, &json!({})).await,
        ("PUT", true) => c.put_json(path, &json!({})).await,
        ("DELETE", true) => c.delete(path).await,
        ("POST", false) => c.post_form(path, &[]).await,
        (m, _) => panic!("no way to send {m}"),
    }
}
