//! Accounts on day one: an admin's temporary password that must be changed at the next
//! sign-in (web UI and command line, audited), the last sign-in and what each role may do
//! on the users page, token revocation with a confirmation step, and post/redirect/get on
//! the account and users pages (a new token's secret shown once, refused forms shown at
//! their form with every error).

use reloop::rules::role::MATRIX;
use reloop::rules::{Permission, Role};
use reloop_tests::browser::Browser;
use reloop_tests::{Client, PASSWORD, csrf_of, html_unescape};
use sea_orm::EntityTrait;

use super::*;

const TEMPORARY: &str = "amber lantern over quiet hills";
const CHOSEN: &str = "seven herons wading at dawn";

/// Signs in through the form as a browser would; the client keeps the session cookie.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (Client, Resp) {
    let mut c = app.anon();
    let page = c.get("/login").await;
    let csrf = csrf_of(&page.text);
    let r = c
        .post_form(
            "/login",
            &[("csrf_token", &csrf), ("username", username), ("password", password), ("next", "/sites")],
        )
        .await;
    if r.status == 303 {
        // The signed-in pages carry the session's CSRF token.
        let page = c.get("/account/password").await;
        c.csrf = Some(csrf_of(&page.text));
    }
    (c, r)
}

async fn user_row(app: &TestApp, username: &str) -> reloop::db::entities::user::Model {
    reloop::auth::users::find_by_username(app.db.conn(), username).await.expect("query").expect("user")
}

async fn token_count(app: &TestApp, owner: &str) -> usize {
    let id = user_row(app, owner).await.id;
    reloop::db::entities::api_token::Entity::find()
        .all(app.db.conn())
        .await
        .expect("tokens")
        .iter()
        .filter(|t| t.user_id == id)
        .count()
}

db_test! {
    async fn an_admin_sets_a_temporary_password_that_must_be_changed_first(app: TestApp) {
        let before = app.user("tess", Role::AssetManager).await;
        let tess = before.user.clone().expect("user");
        assert_eq!(before.get("/assets").await.status, 200);

        // The users page offers the form; setting it ends tess's sessions at once.
        let page = app.get("/admin/users").await.text;
        assert!(page.contains(&format!("action=\"/admin/users/{}/password\"", tess.id)), "{page}");
        let r = app.post_form(&format!("/admin/users/{}/password", tess.id), &[("password", TEMPORARY), ("version", &tess.version.to_string())]).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/admin/users")), "{}", r.text);
        let page = html_unescape(&app.get("/admin/users").await.text);
        assert!(page.contains("Set a temporary password for tess"), "the flash says so");
        assert!(page.contains("temporary, not yet changed"), "the row says so");
        let r = before.get("/assets").await;
        assert_eq!((r.status, r.header("location").map(|l| l.starts_with("/login"))), (303, Some(true)), "the old session ended");

        // Audited, naming tess, without the password.
        let trail = app.get("/api/v1/audit?action=user.temporary_password").await;
        let items = trail.json()["items"].as_array().cloned().expect("items");
        assert_eq!(items.len(), 1, "{}", trail.text);
        assert_eq!((items[0]["target_type"].as_str(), items[0]["target_id"].as_str(), items[0]["actor_name"].as_str()), (Some("user"), Some(tess.id.to_string().as_str()), Some("admin")));
        assert_eq!(items[0]["after"]["username"], "tess");
        assert_eq!(items[0]["after"]["must_change_password"], true);
        let all = app.get("/api/v1/audit?limit=500").await.text;
        assert!(!all.contains(TEMPORARY) && !all.contains("amber lantern"), "the password never enters the trail");

        // Until the change, tess's API token is refused, saying why.
        let r = before.get("/api/v1/me").await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert!(r.error().2.contains("temporary password"), "{}", r.text);

        // Signing in with it leads to the change page, and every other page leads there too.
        assert_eq!(sign_in(app, "tess", PASSWORD).await.1.status, 401, "the old password is gone");
        let (c, r) = sign_in(app, "tess", TEMPORARY).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/account/password")), "{}", r.text);
        let page = c.get("/account/password").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("An administrator set a temporary password"), "{}", page.text);
        for path in ["/assets", "/sites", "/account", "/", "/bench", "/models/new"] {
            let r = c.get(path).await;
            let location = r.header("location").unwrap_or_default().to_owned();
            assert_eq!((r.status, location.as_str()), (303, "/account/password"), "{path}");
        }
        let r = c.post_form("/account/tokens", &[("name", "sneaky")]).await;
        assert_eq!(r.header("location"), Some("/account/password"));
        assert_eq!(token_count(app, "tess").await, 1, "nothing was created meanwhile");

        // Keeping the temporary password is refused, at the change page.
        let version = user_row(app, "tess").await.version.to_string();
        let r = c.post_form("/account/password", &[("current_password", TEMPORARY), ("new_password", TEMPORARY), ("new_password_again", TEMPORARY), ("version", &version)]).await;
        assert_eq!(r.header("location"), Some("/account/password"));
        assert!(c.get("/account/password").await.text.contains("must differ from your current password"));
        // Choosing one's own ends the state.
        let r = c.post_form("/account/password", &[("current_password", TEMPORARY), ("new_password", CHOSEN), ("new_password_again", CHOSEN), ("version", &version)]).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/")), "{}", r.text);
        assert_eq!(c.get("/assets").await.status, 200, "normal access again");
        assert_eq!(before.get("/api/v1/me").await.json()["must_change_password"], false, "the token works again");
        assert!(!user_row(app, "tess").await.must_change_password);
        assert_eq!(sign_in(app, "tess", TEMPORARY).await.1.status, 401);
        assert_eq!(sign_in(app, "tess", CHOSEN).await.1.header("location"), Some("/sites"), "a normal sign-in follows next");
    }
}

