//! Arbitrary request bodies, in the normal suite for a bounded number of cases: JSON
//! objects with real and made-up field names and values of every JSON type, bodies that are
//! not JSON at all, and UI form bodies (with a valid CSRF token, so they reach the
//! handlers). None may answer 5xx; a refusal is a JSON error with a code (API) or a page
//! (UI); and what the accepted ones wrote leaves a chain that verifies with every asset in
//! agreement with its ledger (no partial write). Query strings have their own property test
//! in `integrity.rs`. Longer runs: see docs/fuzzing.md.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use super::*;

/// Field names the forms and bodies use, so that generated inputs reach the checks past
/// "unknown field".
const FIELDS: &[&str] = &[
    "asset_tag",
    "kind",
    "state",
    "to",
    "reason",
    "version",
    "site_id",
    "model_id",
    "parent_id",
    "serial",
    "manufacturer",
    "model_number",
    "mass_kg",
    "name",
    "country",
    "grid_ci_g_per_kwh",
    "pue",
    "notes",
    "custodian",
    "workload_tier",
    "acquired_on",
    "payload",
    "asset_id",
    "fault_category",
    "description",
    "expires_in_days",
];

fn text() -> BoxedStrategy<String> {
    proptest::string::string_regex("(.|[\\x00-\\x1f\\x7f%'\"\\\\<>&]|é|💥|\u{202e}){0,16}").expect("regex").boxed()
}

fn plausible(ids: Vec<String>) -> BoxedStrategy<String> {
    let mut words: Vec<String> = [
        "server",
        "dimm",
        "deployed",
        "in_stock",
        "retired",
        "lost",
        "DE",
        "1",
        "0",
        "-1",
        "2024-02-30",
        "2024-01-01",
        "9999999999999999999999",
        "1e309",
        "NaN",
        "true",
        "",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    words.extend(ids);
    select(words).boxed()
}

fn json_value(ids: Vec<String>) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        text().prop_map(Value::from),
        plausible(ids).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![3 => select(FIELDS).prop_map(str::to_owned), 1 => text()],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A body: mostly an object of real fields, sometimes any JSON value.
fn json_body(ids: Vec<String>) -> BoxedStrategy<Value> {
    let field = prop_oneof![4 => select(FIELDS).prop_map(str::to_owned), 1 => text()];
    prop_oneof![
        4 => prop::collection::btree_map(field, json_value(ids.clone()), 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        1 => json_value(ids),
    ]
    .boxed()
}

/// Form fields: real names with any text or plausible values, and made-up names.
fn form_body(ids: Vec<String>) -> BoxedStrategy<Vec<(String, String)>> {
    let name = prop_oneof![4 => select(FIELDS).prop_map(str::to_owned), 1 => text()];
    let value = prop_oneof![2 => text(), 1 => plausible(ids)];
    prop::collection::vec((name, value), 0..8).boxed()
}

fn sample<T: std::fmt::Debug>(s: &BoxedStrategy<T>, runner: &mut TestRunner) -> T {
    s.new_tree(runner).expect("a value").current()
}

db_test! {
    async fn no_request_body_gives_a_server_error_or_a_partial_write(app: TestApp) {
        let site = app.site("Fuzz DC").await;
        let model = app.model("Dell", "R650", "server", Some(20.0)).await;
        let server = app.asset("FUZZ-1", "server", json!({"site_id": s(&site, "id"), "model_id": s(&model, "id")})).await;
        let id = s(&server, "id");
        let ids = vec![s(&site, "id"), s(&model, "id"), id.clone(), uuid::Uuid::now_v7().to_string()];
        let mut runner = TestRunner::deterministic();
        let bodies = json_body(ids.clone());
        let api: Vec<(reqwest::Method, String)> = vec![
            (reqwest::Method::POST, "/api/v1/assets".into()),
            (reqwest::Method::POST, "/api/v1/sites".into()),
            (reqwest::Method::POST, "/api/v1/models".into()),
            (reqwest::Method::POST, format!("/api/v1/assets/{id}/transition")),
            (reqwest::Method::PATCH, format!("/api/v1/assets/{id}")),
            (reqwest::Method::POST, "/api/v1/tokens".into()),
        ];
        let mut sent = 0;
        for (method, path) in &api {
            for case in 0..24 {
                let body = sample(&bodies, &mut runner);
                let r = app.admin.send(app.admin.request(method.clone(), path).json(&body)).await;
                assert!(r.status < 500, "{method} {path} {body}: {} {}", r.status, r.text);
                if r.status >= 400 {
                    let (code, _, message) = r.error();
                    assert!(!code.is_empty() && !message.is_empty(), "{method} {path} {body}: {}", r.text);
                }
                // Not JSON at all, every fourth case.
                if case % 4 == 0 {
                    let raw = sample(&text(), &mut runner);
                    let r = app.admin.post_raw(path, "application/json", raw.clone()).await;
                    assert!(r.status < 500, "{path} {raw:?}: {} {}", r.status, r.text);
                }
                sent += 1;
            }
        }

        let forms = form_body(ids);
        let csrf = app.admin.csrf.clone().expect("the admin's CSRF token");
        let ui = ["/assets".to_owned(), format!("/assets/{id}/edit"), format!("/assets/{id}/transition"), "/repairs".to_owned()];
        for path in &ui {
            for _ in 0..24 {
                let mut fields = sample(&forms, &mut runner);
                fields.push(("csrf_token".into(), csrf.clone()));
                let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
                let r = app.admin.post_raw(path, "application/x-www-form-urlencoded", body.clone()).await;
                assert!(r.status < 500, "{path} {body}: {} {}", r.status, r.text);
                sent += 1;
            }
        }
        assert_eq!(sent, 6 * 24 + 4 * 24);
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.unwrap();
        assert!(ok, "{msg}");
    }
}
