//! The UI in a real browser: scripts and styles load under the CSP, shortcuts work, and
//! the bench workflow (scan, act) runs end to end.

use reloop_tests::PASSWORD;
use reloop_tests::browser::Browser;
use thirtyfour::prelude::*;

use super::*;

db_test! {
    async fn a_browser_signs_in_scans_and_retires_a_server(app: TestApp) {
        let Some(b) = Browser::start("a_browser_signs_in_scans_and_retires_a_server").await else { return };
        app.asset("BR-1", "server", json!({"state": "deployed", "manufacturer": "Dell", "serial": "SCANME1"})).await;
        app.asset("BR-2", "dimm", json!({"state": "in_stock"})).await;

        b.driver.goto(app.url("/assets")).await.expect("goto");
        assert!(b.driver.current_url().await.expect("url").path().starts_with("/login"), "anonymous visitors sign in first");
        b.wait_for("input[name=username]").await.send_keys("admin").await.expect("type");
        b.wait_for("input[name=password]").await.send_keys(PASSWORD).await.expect("type");
        b.wait_for("form[action='/login'] button[type=submit]").await.click().await.expect("submit");
        b.wait_for(".flash").await;
        assert_eq!(b.driver.current_url().await.expect("url").path(), "/assets");

        // The stylesheet and the script both loaded under the CSP: styles apply, and the
        // script added its dismiss button to the flash message.
        let accent = b.eval("return getComputedStyle(document.querySelector('.titlebar a.btn')).backgroundColor").await;
        assert_eq!(accent, json!("rgb(15, 118, 110)"), "the stylesheet did not apply");
        let dismiss = b.wait_for(".flash .flash-close").await;
        dismiss.click().await.expect("dismiss");
        assert_eq!(b.eval("return getComputedStyle(document.querySelector('.flash')).display").await, json!("none"), "dismissed");

        // A filter select does not submit itself (WCAG 3.2.2); the Filter button does.
        b.eval("const s = document.querySelector('select[name=kind]'); s.value = 'dimm'; s.dispatchEvent(new Event('change', {bubbles: true})); return true").await;
        assert!(!b.driver.current_url().await.expect("url").query().unwrap_or_default().contains("kind=dimm"), "a change alone submits nothing");
        b.driver.find(By::Css("form.filters button[type=submit]")).await.expect("filter").click().await.expect("filter");
        b.wait_for("form.filters select[name=kind] option[value=dimm][selected]").await;
        let url = b.driver.current_url().await.expect("url");
        assert!(url.query().unwrap_or_default().contains("kind=dimm"), "{url}");
        assert!(b.driver.source().await.expect("source").contains("BR-2"));

        // "/" focuses the scan box; a scanned serial jumps to its item.
        b.driver.find(By::Css("body")).await.expect("body").send_keys("/").await.expect("hotkey");
        assert_eq!(b.eval("return document.activeElement.id").await, json!("scan-code"));
        b.driver.find(By::Css("#scan-code")).await.expect("scan").send_keys("scanme1\n").await.expect("scan");
        b.wait_for("h1 .tag").await;
        assert_eq!(b.driver.find(By::Css("h1 .tag")).await.expect("tag").text().await.expect("text"), "BR-1");

        // Retire it from its page.
        b.eval("document.querySelector('select[name=to]').value = 'retired'; return true").await;
        b.driver.find(By::Css("input[name=reason]")).await.expect("reason").send_keys("end of lease").await.expect("type");
        b.driver.find(By::Css("form[action$='/transition'] button[type=submit]")).await.expect("apply").click().await.expect("apply");
        let flash = b.wait_for(".flash").await.text().await.expect("flash");
        assert!(flash.contains("BR-1 is now retired"), "{flash}");
        let got = app.get("/api/v1/assets/lookup?code=BR-1").await.json();
        assert_eq!(got["state"], "retired");
        let last = app.events(&s(&got, "id")).await.pop().expect("event");
        assert_eq!((last["reason"].as_str(), last["actor"].as_str()), (Some("end of lease"), Some("admin")));
        b.quit().await;
    }
}

db_test! {
    async fn the_api_page_shows_every_operation_from_the_binary(app: TestApp) {
        let Some(b) = Browser::start("the_api_page_shows_every_operation_from_the_binary").await else { return };
        // Linked from the footer of every page, signed in or not.
        b.driver.goto(app.url("/login")).await.expect("goto");
        b.wait_for("footer a[href='/api-docs']").await.click().await.expect("follow the footer link");
        // Swagger UI, served by reloop itself under the page's strict CSP, renders the
        // document: an operation block per operation.
        b.wait_for("#swagger-ui .opblock").await;
        let shown = b.eval("return document.querySelectorAll('#swagger-ui .opblock').length").await.as_u64().unwrap();
        let doc = app.anon().get("/api/v1/openapi.json").await.json();
        let operations: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().keys().filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str())).count())
            .sum();
        assert_eq!(shown as usize, operations, "one block per operation of the document");
        // Every script and stylesheet came from reloop itself.
        let foreign = b
            .eval("return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin))")
            .await;
        assert_eq!(foreign, json!([]), "nothing from another origin");
        b.quit().await;
    }
}
