//! Accessibility and phone layout of the main pages in headless Chromium: axe-core 4.14.1
//! (vendored, unmodified, under `tests/assets/axe-core/`, injected by the test and never
//! served by reloop) finds no violation on any of them at 1280 and 390 px, and no page is
//! wider than its window at 390 and 320 px.

use reloop::rules::Role;
use reloop_tests::PASSWORD;
use reloop_tests::browser::Browser;

use super::*;

/// axe-core's script, as shipped in its npm package.
const AXE: &str = include_str!("../assets/axe-core/axe.min.js");

/// Signs in through the form, as a person would.
pub async fn sign_in(b: &Browser, app: &TestApp, username: &str) {
    b.driver.goto(app.url("/login")).await.expect("goto");
    b.wait_for("input[name=username]").await.send_keys(username).await.expect("type");
    b.wait_for("input[name=password]").await.send_keys(PASSWORD).await.expect("type");
    b.wait_for("form[action='/login'] button[type=submit]").await.click().await.expect("submit");
    b.wait_for(".usermenu").await;
}

/// Makes the viewport exactly `width` px wide. (Not emulated as a phone: a phone's
/// browser widens its layout viewport to fit content that overflows, which would hide
/// the overflow this measures.)
pub async fn viewport(b: &Browser, width: u32) {
    let metrics = json!({"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": false});
    b.driver.cdp().send_raw("Emulation.setDeviceMetricsOverride", metrics).await.expect("viewport");
}

/// The page's width against the window's: (document scroll width, window inner width).
pub async fn widths(b: &Browser) -> (i64, i64) {
    let v = b.eval("return [document.documentElement.scrollWidth, window.innerWidth]").await;
    (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())
}

/// axe-core's violations on the page now shown, one line each (rule, impact, what it
/// means, the first offending elements).
async fn violations(b: &Browser) -> Vec<String> {
    b.driver.execute(format!("{AXE}\n;return true;"), Vec::new()).await.expect("inject axe-core");
    let found = b
        .eval(
            "return axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => \
             `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | ')}`))",
        )
        .await;
    found.as_array().expect("a list").iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
}

db_test! {
    async fn the_main_pages_pass_axe_and_fit_a_phone(app: TestApp) {
        let Some(b) = Browser::start("the_main_pages_pass_axe_and_fit_a_phone").await else { return };
        // A fleet with something on every page: a server with parts at a site, a model,
        // a repair order, a recycling lot, a second user.
        let site = app.site("Axe lab").await;
        let model = app.model("Dell", "PowerEdge R740", "server", Some(28.0)).await;
        let server = app.asset("AX-1", "server", json!({"model_id": model["id"], "site_id": site["id"], "serial": "AXSERIAL1", "state": "deployed", "workload_tier": "web_services"})).await;
        for i in 0..3 {
            app.asset(&format!("AX-1-DIMM-{i}"), "dimm", json!({"parent_tag": "AX-1", "manufacturer": "Samsung", "serial": format!("M393A4K40DB3-{i}")})).await;
        }
        let spare = app.asset("AX-2", "server", json!({"state": "in_stock"})).await;
        let r = app.post_json("/api/v1/repairs", &json!({"asset_id": spare["id"], "fault_category": "psu_failure", "description": "no power"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = app.post_json("/api/v1/vendors", &json!({"name": "Axe Recycling", "country": "DE", "role": "recycler", "address": "Hafenstr. 1", "certifications": [{"scheme": "r2v3", "number": "R2-000123", "expires_on": "2099-12-31"}]})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = app.post_json("/api/v1/recycling-lots", &json!({"reference": "LOT-AX", "vendor_id": r.json()["id"], "route": "shredding_first"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        app.user("olga", Role::AssetManager).await;
        let id = s(&server, "id");
        let pages = [
            "/".to_owned(),
            "/assets".to_owned(),
            format!("/bulk?ids={id}&action=state"),
            format!("/assets/{id}"),
            "/assets/new".to_owned(),
            "/sites".to_owned(),
            "/models".to_owned(),
            "/bench".to_owned(),
            "/lots".to_owned(),
            "/forecast".to_owned(),
            "/account".to_owned(),
            "/admin/users".to_owned(),
            "/audit".to_owned(),
        ];

        let mut problems = Vec::new();
        for width in [1280, 390, 320] {
            viewport(&b, width).await;
            b.driver.delete_all_cookies().await.expect("sign out");
            b.driver.goto(app.url("/login")).await.expect("goto");
            b.wait_for("main h1").await;
            check(&b, "/login", width, &mut problems).await;
            sign_in(&b, app, "admin").await;
            for path in &pages {
                b.driver.goto(app.url(path)).await.expect("goto");
                b.wait_for("main h1").await;
                check(&b, path, width, &mut problems).await;
            }
        }
        assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
        b.quit().await;
    }
}

/// axe-core at 1280 and 390 px, the width at 390 and 320 px.
async fn check(b: &Browser, path: &str, width: u32, problems: &mut Vec<String>) {
    let (scroll, inner) = widths(b).await;
    assert_eq!(inner, i64::from(width), "the window is {width} px wide");
    if width <= 390 && scroll > inner {
        problems.push(format!("{path} at {width} px: {scroll} px wide"));
    }
    if width >= 390 {
        for v in violations(b).await {
            problems.push(format!("{path} at {width} px: {v}"));
        }
    }
}