db_test! {
    async fn the_command_line_sets_a_temporary_password(app: TestApp) {
        app.user("uma", Role::Refurbisher).await;
        let u = reloop::cli::set_temporary_password(&app.db, "uma", TEMPORARY.into()).await.expect("set");
        assert!(u.must_change_password);
        let trail = app.get("/api/v1/audit?action=user.temporary_password&actor=cli").await.json();
        assert_eq!(trail["items"][0]["target_id"], json!(u.id.to_string()));
        assert!(!serde_json::to_string(&trail).expect("json").contains(TEMPORARY));
        let (_, r) = sign_in(app, "uma", TEMPORARY).await;
        assert_eq!(r.header("location"), Some("/account/password"));
        // A weak password or an unknown name is refused, saying which.
        let e = reloop::cli::set_temporary_password(&app.db, "uma", "short".into()).await.expect_err("weak");
        assert!(e.to_string().contains("password: must be at least 12 characters"), "{e}");
        let e = reloop::cli::set_temporary_password(&app.db, "nobody", TEMPORARY.into()).await.expect_err("unknown");
        assert!(e.to_string().contains("no user is called nobody"), "{e}");
    }
}

db_test! {
    async fn only_admins_set_temporary_passwords_and_not_their_own(app: TestApp) {
        let target = app.user("vic", Role::Auditor).await.user.expect("user");
        for role in [Role::AssetManager, Role::Refurbisher, Role::Sustainability, Role::Auditor] {
            let c = app.user(&format!("not-admin-{}", role.as_str().replace('_', "-")), role).await;
            let r = c.post_form(&format!("/admin/users/{}/password", target.id), &[("password", TEMPORARY)]).await;
            assert_eq!(r.status, 403, "{role}: {}", r.text);
            assert!(r.text.contains("does not allow this"), "{role}");
        }
        let row = user_row(app, "vic").await;
        assert!(!row.must_change_password);
        assert!(reloop::auth::password::verify(PASSWORD.into(), Some(row.password_hash)).await, "unchanged");
        // An admin changes their own password under their account instead.
        let me = app.admin.user.clone().expect("admin");
        let r = app.post_form(&format!("/admin/users/{}/password", me.id), &[("password", TEMPORARY)]).await;
        assert_eq!(r.header("location"), Some(format!("/admin/users#user-{}", me.id).as_str()));
        let page = app.get("/admin/users").await.text;
        assert!(page.contains("this is your own account"), "{page}");
        assert!(!user_row(app, "admin").await.must_change_password);
        // A weak temporary password is refused at that account's row, and nothing changes.
        let r = app.post_form(&format!("/admin/users/{}/password", target.id), &[("password", "short"), ("version", &target.version.to_string())]).await;
        assert_eq!(r.header("location"), Some(format!("/admin/users#user-{}", target.id).as_str()));
        let page = app.get("/admin/users").await.text;
        assert!(page.contains("must be at least 12 characters"), "{page}");
        assert!(page.contains("<details open>"), "the row's form is open to show it");
        assert!(!user_row(app, "vic").await.must_change_password);
    }
}

