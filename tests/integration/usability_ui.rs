//! Day-one usability of the pages (issue 12): actions offered by role from the one
//! permission table, a reason and a confirmation for what cannot be undone,
//! post/redirect/get with the error at its form, plain words, every form error at once,
//! keyboard use (filters, "/", the skip link) in a real browser.

use reloop::rules::Role;
use reloop_tests::browser::Browser;
use reloop_tests::{Client, html_unescape};
use thirtyfour::prelude::*;

use super::a11y::{sign_in, viewport};
use super::*;

/// Follows a 303 (post/redirect/get) with the same client, returning the page it leads to
/// and where it was.
async fn follow(c: &Client, r: Resp) -> (String, Resp) {
    assert_eq!(r.status, 303, "a POST answers with a redirect: {}", r.text);
    let location = r.header("location").expect("location").to_owned();
    let path = location.split('#').next().unwrap_or_default().to_owned();
    (location, c.get(&path).await)
}

/// The `<select name="…">` of a page's form posting to `action`, as its options' values.
fn options(html: &str, action: &str, name: &str) -> Option<Vec<String>> {
    let form = html.split(&format!("action=\"{action}\"")).nth(1)?.split("</form>").next()?;
    let select = form.split(&format!("<select name=\"{name}\"")).nth(1)?.split("</select>").next()?;
    Some(select.split("<option value=\"").skip(1).filter_map(|o| o.split('"').next()).map(str::to_owned).collect())
}

/// The value of the input `name` inside the form posting to `action`.
fn input_value(html: &str, action: &str, name: &str) -> Option<String> {
    let form = html.split(&format!("action=\"{action}\"")).nth(1)?.split("</form>").next()?;
    let input = form.split(&format!("name=\"{name}\"")).nth(1)?.split('>').next()?;
    input.split("value=\"").nth(1)?.split('"').next().map(str::to_owned)
}

db_test! {
    async fn each_role_is_offered_only_the_moves_the_permission_table_allows(app: TestApp) {
        let server = app.asset("RA-1", "server", json!({"state": "deployed"})).await;
        app.asset("RA-1-DIMM", "dimm", json!({"parent_tag": "RA-1"})).await;
        let stock = app.asset("RA-2", "server", json!({"state": "in_stock"})).await;
        let (id, stock_id) = (s(&server, "id"), s(&stock, "id"));
        let move_to = format!("/assets/{id}/transition");

        // An administrator: every next state, none chosen in advance.
        let page = app.get(&format!("/assets/{id}")).await.text;
        assert_eq!(options(&page, &move_to, "to").unwrap(), ["", "in_stock", "in_repair", "redeployed", "retired", "lost"]);
        assert!(page.contains("<option value=\"\">Choose…</option>"), "a placeholder comes first");
        let select = page.split("<select name=\"to\"").nth(1).unwrap().split("</select>").next().unwrap();
        assert!(!select.contains("selected"), "no state is preselected: {select}");
        assert!(page.contains(&format!("action=\"/assets/{id}/install\"")) && page.contains(&format!("href=\"/assets/{id}/edit\"")));

        // A refurbisher: repair and stock only, never retired, lost or deployed; no edit.
        let rita = app.user("rita", Role::Refurbisher).await;
        let page = rita.get(&format!("/assets/{id}")).await.text;
        assert_eq!(options(&page, &move_to, "to").unwrap(), ["", "in_stock", "in_repair"]);
        assert!(page.contains(&format!("action=\"/assets/{id}/install\"")), "a refurbisher installs parts");
        assert!(!page.contains(&format!("href=\"/assets/{id}/edit\"")), "but does not edit the registry");
        let page = rita.get(&format!("/assets/{stock_id}")).await.text;
        assert_eq!(options(&page, &format!("/assets/{stock_id}/transition"), "to").unwrap(), ["", "in_repair"], "no deploying from stock");
        assert!(page.contains("are not yours to choose") || options(&page, &format!("/assets/{stock_id}/transition"), "to").is_some());

        // Read-only roles: no state form, no install or remove, no edit.
        for (name, role) in [("sam", Role::Sustainability), ("aud", Role::Auditor)] {
            let c = app.user(name, role).await;
            let page = c.get(&format!("/assets/{id}")).await;
            assert_eq!(page.status, 200);
            for action in [move_to.clone(), format!("/assets/{id}/install"), "/remove\"".to_owned(), format!("/assets/{id}/edit")] {
                assert!(!page.text.contains(&action), "{name} is offered {action}");
            }
            assert!(page.text.contains("RA-1-DIMM"), "{name} still sees the parts");
        }

        // A forbidden state posted anyway is refused by the service (403), the reason kept
        // at the form, nothing moved.
        let before = app.events(&id).await.len();
        let version = app.get_asset(&id).await["version"].to_string();
        let r = rita.post_form(&move_to, &[("to", "retired"), ("reason", "end of lease, ticket 42"), ("version", &version)]).await;
        let (location, page) = follow(&rita, r).await;
        assert_eq!(location, format!("/assets/{id}#change-state"), "back on the item's page, at the form");
        assert_eq!(page.status, 403, "{}", page.text);
        let text = html_unescape(&page.text);
        assert!(text.contains("a refurbisher may not move items to retired"), "{text}");
        assert_eq!(input_value(&text, &move_to, "reason").as_deref(), Some("end of lease, ticket 42"), "the typed reason is kept");
        assert_eq!(app.get_asset(&id).await["state"], "deployed");
        assert_eq!(app.events(&id).await.len(), before);
        let again = rita.get(&format!("/assets/{id}")).await;
        assert_eq!(again.status, 200, "reloading shows the page, and sends nothing");
        assert!(!html_unescape(&again.text).contains("may not move items to retired"), "the refusal is shown once");
        // Straight to the API, the same rule.
        let r = rita.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "retired"})).await;
        assert_eq!(r.status, 403, "{}", r.text);
    }
}

