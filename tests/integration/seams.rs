//! The seams the architecture promises: a stale version is a 409 everywhere (UI forms
//! included), CSRF is checked for every non-GET UI request whatever the handler reads,
//! concurrent writers with one version cannot both win, and no route exists without a rule.

use std::sync::Arc;

use actix_web::{App, HttpResponse, test as actix_test, web};
use reloop::rules::Role;
use reloop::web::access::{Family, RouteTable, Rule};
use reloop::web::state::AppState;
use reloop_tests::PASSWORD;

use super::*;

/// The value of the first `name="version"` input after `marker` in a page.
fn version_after(html: &str, marker: &str) -> Option<String> {
    let rest = &html[html.find(marker)?..];
    let v = rest.split("name=\"version\" value=\"").nth(1)?;
    Some(v.split('"').next()?.to_owned())
}

db_test! {
    async fn stale_install_and_remove_forms_are_refused_and_write_nothing(app: TestApp) {
        let server = app.asset("ST-1", "server", json!({"state": "deployed"})).await;
        let id = s(&server, "id");
        app.asset("ST-SPARE", "dimm", json!({})).await;
        let fitted = app.asset("ST-FITTED", "dimm", json!({"parent_tag": "ST-1"})).await;
        let fitted_id = s(&fitted, "id");

        // The page's forms carry the versions they were drawn with.
        let page = app.get(&format!("/assets/{id}")).await;
        let shown = app.get_asset(&id).await["version"].as_i64().expect("version").to_string();
        assert_eq!(version_after(&page.text, "/install\"").as_deref(), Some(shown.as_str()), "the install form carries the server's version");
        assert_eq!(
            version_after(&page.text, &format!("/children/{fitted_id}/remove\"")).as_deref(),
            Some(shown.as_str()),
            "a remove form carries its parent's version"
        );

        // Someone else edits the server after the page was drawn.
        let r = app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": shown.parse::<i64>().expect("int"), "custodian": "Ops"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let events_before = app.events(&id).await.len();
        let audit_before = app.get("/api/v1/audit?limit=500").await.json()["items"].as_array().map(Vec::len);

        let r = app.post_form(&format!("/assets/{id}/install"), &[("child_tag", "ST-SPARE"), ("version", &shown)]).await;
        assert_eq!(r.status, 303, "refused, back to the item's page: {}", r.text);
        let r = app.get(&format!("/assets/{id}")).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let text = reloop_tests::html_unescape(&r.text);
        assert!(text.contains("was changed by someone else") && text.contains("reload and try again"), "{text}");
        let spare = app.get("/api/v1/assets/lookup?code=ST-SPARE").await.json();
        assert_eq!(spare["parent_id"], Value::Null, "the stale install wrote nothing");

        let r = app
            .post_form(
                &format!("/assets/{id}/children/{fitted_id}/remove"),
                &[("version", &shown), ("back", &id), ("confirm", "yes"), ("reason", "swap")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let r = app.get(&format!("/assets/{id}")).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(reloop_tests::html_unescape(&r.text).contains("was changed by someone else"));
        assert_eq!(app.get_asset(&fitted_id).await["parent_id"].as_str(), Some(id.as_str()), "the stale remove wrote nothing");

        assert_eq!(app.events(&id).await.len(), events_before, "no ledger entry was written");
        let audit_after = app.get("/api/v1/audit?limit=500").await.json()["items"].as_array().map(Vec::len);
        assert_eq!(audit_after, audit_before, "no audit entry was written");

        // With the current version both go through.
        let current = app.get_asset(&id).await["version"].as_i64().expect("version").to_string();
        let r = app.post_form(&format!("/assets/{id}/install"), &[("child_tag", "ST-SPARE"), ("version", &current)]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let current = app.get_asset(&id).await["version"].as_i64().expect("version").to_string();
        let r = app
            .post_form(
                &format!("/assets/{id}/children/{fitted_id}/remove"),
                &[("version", &current), ("back", &id), ("confirm", "yes"), ("reason", "swap")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(app.get_asset(&fitted_id).await["parent_id"], Value::Null);
    }
}

db_test! {
    async fn a_bodiless_post_without_a_csrf_token_is_refused(app: TestApp) {
        let token = app.post_json("/api/v1/tokens", &json!({"name": "victim"})).await.json();
        let token_id = s(&token, "id");
        for path in ["/logout".to_owned(), format!("/account/tokens/{token_id}/revoke")] {
            let r = app.admin.send(app.admin.request(reqwest::Method::POST, &path)).await;
            assert_eq!(r.status, 403, "{path}: {}", r.text);
            assert!(r.text.contains("did not come from reloop"), "{path}: {}", r.text);
            // A form body without the token is refused the same way.
            let r = app.admin.send(app.admin.request(reqwest::Method::POST, &path).form(&[("x", "1")])).await;
            assert_eq!(r.status, 403, "{path}");
        }
        // Nothing happened: still signed in, the token still works.
        assert_eq!(app.get("/account").await.status, 200);
        let tokens = app.get("/api/v1/tokens").await.json();
        let victim = tokens.as_array().expect("list").iter().find(|t| t["id"] == token["id"]).cloned().expect("token");
        assert_eq!(victim["revoked_at"], Value::Null);
        // With the token (a form field, or the header scripts use) the same requests work.
        let csrf = app.admin.csrf.clone().expect("csrf");
        let r = app
            .admin
            .send(app.admin.request(reqwest::Method::POST, &format!("/account/tokens/{token_id}/revoke")).header("x-csrf-token", &csrf))
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let r = app.post_form("/logout", &[]).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/login")));
        assert_eq!(app.get("/account").await.status, 303, "signed out");
    }
}

db_test! {
    async fn concurrent_password_changes_with_one_version_let_exactly_one_win(app: TestApp) {
        let first = app.user("pia", Role::Auditor).await;
        let user = first.user.clone().expect("user");
        let second = app.client_for(&user).await;
        let version = user.version.to_string();
        let (a, b) = ("quiet harbour lamps at dusk", "seven copper kettles humming");
        let form = |new: &'static str| {
            vec![
                ("current_password", PASSWORD),
                ("new_password", new),
                ("new_password_again", new),
                ("version", version.as_str()),
            ]
        };
        let (fa, fb) = (form(a), form(b));
        let (ra, rb) = tokio::join!(first.post_form("/account/password", &fa), second.post_form("/account/password", &fb));
        // Both answer with a redirect (post/redirect/get): the winner's to the account, the
        // loser's back to the form. The winning change ended the loser's session, so its
        // refusal is not shown to it: it signs in again.
        let mut places = [ra.header("location").unwrap_or_default(), rb.header("location").unwrap_or_default()];
        places.sort();
        assert_eq!(places, ["/account", "/account#password"], "one wins, the other is refused: {} / {}", ra.text, rb.text);
        let loser = if ra.header("location") == Some("/account#password") { &first } else { &second };
        assert_eq!(loser.get("/account").await.header("location").map(|l| l.starts_with("/login")), Some(true));
        let (winner, other) = if ra.header("location") == Some("/account") { (a, b) } else { (b, a) };
        // Exactly the winner's password signs in now; the loser's and the old one do not.
        let row = reloop::auth::users::find_by_username(app.db.conn(), "pia").await.expect("query").expect("pia");
        assert!(reloop::auth::password::verify(winner.to_owned(), Some(row.password_hash.clone())).await);
        assert!(!reloop::auth::password::verify(other.to_owned(), Some(row.password_hash.clone())).await);
        assert!(!reloop::auth::password::verify(PASSWORD.to_owned(), Some(row.password_hash)).await);
        assert_eq!(row.version, user.version + 1, "one write, one version step");
        // A form drawn before the change is stale now.
        let third = app.client_for(&user).await;
        let r = third.post_form("/account/password", &form(a)).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/account#password")), "{}", r.text);
        let page = third.get("/account").await.text;
        assert!(reloop_tests::html_unescape(&page).contains("changed by someone else"), "{page}");
    }
}

db_test! {
    async fn every_api_operation_states_its_permission(app: TestApp) {
        let doc = app.get("/api/v1/openapi.json").await.json();
        let paths = doc["paths"].as_object().expect("paths");
        let mut seen = 0;
        for rule in reloop::web::routes::all_rules().into_iter().filter(|r| r.family == Family::Api) {
            let op = &paths[rule.path.as_ref()][rule.method.to_lowercase()];
            let description = op["description"].as_str().unwrap_or_default();
            assert!(
                description.contains(&format!("Requires `{}`", rule.perm.as_str())),
                "{} {} does not state its permission: {description}",
                rule.method,
                rule.path
            );
            seen += 1;
        }
        assert!(seen >= 27, "{seen} API operations");
        let audit = paths["/api/v1/audit"]["get"]["description"].as_str().unwrap_or_default();
        assert!(audit.contains("admin, auditor") && !audit.contains("asset_manager"), "{audit}");
        // Vocabularies are documented in their wire spelling.
        let states: Vec<&str> = doc["components"]["schemas"]["State"]["enum"].as_array().expect("enum").iter().filter_map(|v| v.as_str()).collect();
        assert!(states.contains(&"in_stock") && states.contains(&"transferred_out"), "{states:?}");
    }
}

/// A handler for routes mounted only in this test.
async fn hello() -> HttpResponse {
    HttpResponse::Ok().body("hello")
}

db_test! {
    async fn a_route_without_a_rule_is_refused_and_the_table_refuses_duplicates(app: TestApp) {
        // The access middleware in front of an app that mounts one route with a rule and
        // one without: the second is refused before its handler runs.
        let table = RouteTable::new([Rule::new("GET", "/ruled", reloop::rules::Permission::Public, Family::Infra)])
            .expect("table");
        let state = AppState::new(app.db.clone(), Arc::clone(&app.settings));
        let svc = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(state))
                .app_data(web::Data::new(table))
                .wrap(actix_web::middleware::from_fn(reloop::web::access::guard))
                .route("/ruled", web::get().to(hello))
                .route("/unruled", web::get().to(hello)),
        )
        .await;
        let ok = actix_test::call_service(&svc, actix_test::TestRequest::get().uri("/ruled").to_request()).await;
        assert_eq!(ok.status(), 200);
        let refused = actix_test::call_service(&svc, actix_test::TestRequest::get().uri("/unruled").to_request()).await;
        assert_eq!(refused.status(), 403);
        let body = actix_test::read_body(refused).await;
        assert!(String::from_utf8_lossy(&body).contains("no access rule"), "{body:?}");
        // The real table declares each route once.
        let dup = RouteTable::new([
            Rule::new("GET", "/x", reloop::rules::Permission::Public, Family::Infra),
            Rule::new("GET", "/x", reloop::rules::Permission::Read, Family::Ui),
        ]);
        assert!(dup.is_err_and(|e| e.contains("declared twice")));
        let table = reloop::web::routes::table().expect("the app's own table");
        assert_eq!(table.rules().len(), reloop::web::routes::all_rules().len());
    }
}