db_test! {
    async fn the_users_page_shows_the_last_sign_in_and_what_each_role_may_do(app: TestApp) {
        app.user("wren", Role::Sustainability).await;
        let page = app.get("/admin/users").await.text;
        let row = page.split("<td class=\"mono\">wren</td>").nth(1).expect("wren's row");
        let row = row.split("</tr>").next().expect("row");
        assert!(row.contains("<td>never</td>"), "{row}");

        let started = chrono::Utc::now();
        let (_, r) = sign_in(app, "wren", PASSWORD).await;
        assert_eq!(r.status, 303);
        let ended = chrono::Utc::now();
        let at = user_row(app, "wren").await.last_sign_in_at.expect("recorded");
        assert!(started <= at && at <= ended, "{started} <= {at} <= {ended}");
        let page = app.get("/admin/users").await.text;
        let row = page.split("<td class=\"mono\">wren</td>").nth(1).expect("wren's row").split("</tr>").next().expect("row");
        let shown = format!("<time datetime=\"{}\">{}</time>", at.to_rfc3339(), reloop::web::ui::views::short_time(at));
        assert!(row.contains(&shown), "{shown} in {row}");
        assert_eq!(app.get("/api/v1/users").await.json().as_array().expect("users").iter().find(|u| u["username"] == "wren").expect("wren")["last_sign_in_at"], json!(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));

        // Each role's help lists exactly its permissions from the table, in their words.
        let page = html_unescape(&page);
        for role in Role::ALL {
            let dd = page
                .split(&format!("<dt>{}</dt>", role.label()))
                .nth(1)
                .and_then(|r| r.split("</dd>").next())
                .unwrap_or_else(|| panic!("no help for {role}"));
            for (perm, roles) in MATRIX.iter().filter(|(p, _)| *p != Permission::Public) {
                assert_eq!(dd.contains(perm.label()), roles.contains(role), "{role} and {perm}: {dd}");
            }
        }
        let refurbisher = page.split("<dt>Refurbisher</dt>").nth(1).expect("refurbisher");
        assert!(refurbisher.split("</dd>").next().expect("dd").contains("moving items only to In repair"));
    }
}