db_test! {
    async fn a_move_that_cannot_be_undone_needs_a_reason_and_a_confirmation(app: TestApp) {
        let server = app.asset("IR-1", "server", json!({"state": "deployed"})).await;
        app.asset("IR-1-DIMM", "dimm", json!({"parent_tag": "IR-1"})).await;
        let id = s(&server, "id");
        let move_to = format!("/assets/{id}/transition");
        let version = app.get_asset(&id).await["version"].to_string();
        let before = app.events(&id).await.len();

        // No reason: refused at the reason field, nothing moved.
        let r = app.post_form(&move_to, &[("to", "lost"), ("version", &version)]).await;
        let (_, page) = follow(&app.admin, r).await;
        assert_eq!(page.status, 422);
        let text = html_unescape(&page.text);
        assert!(text.contains("is required: a move to lost or stolen cannot be undone"), "{text}");
        assert_eq!(options(&text, &move_to, "to").unwrap()[0], "");
        assert!(text.contains("<option value=\"lost\" selected>"), "the chosen state is kept");

        // With a reason: the confirmation step, which names the item and the consequence.
        let r = app.post_form(&move_to, &[("to", "lost"), ("reason", "stolen from rack 12"), ("version", &version)]).await;
        let (location, page) = follow(&app.admin, r).await;
        assert_eq!(location, format!("/assets/{id}#confirm"));
        assert_eq!(page.status, 200);
        let text = html_unescape(&page.text);
        assert!(text.contains("Mark IR-1 as Lost or stolen?"), "{text}");
        assert!(text.contains("This cannot be undone.") && text.contains("Lost or stolen is final") && text.contains("The 1 part(s) installed in IR-1 go with it."), "{text}");
        assert!(text.contains("name=\"confirm\" value=\"yes\""));
        assert_eq!(input_value(&text, &move_to, "reason").as_deref(), Some("stolen from rack 12"));
        assert_eq!(app.get_asset(&id).await["state"], "deployed", "asking changed nothing");
        assert_eq!(app.events(&id).await.len(), before);

        // Confirmed: done, with the reason in the ledger.
        let r = app.post_form(&move_to, &[("to", "lost"), ("reason", "stolen from rack 12"), ("version", &version), ("confirm", "yes")]).await;
        let (_, page) = follow(&app.admin, r).await;
        assert!(html_unescape(&page.text).contains("IR-1 is now lost or stolen; 1 installed part(s) went along"), "{}", page.text);
        assert_eq!(app.get_asset(&id).await["state"], "lost");
        let last = app.events(&id).await.pop().unwrap();
        assert_eq!(last["reason"], "stolen from rack 12");

        // A reversible move needs neither.
        let other = app.asset("IR-2", "server", json!({"state": "deployed"})).await;
        let r = app.post_form(&format!("/assets/{}/transition", s(&other, "id")), &[("to", "retired"), ("version", "1")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(app.get_asset(&s(&other, "id")).await["state"], "retired");
    }
}

db_test! {
    async fn removing_a_part_asks_for_a_reason_and_a_confirmation(app: TestApp) {
        let server = app.asset("RM-1", "server", json!({"state": "deployed"})).await;
        let dimm = app.asset("RM-1-DIMM", "dimm", json!({"parent_tag": "RM-1"})).await;
        let (id, dimm_id) = (s(&server, "id"), s(&dimm, "id"));
        let remove = format!("/assets/{id}/children/{dimm_id}/remove");
        let version = app.get_asset(&id).await["version"].to_string();

        // The parts table's button: asks first.
        let r = app.post_form(&remove, &[("version", &version), ("back", &id)]).await;
        let (location, page) = follow(&app.admin, r).await;
        assert_eq!(location, format!("/assets/{id}#remove"));
        let text = html_unescape(&page.text);
        assert!(text.contains("Remove RM-1-DIMM from RM-1?"), "{text}");
        assert!(text.contains("becomes a standalone item"), "{text}");
        assert_eq!(input_value(&text, &remove, "confirm").as_deref(), Some("yes"));
        assert_eq!(input_value(&text, &remove, "version").as_deref(), Some(version.as_str()), "the version the table was drawn with");
        assert_eq!(app.get_asset(&dimm_id).await["parent_id"], json!(id), "asking removed nothing");

        // Confirmed without a reason: refused at the reason field.
        let r = app.post_form(&remove, &[("version", &version), ("back", &id), ("confirm", "yes")]).await;
        let (_, page) = follow(&app.admin, r).await;
        assert_eq!(page.status, 422);
        assert!(html_unescape(&page.text).contains("is required: say why the part comes out"), "{}", page.text);
        assert_eq!(app.get_asset(&dimm_id).await["parent_id"], json!(id));

        // Confirmed with a reason: removed.
        let r = app.post_form(&remove, &[("version", &version), ("back", &id), ("confirm", "yes"), ("reason", "to the spare pool")]).await;
        let (_, page) = follow(&app.admin, r).await;
        assert!(html_unescape(&page.text).contains("Removed RM-1-DIMM from RM-1; it is in stock"), "{}", page.text);
        assert_eq!(app.get_asset(&dimm_id).await["parent_id"], Value::Null);
        assert!(app.events(&dimm_id).await.iter().any(|e| e["reason"] == "to the spare pool"));
    }
}

db_test! {
    async fn a_refused_install_redirects_and_shows_the_error_at_its_form(app: TestApp) {
        let server = app.asset("PR-1", "server", json!({"state": "deployed"})).await;
        let id = s(&server, "id");
        let r = app.post_form(&format!("/assets/{id}/install"), &[("child_tag", "NOPE-9"), ("reason", "swap"), ("version", "1")]).await;
        let (location, page) = follow(&app.admin, r).await;
        assert_eq!(location, format!("/assets/{id}#install"), "the URL leaves the POST endpoint");
        assert_eq!(page.status, 422);
        let text = html_unescape(&page.text);
        let form = text.split(&format!("action=\"/assets/{id}/install\"")).nth(1).unwrap().split("</form>").next().unwrap();
        assert!(form.contains("no asset has the tag NOPE-9"), "the error is at the install form: {form}");
        assert_eq!(input_value(&text, &format!("/assets/{id}/install"), "child_tag").as_deref(), Some("NOPE-9"));
        assert_eq!(input_value(&text, &format!("/assets/{id}/install"), "reason").as_deref(), Some("swap"));
    }
}

db_test! {
    async fn messages_use_the_words_on_the_screen(app: TestApp) {
        // An address that names no item.
        for path in ["/assets/not-an-id", "/sites/42", "/models/x/edit"] {
            let r = app.get(path).await;
            assert_eq!(r.status, 404, "{path}");
            let text = html_unescape(&r.text);
            assert!(text.contains("That address does not name an item"), "{path}: {text}");
            assert!(!text.contains("deserialize") && !text.contains("UUID parsing"), "{path}: {text}");
            assert!(text.contains("class=\"usermenu\""), "the error page keeps the frame");
        }

        // The registration form: every error at once, each under its label.
        let r = app.post_form("/assets", &[("asset_tag", ""), ("mass_override_kg", "heavy"), ("acquired_on", "yesterday"), ("kind", "server")]).await;
        assert_eq!(r.status, 422);
        let text = html_unescape(&r.text);
        for (label, message) in [("Asset tag", "is required"), ("Mass override (kg)", "must be a number"), ("Acquired on", "must be a date such as 2024-03-31")] {
            let field = text.split(&format!(">{label}")).nth(1).unwrap_or_else(|| panic!("{label} in {text}")).split("</label>").next().unwrap();
            assert!(field.contains(&format!("<span class=\"err\">{message}</span>")), "{label}: {field}");
        }
        assert!(text.contains("Please correct the 3 field(s) marked below."), "{text}");

        // The catalog form: every error at once, other fields named by their labels.
        let r = app
            .post_form("/models", &[("manufacturer", ""), ("model_number", "X1"), ("kind", "server"), ("mass_kg", "heavy"), ("idle_w", "500"), ("max_w", "300"), ("unu_key", "abc")])
            .await;
        assert_eq!(r.status, 422);
        let text = html_unescape(&r.text);
        assert!(text.contains("Please correct the 4 field(s) marked below."), "{text}");
        for message in ["is required", "must be a number", "must not exceed Max power (W)", "must be a four-digit UNU-KEY such as 0307"] {
            assert!(text.contains(&format!("<span class=\"err\">{message}</span>")), "{message}: {text}");
        }
        assert!(!text.contains("exceed max_w") && !text.contains(">max_w"), "no internal names in what people read");

        // A filter's error names its label.
        let r = app.get("/models?kind=toaster").await;
        assert!(html_unescape(&r.text).contains("Kind: must be one of"), "{}", r.text);

        // Timestamps say their zone, in a <time> the script localises.
        let server = app.asset("TZ-1", "server", json!({"state": "in_stock"})).await;
        let r = app.post_json("/api/v1/repairs", &json!({"asset_id": server["id"], "fault_category": "psu_failure"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let page = app.get(&format!("/assets/{}", s(&server, "id"))).await.text;
        let opened = page.split("opened <time datetime=\"").nth(1).expect("a <time>").split("</time>").next().unwrap();
        let (iso, shown) = opened.split_once("\" data-local>").expect("data-local");
        assert!(iso.ends_with('Z') && iso.len() == 20, "RFC 3339 in UTC: {iso}");
        assert_eq!(shown, format!("{} {} UTC", &iso[..10], &iso[11..16]), "the text says its zone");

        // "Register and add another part" starts the next part blank but for where it goes.
        let r = app.post_form("/assets", &[("asset_tag", "TZ-1-CPU"), ("kind", "cpu"), ("parent_tag", "TZ-1"), ("next", "another")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let location = r.header("location").unwrap().to_owned();
        assert_eq!(location, "/assets/new?parent_tag=TZ-1", "no kind carried over");
        let form = app.get(&location).await.text;
        assert!(form.contains("<option value=\"\" selected>From the model</option>") || !form.contains("value=\"cpu\" selected"), "kind reset");
        let r = app.post_form("/assets", &[("asset_tag", "TZ-1-DIMM"), ("kind", "dimm"), ("parent_tag", "TZ-1")]).await;
        assert_eq!(r.status, 303, "the next part, a DIMM, registers: {}", r.text);
    }
}

db_test! {
    start = TestApp::start_bare;
    async fn the_setup_form_reports_every_error_at_once(app: TestApp) {
        let anon = app.anon();
        let page = anon.get("/setup").await;
        let csrf = reloop_tests::csrf_of(&page.text);
        let r = anon.post_form("/setup", &[("csrf_token", &csrf), ("username", "x"), ("password", "short"), ("password_again", "other")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        let text = html_unescape(&r.text);
        assert!(text.contains("does not match the password"), "{text}");
        assert!(text.contains("must be 3 to 64 characters"), "the username's problem too: {text}");
        assert!(text.contains("Please correct the 3 field(s) marked below."), "{text}");
    }
}

/// The elements' values of `select[name=to]` on the page now shown.
async fn state_choices(b: &Browser) -> Value {
    b.eval("return Array.from(document.querySelectorAll('form[action$=\"/transition\"] select[name=to] option')).map(o => o.value)").await
}

db_test! {
    async fn in_a_browser_keys_do_what_people_expect_and_irreversible_moves_ask_first(app: TestApp) {
        let Some(b) = Browser::start("in_a_browser_keys_do_what_people_expect_and_irreversible_moves_ask_first").await else { return };
        let server = app.asset("KB-1", "server", json!({"state": "deployed", "manufacturer": "Dell", "serial": "KBSER1"})).await;
        app.asset("KB-1-DIMM", "dimm", json!({"parent_tag": "KB-1"})).await;
        app.user("rita", Role::Refurbisher).await;
        let id = s(&server, "id");
        sign_in(&b, app, "admin").await;

        // The skip link is the first stop of the tab order and lands on the content.
        b.driver.goto(app.url("/assets")).await.expect("goto");
        b.wait_for("main h1").await;
        b.driver.find(By::Css("body")).await.unwrap().send_keys(Key::Tab).await.unwrap();
        assert_eq!(b.eval("return [document.activeElement.className, document.activeElement.textContent]").await, json!(["skip-link", "Skip to content"]));
        b.driver.action_chain().send_keys(Key::Enter).perform().await.unwrap();
        assert_eq!(b.eval("return document.activeElement.id").await, json!("content"), "focus moves to <main>");

        // An arrow key in a filter select changes the choice and submits nothing; Enter in
        // the search field submits the filters.
        let url = b.driver.current_url().await.unwrap();
        b.eval("window.__submitted = false; document.querySelector('form.filters').addEventListener('submit', () => { window.__submitted = true; }); window.__page = 'same'; return true").await;
        let kind = b.driver.find(By::Css("form.filters select[name=kind]")).await.unwrap();
        kind.focus().await.unwrap();
        kind.send_keys(Key::Down).await.unwrap();
        let chosen = b.eval("return document.querySelector('form.filters select[name=kind]').value").await;
        assert_ne!(chosen, json!(""), "ArrowDown chose a kind");
        assert_eq!(b.eval("return [window.__submitted, window.__page, document.activeElement.name]").await, json!([false, "same", "kind"]), "nothing was submitted and focus stayed");
        assert_eq!(b.driver.current_url().await.unwrap(), url, "the URL is unchanged");
        b.driver.find(By::Css("form.filters input[name=q]")).await.unwrap().send_keys("KB\n").await.unwrap();
        // The new page is the one whose search box holds what was typed.
        b.wait_for("form.filters input[name=q][value='KB']").await;
        let query = b.driver.current_url().await.unwrap().query().unwrap_or_default().to_owned();
        assert!(query.contains("q=KB") && query.contains(&format!("kind={}", chosen.as_str().unwrap())), "{query}");

        // On an item's page nothing takes focus, and "/" goes to the scan box.
        b.driver.goto(app.url(&format!("/assets/{id}"))).await.expect("goto");
        b.wait_for("h1 .tag").await;
        assert_eq!(b.eval("return document.activeElement.tagName + '#' + document.activeElement.id + '.' + document.activeElement.className").await, json!("BODY#."), "nothing steals focus on load");
        b.driver.find(By::Css("body")).await.unwrap().send_keys("/").await.unwrap();
        assert_eq!(b.eval("return document.activeElement.id").await, json!("scan-code"));
        // Times are shown in the reader's zone, the UTC text kept as the title.
        let bench = app.asset("KB-3", "server", json!({"state": "in_stock"})).await;
        let r = app.post_json("/api/v1/repairs", &json!({"asset_id": bench["id"], "fault_category": "psu_failure"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        b.driver.goto(app.url(&format!("/assets/{}", s(&bench, "id")))).await.expect("goto");
        b.wait_for("h1 .tag").await;
        let shown = b.eval("const t = document.querySelector('time[data-local]'); return [t.hasAttribute('data-localised'), t.title, t.textContent]").await;
        assert_eq!(shown[0], json!(true), "{shown}");
        assert!(shown[1].as_str().unwrap().ends_with(" UTC") && shown[2].as_str().unwrap().len() >= 17, "{shown}");
        b.driver.goto(app.url(&format!("/assets/{id}"))).await.expect("goto");
        b.wait_for("h1 .tag").await;

        // "Lost or stolen" asks first, naming the consequence; confirming applies it.
        assert_eq!(b.eval("return document.querySelector('select[name=to]').value").await, json!(""), "Choose… is selected");
        b.eval("document.querySelector('select[name=to]').value = 'lost'; return true").await;
        b.driver.find(By::Css("form[action$='/transition'] input[name=reason]")).await.unwrap().send_keys("stolen in transit").await.unwrap();
        b.driver.find(By::Css("form[action$='/transition'] button[type=submit]")).await.unwrap().click().await.unwrap();
        let title = b.wait_for("#confirm h2").await.text().await.unwrap();
        assert_eq!(title, "Mark KB-1 as Lost or stolen?");
        assert_eq!(app.get_asset(&id).await["state"], "deployed");
        b.driver.find(By::Css("#confirm button[type=submit]")).await.unwrap().click().await.unwrap();
        let flash = b.wait_for(".flash").await.text().await.unwrap();
        assert!(flash.contains("KB-1 is now lost or stolen"), "{flash}");

        // A refurbisher's choices on a deployed server: stock and repair only.
        let other = app.asset("KB-2", "server", json!({"state": "deployed"})).await;
        b.driver.delete_all_cookies().await.unwrap();
        sign_in(&b, app, "rita").await;
        b.driver.goto(app.url(&format!("/assets/{}", s(&other, "id")))).await.expect("goto");
        b.wait_for("h1 .tag").await;
        assert_eq!(state_choices(&b).await, json!(["", "in_stock", "in_repair"]));

        // On a 390 px phone the item page fits.
        viewport(&b, 390).await;
        b.driver.goto(app.url(&format!("/assets/{id}"))).await.expect("goto");
        b.wait_for("h1 .tag").await;
        let w = b.eval("return [document.documentElement.scrollWidth, window.innerWidth]").await;
        assert!(w[0].as_i64() <= w[1].as_i64(), "{w}");
        b.quit().await;
    }
}