db_test! {
    async fn revoking_a_token_asks_for_confirmation_first(app: TestApp) {
        let token = app.post_json("/api/v1/tokens", &json!({"name": "nightly export"})).await.json();
        let id = s(&token, "id");
        let mut script = app.admin.clone();
        script.token = Some(s(&token, "token"));
        // The account page links to the confirmation; a post without it only asks.
        assert!(app.get("/account").await.text.contains(&format!("href=\"/account/tokens/{id}/revoke\"")));
        let r = app.post_form(&format!("/account/tokens/{id}/revoke"), &[]).await;
        assert_eq!((r.status, r.header("location")), (303, Some(format!("/account/tokens/{id}/revoke").as_str())));
        assert_eq!(script.get("/api/v1/me").await.status, 200, "not revoked yet");
        let page = html_unescape(&app.get(&format!("/account/tokens/{id}/revoke")).await.text);
        assert!(page.contains("Revoke the API token “nightly export”?") && page.contains("stops working at once"), "{page}");
        assert!(page.contains("name=\"confirm\" value=\"revoke\""));
        // Confirmed, it goes.
        let r = app.post_form(&format!("/account/tokens/{id}/revoke"), &[("confirm", "revoke")]).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/account#tokens")));
        assert_eq!(script.get("/api/v1/me").await.status, 401, "revoked");
        // Someone else's token is not theirs to see or revoke.
        let other = app.user("xena", Role::AssetManager).await;
        let mine = app.post_json("/api/v1/tokens", &json!({"name": "kept"})).await.json();
        assert_eq!(other.get(&format!("/account/tokens/{}/revoke", s(&mine, "id"))).await.status, 404);
        let r = other.post_form(&format!("/account/tokens/{}/revoke", s(&mine, "id")), &[("confirm", "revoke")]).await;
        assert_eq!(r.status, 404);
        let list = app.get("/api/v1/tokens").await.json();
        assert!(list.as_array().expect("list").iter().any(|t| t["id"] == mine["id"] && t["revoked_at"].is_null()));
    }
}

db_test! {
    async fn a_new_token_is_shown_once_after_a_redirect_and_never_stored(app: TestApp) {
        let before = token_count(app, "admin").await;
        let r = app.post_form("/account/tokens", &[("name", "inventory sync"), ("expires_in_days", "30")]).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/account#new-token")), "{}", r.text);
        assert_eq!(token_count(app, "admin").await, before + 1);
        // What waits for the next page does not hold the secret in the clear.
        let slots: Vec<String> = reloop::db::entities::session::Entity::find().all(app.db.conn()).await.expect("sessions").into_iter().filter_map(|s| s.once).collect();
        assert_eq!(slots.len(), 1);
        let page = html_unescape(&app.get("/account").await.text);
        let secret = page.split("<pre class=\"json\">").nth(1).and_then(|r| r.split("</pre>").next()).expect("the secret is shown").to_owned();
        assert!(secret.starts_with("rl_") && secret.len() == 67, "{secret}");
        assert!(!slots[0].contains(&secret[3..]), "sealed, not stored");
        assert!(page.contains("Created the API token “inventory sync”"));
        let mut script = app.admin.clone();
        script.token = Some(secret.clone());
        assert_eq!(script.get("/api/v1/me").await.json()["username"], "admin", "it is the real token");
        // Shown once: the next view of the page has it no more, and nothing was created again.
        let again = app.get("/account").await.text;
        assert!(!again.contains(&secret) && !again.contains("id=\"new-token\""));
        assert_eq!(token_count(app, "admin").await, before + 1);
    }
}

db_test! {
    async fn refused_forms_come_back_at_their_form_with_every_error_in_ui_words(app: TestApp) {
        // Adding a user: three problems, all shown at once, after a redirect.
        let r = app.post_form("/admin/users", &[("username", "x"), ("role", ""), ("password", "short"), ("display_name", "Xavier")]).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/admin/users#add-user")));
        let page = html_unescape(&app.get("/admin/users").await.text);
        let form = page.split("id=\"add-user\"").nth(1).expect("the add-user form");
        assert!(form.contains("Please correct the 3 field(s)"), "{form}");
        assert!(form.contains("must be 3 to 64 characters"));
        assert!(form.contains("choose one of Administrator, Asset manager, Refurbisher, Sustainability analyst or Auditor (read-only)"), "{form}");
        assert!(form.contains("must be at least 12 characters"));
        assert!(form.contains("value=\"Xavier\""), "typed values come back");
        assert!(!form.contains("value=\"short\""), "passwords do not");
        assert!(!page.contains("asset_manager,"), "no internal names in messages");
        assert!(!app.get("/admin/users").await.text.contains("Please correct"), "shown once");
        // A row's refusal shows at its row.
        let me = app.admin.user.clone().expect("admin");
        let version = user_row(app, "admin").await.version.to_string();
        let r = app.post_form(&format!("/admin/users/{}", me.id), &[("role", "auditor"), ("active", "true"), ("version", &version)]).await;
        assert_eq!(r.header("location"), Some(format!("/admin/users#user-{}", me.id).as_str()));
        let page = app.get("/admin/users").await.text;
        let row = page.split(&format!("<tr id=\"user-{}\">", me.id)).nth(1).expect("row").split("</tr>").next().expect("row");
        assert!(row.contains("last active admin"), "{row}");

        // A token: no name and a bad expiry, both named.
        let r = app.post_form("/account/tokens", &[("name", ""), ("expires_in_days", "soon")]).await;
        assert_eq!(r.header("location"), Some("/account#tokens"));
        let page = app.get("/account").await.text;
        let tokens = page.split("id=\"tokens\"").nth(1).expect("tokens form");
        assert!(tokens.contains("must be a whole number of days") && tokens.contains("Please correct the 2 field(s)"), "{tokens}");
        // The password: a wrong current one, a weak new one that is not repeated right.
        let r = app.post_form("/account/password", &[("current_password", "not it at all"), ("new_password", "123456789012"), ("new_password_again", "123456789013"), ("version", &version)]).await;
        assert_eq!(r.header("location"), Some("/account#password"));
        let page = html_unescape(&app.get("/account").await.text);
        let form = page.split("id=\"password\"").nth(1).expect("password form");
        for msg in ["is not your current password", "too common or too easy to guess", "does not match the new password"] {
            assert!(form.contains(msg), "{msg}: {form}");
        }
    }
}

db_test! {
    async fn a_browser_reloading_after_creating_a_token_creates_nothing(app: TestApp) {
        let Some(b) = Browser::start("a_browser_reloading_after_creating_a_token_creates_nothing").await else { return };
        b.driver.goto(app.url("/login")).await.expect("goto");
        b.wait_for("input[name=username]").await.send_keys("admin").await.expect("type");
        b.wait_for("input[name=password]").await.send_keys(PASSWORD).await.expect("type");
        b.wait_for("form[action='/login'] button[type=submit]").await.click().await.expect("sign in");
        b.wait_for(".flash").await;
        b.driver.goto(app.url("/account")).await.expect("goto");
        let before = token_count(app, "admin").await;
        b.wait_for("form[action='/account/tokens'] input[name=name]").await.send_keys("browser token").await.expect("type");
        b.wait_for("form[action='/account/tokens'] button[type=submit]").await.click().await.expect("create");
        let secret = b.wait_for("#new-token pre").await.text().await.expect("secret");
        assert!(secret.starts_with("rl_"), "{secret}");
        assert_eq!(b.driver.current_url().await.expect("url").path(), "/account", "the page is a GET after a redirect");
        assert_eq!(token_count(app, "admin").await, before + 1);
        // Reloading shows the page again: no second token, and the secret is gone.
        b.driver.refresh().await.expect("reload");
        b.wait_for("#tokens").await;
        assert_eq!(token_count(app, "admin").await, before + 1, "the reload created nothing");
        assert_eq!(b.eval("return document.querySelectorAll('#new-token').length").await, json!(0));
        // Revoking it asks first, without any script.
        let id = app.get("/api/v1/tokens").await.json().as_array().expect("list").iter().find(|t| t["name"] == "browser token").map(|t| s(t, "id")).expect("token");
        b.wait_for(&format!("a[href='/account/tokens/{id}/revoke']")).await.click().await.expect("revoke link");
        b.wait_for("input[name=confirm]").await;
        b.wait_for("main form button[type=submit]").await.click().await.expect("confirm");
        b.wait_for(".flash").await;
        let list = app.get("/api/v1/tokens").await.json();
        assert!(list.as_array().expect("list").iter().any(|t| t["id"] == json!(id) && t["revoked_at"].is_string()));
        b.quit().await;
    }
}
