//! The policy engine through the API: an old CPU server's suggestions checked against a
//! hand computation of the default pack (docs/policy.md, "Worked example"); terminal and
//! unknown items; a pack's problems refused with field path and line, nothing saved;
//! saving, stale saves and who may save; a dry run; the fleet view, its totals and CSV;
//! accepting a suggestion and every way accepting is refused; and the data gate.

use chrono::{Duration, NaiveDate};
use reloop::rules::Role;

use super::*;

/// The pack reloop ships: version 1 of every new registry.
const DEFAULT: &str = include_str!("../../backend/refdata/policy/default.toml");

/// The fixed figures of the worked example.
const DIRTY_CI: f64 = 380.0;
const DIRTY_PUE: f64 = 1.35;
const CLEAN_CI: f64 = 40.0;
const CLEAN_PUE: f64 = 1.15;
/// The default pack's utilisation, new service life and the ci-runners rule's extra life.
const U: f64 = 0.5;
const NEW_LIFE: f64 = 5.0;
const CI_EXTRA_LIFE: f64 = 2.0;
/// The old server's model (R740-like) and its replacement (the R7625).
const OLD_MAX_W: f64 = 400.0;
const OLD_MASS: f64 = 26.3;
const NEW_EMBODIED: f64 = 1300.0;
const NEW_MAX_W: f64 = 200.0;
/// How long ago the old server was first deployed: 2,200 days ÷ 365.25 ≈ 6.02 years.
const OLD_DAYS: i64 = 2200;

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn days_ago(days: i64) -> String {
    (today() - Duration::days(days)).to_string()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// The sites and catalog models every test here uses.
struct Fixture {
    dirty: String,
    clean: String,
    /// A 2017 CPU server: 400 W, 1,313 kg embodied, 26.3 kg, 40 cores, 384 GB.
    old_model: String,
    /// A 2023 server, for young items.
    young_model: String,
}

async fn site(app: &TestApp, name: &str, ci: f64, pue: f64) -> String {
    let r = app
        .post_json("/api/v1/sites", &json!({"name": name, "country": "DE", "grid_ci_g_per_kwh": ci, "pue": pue}))
        .await;
    assert_eq!(r.status, 201, "site {name}: {}", r.text);
    s(&r.json(), "id")
}

async fn model(app: &TestApp, body: Value) -> String {
    let r = app.post_json("/api/v1/models", &body).await;
    assert_eq!(r.status, 201, "model: {}", r.text);
    s(&r.json(), "id")
}

/// Two sites, the old server's model and both replacements the default pack names (each
/// with an embodied figure and a maximum power, as saving and dry runs require).
async fn fixture(app: &TestApp) -> Fixture {
    let dirty = site(app, "Dirty", DIRTY_CI, DIRTY_PUE).await;
    let clean = site(app, "Clean", CLEAN_CI, CLEAN_PUE).await;
    let old_model = model(
        app,
        json!({"manufacturer": "Dell", "model_number": "PowerEdge R740", "kind": "server", "release_year": 2017,
               "max_w": OLD_MAX_W, "embodied_kgco2e": 1313.0, "embodied_source": "Dell PCF", "mass_kg": OLD_MASS, "cpu_cores": 40, "memory_gb": 384.0}),
    )
    .await;
    model(
        app,
        json!({"manufacturer": "Dell", "model_number": "PowerEdge R7625", "kind": "server", "release_year": 2023,
               "max_w": NEW_MAX_W, "embodied_kgco2e": NEW_EMBODIED, "embodied_source": "Dell PCF", "mass_kg": 28.0}),
    )
    .await;
    model(
        app,
        json!({"manufacturer": "NVIDIA", "model_number": "DGX H100", "kind": "server", "release_year": 2023,
               "max_w": 10200.0, "embodied_kgco2e": 20000.0, "embodied_source": "NVIDIA PCF", "gpu_vram_gb": 640.0}),
    )
    .await;
    let young_model = model(
        app,
        json!({"manufacturer": "Dell", "model_number": "PowerEdge R760", "kind": "server", "release_year": 2023,
               "max_w": 350.0, "mass_kg": 24.0, "cpu_cores": 64, "memory_gb": 512.0}),
    )
    .await;
    Fixture { dirty, clean, old_model, young_model }
}

/// The old server of the worked example: deployed at Dirty, first deployed ~6 years ago.
async fn old_server(app: &TestApp, fx: &Fixture, tag: &str) -> String {
    let a = app
        .asset(tag, "server", json!({"model_id": fx.old_model, "site_id": fx.dirty, "state": "deployed", "first_deployed_on": days_ago(OLD_DAYS)}))
        .await;
    s(&a, "id")
}

async fn suggestions(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/assets/{id}/suggestions")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn options(sg: &Value) -> &Vec<Value> {
    sg["options"].as_array().unwrap_or_else(|| panic!("no options: {sg}"))
}

fn option<'a>(sg: &'a Value, disposition: &str, tier: Option<&str>) -> Option<&'a Value> {
    options(sg).iter().find(|o| o["disposition"] == disposition && o["tier"].as_str() == tier)
}

/// (disposition, tier, score) of the eligible options, in order.
fn eligible(sg: &Value) -> Vec<(String, Option<String>, f64)> {
    options(sg)
        .iter()
        .filter(|o| o["eligible"] == true)
        .map(|o| (s(o, "disposition"), o["tier"].as_str().map(str::to_owned), f(&o["score"])))
        .collect()
}

fn not_fired<'a>(sg: &'a Value, rule: &str) -> &'a Value {
    sg["not_fired"]
        .as_array()
        .and_then(|a| a.iter().find(|n| n["rule"]["id"] == rule))
        .unwrap_or_else(|| panic!("{rule} is not among the rules that did not fire: {sg}"))
}

/// The 1-based line of the `[[rule]]` header of the rule with `id` in `pack`.
fn rule_line(pack: &str, id: &str) -> usize {
    let lines: Vec<&str> = pack.lines().collect();
    let at = lines.iter().position(|l| *l == format!("id = \"{id}\"")).unwrap_or_else(|| panic!("no rule {id}"));
    assert_eq!(lines[at - 1], "[[rule]]", "the rule's table starts on the line above its id");
    at // 0-based index of the id line = 1-based number of the header line
}

/// Every problem of a 422 as (field, message), in order.
fn problems(r: &Resp) -> Vec<(String, String)> {
    assert_eq!(r.status, 422, "{}", r.text);
    let e = &r.json()["error"];
    assert_eq!(e["code"], "invalid", "{}", r.text);
    match e["fields"].as_array().filter(|f| !f.is_empty()) {
        Some(fields) => fields.iter().map(|p| (s(p, "field"), s(p, "message"))).collect(),
        None => {
            let field = s(e, "field");
            let message = s(e, "message");
            let rest = message.strip_prefix(&format!("{field}: ")).unwrap_or_else(|| panic!("{message}")).to_owned();
            vec![(field, rest)]
        }
    }
}

async fn version_numbers(app: &TestApp) -> Vec<i64> {
    let r = app.get("/api/v1/policy/versions").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json().as_array().unwrap().iter().map(|v| v["number"].as_i64().unwrap()).collect()
}

async fn asset_version(app: &TestApp, id: &str) -> i64 {
    app.get_asset(id).await["version"].as_i64().unwrap()
}

/// `text` with `from` replaced by `to`, which must occur exactly once.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} occurs once in the pack");
    text.replacen(from, to, 1)
}

/// A small valid pack: `name` (line 1), `[assumptions]` (2–8), `[due]` (9–12), then
/// `extra` from line 13 on.
fn small_pack(extra: &str) -> String {
    format!(
        "name = \"t\"\n[assumptions]\nutilisation = 0.5\nhorizon_years = 4\nnew_service_life_years = 5\ndefault_pue = 1.5\n\
         default_grid_ci_g_per_kwh = 300\nsupport_years_after_release = 8\n[due]\nage_years = 5\nfailures = 3\n\
         support_ending_within_days = 365\n{extra}"
    )
}

/// `PUT /api/v1/policy` as `client`.
async fn put_policy(client: &reloop_tests::Client, body: &Value) -> Resp {
    client.put_json("/api/v1/policy", body).await
}

/// The default pack's ci_build tier and its one rule, as written there.
const CI_TIER: &str = "[[tier]]\ntier = \"ci_build\"\n\n";
const CI_RULE: &str = "[[rule]]\nid = \"ci-runners\"\ndisposition = \"redeploy\"\ntier = \"ci_build\"\nkinds = [\"server\"]\nscore = 60\n\
extra_life_years = 2\nmin_age_years = 4\nmin_cores = 16\nmin_memory_gb = 64\nmax_failures = 2\n\
reason = \"many cores and enough memory for build and CI runners\"\n\n";

/// What a draft gets wrong, the draft, and the (field, message start) of each problem.
type Case = (&'static str, String, Vec<(&'static str, String)>);

// ---- 1. suggestions -------------------------------------------------------------------

db_test! {
    async fn an_old_cpu_server_is_redeployed_to_ci_at_the_clean_site_with_figures_computed_by_hand(app: TestApp) {
        let fx = fixture(app).await;
        let id = old_server(app, &fx, "SRV-OLD").await;
        let sg = suggestions(app, &id).await;
        assert_eq!((sg["asset_tag"].as_str(), sg["policy_version"].as_i64(), sg["policy_name"].as_str()), (Some("SRV-OLD"), Some(1), Some("reloop default")));
        assert_eq!(sg["asset_version"].as_i64(), Some(asset_version(app, &id).await));
        assert_eq!(sg["evaluated_on"], today().to_string());

        // Facts: 2,200 days ÷ 365.25; support estimated as 31 Dec (2017 + 8), passed.
        let facts = &sg["facts"];
        assert!(close(f(&facts["age_years"]), OLD_DAYS as f64 / 365.25), "{facts}");
        assert_eq!((facts["support_ends_on"].as_str(), facts["support_estimated"].as_bool()), (Some("2025-12-31"), Some(true)));
        assert_eq!((facts["cpu_cores"].as_u64(), facts["memory_gb"].as_f64(), facts["max_w"].as_f64()), (Some(40), Some(384.0), Some(OLD_MAX_W)));
        assert_eq!((facts["site"]["name"].as_str(), facts["state"].as_str()), (Some("Dirty"), Some("deployed")));
        assert!(close(f(&facts["mass_kg"]), OLD_MASS));
        // Due: 6 ≥ 5 years, and support already ended (within 365 days counts a passed end).
        assert_eq!(sg["due"], json!(["age", "support_ending"]));

        // The eligible options by hand from the default pack: ci-runners 60, dev-test 45,
        // education-lab 35 (age ≥ 5), donate 30 (age ≤ 10), recycle-last 10.
        // keep-young misses (age > 5), keep-serviceable and edge-site on support,
        // slm/batch on GPU memory, cold-storage on storage, resale-graded on grade.
        let want: Vec<(String, Option<String>, f64)> = [
            ("redeploy", Some("ci_build"), 60.0),
            ("redeploy", Some("dev_test"), 45.0),
            ("redeploy", Some("education_lab"), 35.0),
            ("resale", None, 30.0),
            ("recycle", None, 10.0),
        ]
        .iter()
        .map(|(d, t, sc)| (d.to_string(), t.map(str::to_owned), *sc))
        .collect();
        assert_eq!(eligible(&sg), want, "{sg}");

        let top = &options(&sg)[0];
        assert_eq!((top["rank"].as_u64(), top["eligible"].as_bool()), (Some(1), Some(true)));
        assert_eq!(top["site"]["id"], fx.clean.as_str(), "Clean has the lowest PUE × CI: 1.15 × 0.04 < 1.35 × 0.38");
        assert_eq!(top["title"], "Redeploy to CI and build runners at Clean");
        assert!(top["ruled_out"].as_array().unwrap().is_empty());
        let fired = top["fired"].as_array().unwrap();
        assert_eq!(fired.len(), 1, "{top}");
        assert_eq!((fired[0]["id"].as_str(), fired[0]["line"].as_u64()), (Some("ci-runners"), Some(rule_line(DEFAULT, "ci-runners") as u64)));
        assert_eq!(fired[0]["reason"], "many cores and enough memory for build and CI runners");

        // The figures at Clean, by hand.
        let n = &top["numbers"];
        let operational = OLD_MAX_W / 1000.0 * 8760.0 * U * CLEAN_PUE * (CLEAN_CI / 1000.0); // 80.592 kg/yr
        let saved = (OLD_MAX_W - NEW_MAX_W) / 1000.0 * 8760.0 * U * CLEAN_PUE * (CLEAN_CI / 1000.0); // 40.296 kg/yr
        let payback = NEW_EMBODIED / saved; // 32.26 years, beyond the 4-year horizon
        assert!(close(f(&n["operational_kgco2e_per_year"]), 0.4 * 8760.0 * 0.5 * 1.15 * 0.04), "{n}");
        assert!(close(f(&n["operational_kgco2e_per_year"]), operational), "{n}");
        assert!(close(f(&n["avoided_kgco2e"]), NEW_EMBODIED * CI_EXTRA_LIFE / NEW_LIFE), "1300 × 2/5 = 520: {n}");
        assert!(close(f(&n["deferred_kg"]), OLD_MASS), "{n}");
        assert!(close(f(&n["extra_life_years"]), CI_EXTRA_LIFE));
        assert!(close(f(&n["pue"]), CLEAN_PUE) && close(f(&n["grid_kgco2e_per_kwh"]), CLEAN_CI / 1000.0), "{n}");
        let pb = &n["payback"];
        assert!(close(f(&pb["years"]), 1300.0 / (0.2 * 8760.0 * 0.5 * 1.15 * 0.04)), "{pb}");
        assert!(close(f(&pb["years"]), payback), "{pb}");
        assert_eq!(pb["replacement"], "Dell PowerEdge R7625");
        // Yearly IT energy: 400 W and 200 W × 8760 h × 0.5 = 1,752 and 876 kWh (like for like).
        assert!(close(f(&pb["c_new_kgco2e"]), NEW_EMBODIED), "{pb}");
        assert!(close(f(&pb["e_old_kwh"]), OLD_MAX_W / 1000.0 * 8760.0 * U) && close(f(&pb["e_old_kwh"]), 1752.0), "{pb}");
        assert!(close(f(&pb["e_new_eq_kwh"]), NEW_MAX_W / 1000.0 * 8760.0 * U) && close(f(&pb["e_new_eq_kwh"]), 876.0), "{pb}");
        assert!(s(pb, "e_new_eq_basis").contains("like for like"), "{pb}");
        assert!(close(f(&pb["pue"]), CLEAN_PUE) && close(f(&pb["grid_kgco2e_per_kwh"]), 0.04), "{pb}");
        assert!(s(pb, "formula").ends_with("= 32.3 years"), "{pb}");

        // No keep option: keep-young misses on age, keep-serviceable on support (updates ended).
        assert!(option(&sg, "keep_in_place", None).is_none_or(|k| k["eligible"] == false), "{sg}");
        for rule in ["keep-serviceable", "edge-site"] {
            assert!(s(not_fired(&sg, rule), "because").contains("updates have ended"), "{rule}: {sg}");
        }
        assert!(s(not_fired(&sg, "keep-young"), "because").ends_with("years old, over 5"), "{sg}");
        // The tier's model needs 8 B × 4 bits / 8 × 1.2 = 4.8 GB; the server has no GPU memory figure.
        let slm = s(not_fired(&sg, "slm-inference"), "because");
        assert!(slm.contains("GPU memory") && slm.contains("4.8"), "{slm}");
    }
}

// ---- 2. unknown and terminal items ------------------------------------------------------

db_test! {
    async fn an_unknown_item_is_404_and_a_terminal_one_409(app: TestApp) {
        let r = app.get(&format!("/api/v1/assets/{}/suggestions", uuid::Uuid::now_v7())).await;
        assert_eq!((r.status, r.error().0.as_str()), (404, "not_found"), "{}", r.text);
        let r = app
            .post_json(&format!("/api/v1/assets/{}/suggestions/accept", uuid::Uuid::now_v7()), &json!({"disposition": "recycle", "policy_version": 1, "asset_version": 1}))
            .await;
        assert_eq!(r.status, 404, "{}", r.text);

        let fx = fixture(app).await;
        let id = old_server(app, &fx, "SRV-GONE").await;
        assert_eq!(app.transition(&id, "lost").await.status, 200);
        let r = app.get(&format!("/api/v1/assets/{id}/suggestions")).await;
        let (code, _, message) = r.error();
        assert_eq!((r.status, code.as_str()), (409, "terminal"), "{}", r.text);
        assert!(message.contains("SRV-GONE") && message.contains("terminal state"), "{message}");
    }
}

// ---- 3. validation ----------------------------------------------------------------------

db_test! {
    async fn a_packs_problems_are_refused_with_field_path_and_line_and_nothing_is_written(app: TestApp) {
        fixture(app).await;
        // Lines 13–17: one recycle rule. The pack is valid as it stands.
        let rule = |body: &str| small_pack(&format!("[[rule]]\n{body}"));
        let valid = rule("id = \"r\"\ndisposition = \"recycle\"\nscore = 10\nreason = \"x\"\n");
        let r = app.post_json("/api/v1/policy/check", &json!({"source": valid})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json(), json!({"name": "t", "rules": 1, "tiers": 0}));

        let cases: Vec<Case> = vec![
            (
                "a string left open on line 15",
                rule("id = \"r\"\ndisposition = \"recycle\nscore = 10\nreason = \"x\"\n"),
                vec![("disposition", "line 15: ".into())],
            ),
            (
                "an unknown key on line 17",
                rule("id = \"r\"\ndisposition = \"recycle\"\nscore = 10\nmin_agee = 3\nreason = \"x\"\n"),
                vec![("min_agee", "line 17: unknown field `min_agee`".into())],
            ),
            (
                "a string for a number on line 16",
                rule("id = \"r\"\ndisposition = \"recycle\"\nscore = \"high\"\nreason = \"x\"\n"),
                vec![("score", "line 16: invalid type: string \"high\", expected f64".into())],
            ),
            (
                "score 140 on line 16",
                rule("id = \"r\"\ndisposition = \"recycle\"\nscore = 140\nreason = \"x\"\n"),
                vec![("rule[1].score", "line 16: is 140: must be at least 0 and at most 100".into())],
            ),
            (
                "min_age_years 6 over max_age_years 3 (line 18)",
                rule("id = \"r\"\ndisposition = \"recycle\"\nscore = 10\nmin_age_years = 6\nmax_age_years = 3\nreason = \"x\"\n"),
                vec![("rule[1].max_age_years", "line 18: the rule can never fire: max_age_years 3 is below min_age_years 6".into())],
            ),
            (
                "replacements not in the catalog (lines 13 and 18; the one between is)",
                small_pack(
                    "[[replacement]]\nkinds = [\"server\"]\nmanufacturer = \"Acme\"\nmodel_number = \"Nope\"\n\n\
                     [[replacement]]\nkinds = [\"server\"]\nmanufacturer = \" dell \"\nmodel_number = \"PowerEdge r7625\"\n\n\
                     [[replacement]]\nkinds = [\"gpu\"]\nmanufacturer = \"Acme\"\nmodel_number = \"Gone\"\n",
                ),
                vec![
                    ("replacement[1].model_number", "line 13: Acme Nope is not in the catalog".into()),
                    ("replacement[3].model_number", "line 23: Acme Gone is not in the catalog".into()),
                ],
            ),
        ];
        for (what, source, want) in &cases {
            for method in ["check", "save"] {
                let r = if method == "check" {
                    app.post_json("/api/v1/policy/check", &json!({"source": source})).await
                } else {
                    put_policy(&app.admin, &json!({"source": source, "based_on": 1})).await
                };
                let got = problems(&r);
                assert_eq!(got.len(), want.len(), "{what} ({method}): {got:?}");
                for ((field, message), (wf, wm)) in got.iter().zip(want) {
                    assert_eq!(field, wf, "{what} ({method}): {got:?}");
                    assert!(message.starts_with(wm.as_str()), "{what} ({method}): {message:?} should start with {wm:?}");
                }
            }
        }
        // Nothing was written: only the shipped version.
        assert_eq!(version_numbers(app).await, [1]);
        let current = app.get("/api/v1/policy").await.json();
        assert_eq!((current["number"].as_i64(), current["source"].as_str()), (Some(1), Some(DEFAULT)));
        let audit = app.get("/api/v1/audit?action=policy.save").await.json();
        assert!(audit["items"].as_array().unwrap().is_empty(), "{audit}");
    }
}

// ---- 4. saving --------------------------------------------------------------------------

db_test! {
    async fn a_saved_pack_becomes_the_next_version_in_force_and_stale_or_unauthorised_saves_are_refused(app: TestApp) {
        let fx = fixture(app).await;
        let id = old_server(app, &fx, "SRV-V").await;
        let v1 = app.get("/api/v1/policy/versions/1").await.json();
        assert_eq!((v1["number"].as_i64(), v1["source"].as_str(), v1["saved_by"].as_str()), (Some(1), Some(DEFAULT), Some("reloop")));

        let draft = edit(DEFAULT, "horizon_years = 4\n", "horizon_years = 3\n");
        // Only admins save.
        for (name, role) in [("pat", Role::AssetManager), ("quinn", Role::Auditor)] {
            let client = app.user(name, role).await;
            let r = put_policy(&client, &json!({"source": draft, "based_on": 1})).await;
            assert_eq!((r.status, r.error().0.as_str()), (403, "forbidden"), "{name}: {}", r.text);
        }
        assert_eq!(version_numbers(app).await, [1]);

        let r = put_policy(&app.admin, &json!({"source": draft, "based_on": 1, "note": "a shorter horizon"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.header("location"), Some("/api/v1/policy/versions/2"));
        let saved = r.json();
        assert_eq!((saved["number"].as_i64(), saved["note"].as_str(), saved["saved_by"].as_str()), (Some(2), Some("a shorter horizon"), Some("admin")));
        assert_eq!(saved["source"], draft.as_str());
        assert_eq!(version_numbers(app).await, [2, 1]);
        let current = app.get("/api/v1/policy").await.json();
        assert_eq!((current["number"].as_i64(), current["source"].as_str()), (Some(2), Some(draft.as_str())));
        assert_eq!(app.get("/api/v1/policy/versions/1").await.json()["source"], DEFAULT, "earlier versions are kept");
        assert_eq!(app.get("/api/v1/policy/versions/3").await.status, 404);
        assert_eq!(suggestions(app, &id).await["policy_version"], 2);

        // A save based on version 1 now that version 2 exists.
        let stale = edit(DEFAULT, "horizon_years = 4\n", "horizon_years = 2\n");
        let r = put_policy(&app.admin, &json!({"source": stale, "based_on": 1})).await;
        let (code, field, message) = r.error();
        assert_eq!((r.status, code.as_str(), field.as_deref()), (409, "stale_version", Some("based_on")), "{}", r.text);
        assert!(message.contains("version 2"), "{message}");
        assert_eq!(version_numbers(app).await, [2, 1]);

        // The audit trail has the one save.
        let audit = app.get("/api/v1/audit?action=policy.save").await.json();
        let items = audit["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{audit}");
        assert_eq!((items[0]["actor_name"].as_str(), items[0]["after"]["number"].as_i64(), items[0]["after"]["note"].as_str()), (Some("admin"), Some(2), Some("a shorter horizon")));
        assert_eq!(items[0]["before"]["number"], 1);
    }
}

// ---- 5. dry run -------------------------------------------------------------------------

db_test! {
    async fn a_dry_run_shows_what_a_draft_would_change_and_saves_nothing(app: TestApp) {
        let fx = fixture(app).await;
        old_server(app, &fx, "SRV-DRY").await;
        // Removing only the rule leaves the ci_build tier unreached: refused, with the tier's line.
        let no_rule = edit(DEFAULT, CI_RULE, "");
        let tier_line = no_rule.lines().position(|l| l == "tier = \"ci_build\"").unwrap(); // the [[tier]] line above, 1-based
        let got = problems(&app.post_json("/api/v1/policy/dry-run", &json!({"source": no_rule})).await);
        assert_eq!(got, [("tier".to_owned(), format!("line {tier_line}: no rule suggests redeploying to ci_build: add one or remove the tier"))]);

        let draft = edit(&no_rule, CI_TIER, "");
        let r = app.post_json("/api/v1/policy/dry-run", &json!({"source": draft})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = r.json();
        // One item, due by age and support: its top moves from ci_build to dev_test (45), both redeploys at Clean.
        assert_eq!((d["active_version"].as_i64(), d["evaluated"].as_u64(), d["changed"].as_u64()), (Some(1), Some(1), Some(1)), "{d}");
        assert_eq!(d["moves"], json!([{"from": "redeploy", "to": "redeploy", "items": 1}]));
        let ex = &d["examples"][0];
        assert_eq!(ex["asset_tag"], "SRV-DRY");
        assert_eq!((ex["now"].as_str(), ex["with_draft"].as_str()), (Some("Redeploy to CI and build runners at Clean"), Some("Redeploy to development and test at Clean")));
        // Due totals: 26.3 kg deferred either way; avoided 1300 × 2/5 with both rules (2 extra years).
        for key in ["due_now", "due_with_draft"] {
            assert_eq!(d[key]["items"], 1, "{key}: {d}");
            assert!(close(f(&d[key]["deferred_kg"]), OLD_MASS) && close(f(&d[key]["avoided_kgco2e"]), 520.0), "{key}: {d}");
        }
        // Nothing saved, nothing published.
        assert_eq!(version_numbers(app).await, [1]);
        assert!(app.get("/api/v1/fleet/due").await.json()["run"].is_null());
        // Only admins dry-run.
        let pat = app.user("pat", Role::AssetManager).await;
        assert_eq!(pat.post_json("/api/v1/policy/dry-run", &json!({"source": draft})).await.status, 403);
    }
}

// ---- 6. fleet view ----------------------------------------------------------------------

db_test! {
    async fn a_refresh_lists_the_due_items_with_their_top_suggestion_totals_and_csv(app: TestApp) {
        let fx = fixture(app).await;
        let before = app.get("/api/v1/fleet/due").await.json();
        assert!(before["run"].is_null() && before["page"]["items"].as_array().unwrap().is_empty(), "{before}");
        let old = old_server(app, &fx, "SRV-DUE").await;
        // Two years old, supported until 31 Dec 2031 (2023 + 8): not due.
        app.asset("SRV-YOUNG", "server", json!({"model_id": fx.young_model, "site_id": fx.clean, "state": "deployed", "first_deployed_on": days_ago(730)})).await;

        let r = app.post_json("/api/v1/policy/refresh", &json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let run = r.json();
        assert_eq!((run["policy_version"].as_i64(), run["evaluated"].as_i64(), run["due"].as_i64(), run["trigger"].as_str()), (Some(1), Some(2), Some(1), Some("requested")), "{run}");

        let view = app.get("/api/v1/fleet/due").await.json();
        assert_eq!((view["run"]["evaluated"].as_i64(), view["run"]["due"].as_i64()), (Some(2), Some(1)), "{view}");
        let rows = view["page"]["items"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{view}");
        let row = &rows[0];
        assert_eq!((row["asset_id"].as_str(), row["asset_tag"].as_str()), (Some(old.as_str()), Some("SRV-DUE")));
        assert_eq!(row["suggestion"], "Redeploy to CI and build runners at Clean");
        assert_eq!((row["disposition"].as_str(), row["tier"].as_str(), row["target_site"].as_str(), row["site"].as_str()), (Some("redeploy"), Some("ci_build"), Some("Clean"), Some("Dirty")));
        assert_eq!(row["due"], json!(["age", "support_ending"]));
        assert_eq!(row["rules"], json!(["ci-runners"]));
        assert_eq!((row["score"].as_f64(), row["changed_since"].as_bool()), (Some(60.0), Some(false)));
        let payback = 1300.0 / (0.2 * 8760.0 * 0.5 * 1.15 * 0.04);
        assert!(close(f(&row["payback_years"]), payback), "{row}");
        let t = &view["totals"];
        assert_eq!(t["items"], 1);
        assert!(close(f(&t["deferred_kg"]), OLD_MASS) && close(f(&t["avoided_kgco2e"]), 1300.0 * 2.0 / 5.0), "{t}");
        assert_eq!(t["by_disposition"][0]["disposition"], "redeploy");

        let none = app.get("/api/v1/fleet/due?disposition=recycle").await.json();
        assert!(none["page"]["items"].as_array().unwrap().is_empty(), "{none}");
        assert_eq!((none["totals"]["items"].as_u64(), none["totals"]["deferred_kg"].as_f64()), (Some(0), Some(0.0)));

        // Totals of a filtered view: one filter reads the run's kept totals, two or more sum
        // the rows; either way the one due server (26.3 kg, 520 kgCO2e) or nothing.
        let (dirty, clean) = (&fx.dirty, &fx.clean);
        for (query, items) in [
            ("kind=server".to_owned(), 1),
            ("kind=dimm".to_owned(), 0),
            ("due=age".to_owned(), 1),
            ("due=retired".to_owned(), 0),
            (format!("site={dirty}"), 1),
            (format!("site={clean}"), 0),
            ("disposition=redeploy".to_owned(), 1),
            ("kind=server&due=support_ending".to_owned(), 1),
            ("kind=server&due=retired".to_owned(), 0),
            (format!("disposition=redeploy&site={dirty}"), 1),
            (format!("disposition=redeploy&site={clean}"), 0),
        ] {
            let v = app.get(&format!("/api/v1/fleet/due?{query}")).await.json();
            let t = &v["totals"];
            assert_eq!(t["items"].as_u64(), Some(items), "{query}: {v}");
            assert_eq!(v["page"]["items"].as_array().map(Vec::len), Some(items as usize), "{query}: {v}");
            let (kg, co2) = if items == 1 { (OLD_MASS, 1300.0 * 2.0 / 5.0) } else { (0.0, 0.0) };
            assert!(close(f(&t["deferred_kg"]), kg) && close(f(&t["avoided_kgco2e"]), co2), "{query}: {t}");
            if items == 1 {
                assert_eq!(t["by_disposition"], json!([{"disposition": "redeploy", "items": 1, "deferred_kg": t["deferred_kg"], "avoided_kgco2e": t["avoided_kgco2e"]}]), "{query}");
            }
        }

        let csv = app.get("/api/v1/fleet/due.csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-type").unwrap_or_default().starts_with("text/csv"));
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(lines.len(), 2, "{}", csv.text);
        assert_eq!(lines[0], "asset_id,asset_tag,kind,state,site,model,age_years,failures,support_ends_on,due,disposition,tier,target_site,suggestion,score,deferred_kg,avoided_kgco2e,payback_years,rules");
        let age = format!("{:.2}", OLD_DAYS as f64 / 365.25);
        let want = format!("{old},SRV-DUE,server,deployed,Dirty,Dell PowerEdge R740,{age},0,2025-12-31,age support_ending,redeploy,ci_build,Clean,Redeploy to CI and build runners at Clean,60,26.300,520.0,32.26,ci-runners");
        assert_eq!(lines[1], want);
        let filtered = app.get("/api/v1/fleet/due.csv?disposition=recycle").await;
        assert_eq!(filtered.text.lines().count(), 1, "only the header: {}", filtered.text);

        // A change to the item after the run is flagged on its row (its page has the current suggestion).
        let r = app.patch_json(&format!("/api/v1/assets/{old}"), &json!({"version": asset_version(app, &old).await, "custodian": "Ops"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let view = app.get("/api/v1/fleet/due").await.json();
        assert_eq!(view["page"]["items"][0]["changed_since"], true, "{view}");

        // Refreshing is for deciders; reading the view is for everyone signed in.
        let quinn = app.user("quinn", Role::Auditor).await;
        assert_eq!(quinn.post_json("/api/v1/policy/refresh", &json!({})).await.status, 403);
        assert_eq!(quinn.get("/api/v1/fleet/due").await.status, 200);
    }
}

// ---- 7. accepting -----------------------------------------------------------------------

db_test! {
    async fn accepting_the_ci_redeploy_moves_the_item_and_names_the_suggestion_and_refusals_change_nothing(app: TestApp) {
        let fx = fixture(app).await;
        let id = old_server(app, &fx, "SRV-ACC").await;
        let sg = suggestions(app, &id).await;
        let (policy_version, version) = (sg["policy_version"].as_i64().unwrap(), sg["asset_version"].as_i64().unwrap());
        let path = format!("/api/v1/assets/{id}/suggestions/accept");
        let ci = json!({"disposition": "redeploy", "tier": "ci_build", "site_id": fx.clean, "policy_version": policy_version, "asset_version": version});

        // Refused, each writing nothing.
        let refused: Vec<(&str, Value, u16, &str)> = vec![
            ("a tier not suggested", json!({"disposition": "redeploy", "tier": "cold_storage", "site_id": fx.clean, "policy_version": 1, "asset_version": version}), 409, "not_suggested"),
            ("another site than the suggestion's", json!({"disposition": "redeploy", "tier": "ci_build", "site_id": fx.dirty, "policy_version": 1, "asset_version": version}), 409, "not_suggested"),
            ("keeping in place", json!({"disposition": "keep_in_place", "policy_version": 1, "asset_version": version}), 422, "invalid"),
            ("a policy version not in force", json!({"disposition": "redeploy", "tier": "ci_build", "site_id": fx.clean, "policy_version": 2, "asset_version": version}), 409, "stale_suggestion"),
            ("no versions", json!({"disposition": "redeploy", "tier": "ci_build", "site_id": fx.clean}), 422, "invalid"),
        ];
        for (what, body, status, code) in &refused {
            let r = app.post_json(&path, body).await;
            assert_eq!((r.status, r.error().0.as_str()), (*status, *code), "{what}: {}", r.text);
        }
        let r = app.post_json(&path, &refused[0].1).await;
        assert!(r.error().2.contains("Redeploy to CI and build runners at Clean"), "the message lists what is suggested: {}", r.text);
        for (name, role) in [("rory", Role::Refurbisher), ("quinn", Role::Auditor)] {
            let client = app.user(name, role).await;
            let r = client.post_json(&path, &ci).await;
            assert_eq!((r.status, r.error().0.as_str()), (403, "forbidden"), "{name}: {}", r.text);
        }
        let a = app.get_asset(&id).await;
        assert_eq!((a["version"].as_i64(), a["state"].as_str(), a["site_id"].as_str()), (Some(version), Some("deployed"), Some(fx.dirty.as_str())), "{a}");

        // An asset manager accepts.
        let pat = app.user("pat", Role::AssetManager).await;
        let r = pat.post_json(&path, &ci).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let done = r.json();
        assert_eq!((done["asset_tag"].as_str(), done["did"].as_str()), (Some("SRV-ACC"), Some("Redeploy to CI and build runners at Clean")));
        let a = app.get_asset(&id).await;
        assert_eq!((a["state"].as_str(), a["workload_tier"].as_str(), a["site_id"].as_str()), (Some("redeployed"), Some("ci_build"), Some(fx.clean.as_str())), "{a}");
        let after = a["version"].as_i64().unwrap();
        assert!(after > version);

        // The ledger's state entry names the suggestion.
        let events = app.events(&id).await;
        let moved = events.iter().find(|e| e["kind"] == "state" && e["to"] == "redeployed").unwrap_or_else(|| panic!("{events:?}"));
        let named = &moved["payload"]["suggestion"];
        assert_eq!((named["policy_version"].as_i64(), named["disposition"].as_str(), named["tier"].as_str()), (Some(1), Some("redeploy"), Some("ci_build")), "{moved}");
        assert_eq!((named["site_id"].as_str(), named["rules"].clone()), (Some(fx.clean.as_str()), json!(["ci-runners"])), "{moved}");
        assert_eq!(moved["actor"], "pat");
        assert!(s(moved, "reason").contains("policy version 1"), "{moved}");
        let audit = app.get(&format!("/api/v1/audit?action=policy.accept&target_id={id}")).await.json();
        assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");

        // The same suggestion again, with the item version it was made for: stale.
        let r = pat.post_json(&path, &ci).await;
        let (code, field, _) = r.error();
        assert_eq!((r.status, code.as_str(), field.as_deref()), (409, "stale_suggestion", Some("asset_version")), "{}", r.text);
        assert_eq!(asset_version(app, &id).await, after);
        assert_eq!(app.events(&id).await.len(), events.len());
    }
}

// ---- 8. the data gate -------------------------------------------------------------------

db_test! {
    async fn an_unsanitized_drive_keeps_a_retired_server_off_the_market_and_out_of_redeployment(app: TestApp) {
        let fx = fixture(app).await;
        let hdd_model = model(app, json!({"manufacturer": "Seagate", "model_number": "X16", "kind": "hdd", "mass_kg": 0.7, "storage_tb": 16.0})).await;
        let id = s(
            &app.asset("SRV-DATA", "server", json!({"model_id": fx.old_model, "site_id": fx.dirty, "state": "deployed", "first_deployed_on": days_ago(OLD_DAYS), "grade": {"retail": "A"}})).await,
            "id",
        );
        let hdd = s(&app.asset("SRV-DATA-S1", "hdd", json!({"model_id": hdd_model, "parent_id": id, "serial": "ZL-1"})).await, "id");
        let r = app.transition(&id, "retired").await;
        assert_eq!(r.status, 200, "{}", r.text);

        let sg = suggestions(app, &id).await;
        let facts = &sg["facts"];
        assert_eq!((facts["data_bearing_devices"].as_u64(), facts["unsanitized_for_reuse"].as_u64(), facts["unsanitized_for_transfer"].as_u64()), (Some(1), Some(1), Some(1)), "{facts}");
        assert_eq!((facts["grade"].as_str(), facts["state"].as_str()), (Some("A"), Some("retired")));
        assert!(sg["due"].as_array().unwrap().contains(&json!("retired")), "{sg}");
        // Resale-graded fires (6 years ≤ 8, no failures, grade A; score 52) but is ruled out.
        let resale = option(&sg, "resale", None).unwrap_or_else(|| panic!("{sg}"));
        assert_eq!((resale["eligible"].as_bool(), resale["score"].as_f64()), (Some(false), Some(52.0)), "{resale}");
        assert!(resale["ruled_out"].as_array().unwrap().iter().any(|w| w.as_str().is_some_and(|w| w.contains("allows a transfer out"))), "{resale}");
        // Every redeploy is ruled out for reuse, and stays at its own site.
        let redeploys: Vec<&Value> = options(&sg).iter().filter(|o| o["disposition"] == "redeploy").collect();
        assert!(!redeploys.is_empty(), "{sg}");
        for o in &redeploys {
            assert_eq!(o["eligible"], false, "{o}");
            assert!(o["ruled_out"].as_array().unwrap().iter().any(|w| w == "1 data-bearing device(s) without a passing sanitization record that allows reuse"), "{o}");
            assert_eq!(o["site"]["id"], fx.dirty.as_str(), "{o}");
        }
        // What is left: recycling (recycle-last, 10).
        assert_eq!(eligible(&sg), [("recycle".to_owned(), None, 10.0)], "{sg}");

        let v = sg["asset_version"].as_i64().unwrap();
        let r = app.post_json(&format!("/api/v1/assets/{id}/suggestions/accept"), &json!({"disposition": "resale", "policy_version": 1, "asset_version": v})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "not_suggested"), "{}", r.text);
        let r = app.post_json(&format!("/api/v1/assets/{id}/suggestions/accept"), &json!({"disposition": "redeploy", "tier": "ci_build", "site_id": fx.dirty, "policy_version": 1, "asset_version": v})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "not_suggested"), "{}", r.text);
        let a = app.get_asset(&id).await;
        assert_eq!((a["state"].as_str(), a["version"].as_i64()), (Some("retired"), Some(v)));

        // Once the drive is purged, resale stands (and redeploying to the cleaner site).
        assert_eq!(app.sanitize(&hdd, "purge").await.status, 201);
        let sg = suggestions(app, &id).await;
        assert_eq!(sg["facts"]["unsanitized_for_transfer"], 0);
        let resale = option(&sg, "resale", None).unwrap();
        assert_eq!(resale["eligible"], true, "{resale}");
        let ci = option(&sg, "redeploy", Some("ci_build")).unwrap();
        assert_eq!((ci["eligible"].as_bool(), ci["site"]["id"].as_str()), (Some(true), Some(fx.clean.as_str())), "{ci}");
        // Accepting it takes the retired server back through stock into its second life;
        // the drive moves site with it.
        let body = json!({"disposition": "redeploy", "tier": "ci_build", "site_id": fx.clean, "policy_version": 1, "asset_version": sg["asset_version"]});
        let r = app.post_json(&format!("/api/v1/assets/{id}/suggestions/accept"), &body).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let a = app.get_asset(&id).await;
        assert_eq!((a["state"].as_str(), a["workload_tier"].as_str(), a["site_id"].as_str()), (Some("redeployed"), Some("ci_build"), Some(fx.clean.as_str())), "{a}");
        let states: Vec<String> = app.events(&id).await.iter().filter(|e| e["kind"] == "state").map(|e| s(e, "to")).collect();
        assert!(states.ends_with(&["in_stock".to_owned(), "redeployed".to_owned()]), "{states:?}");
        let drive = app.get_asset(&hdd).await;
        assert_eq!((drive["parent_id"].as_str(), drive["site_id"].as_str()), (Some(id.as_str()), Some(fx.clean.as_str())), "{drive}");
    }
}

/// A server with the fleet view on its default schedule (every 60 minutes, first at start).
async fn scheduled_app(b: reloop_tests::Backend, t: &str) -> Option<TestApp> {
    TestApp::start_with(b, t, |s| s.policy_refresh_minutes = 60).await
}

db_test! {
    start = scheduled_app;
    /// The schedule starts with the server (a background task on the server's runtime) and
    /// the server serves meanwhile; a run it published says it came from the schedule.
    async fn the_scheduled_fleet_run_starts_with_the_server(app: TestApp) {
        let health = app.get("/healthz").await;
        assert_eq!(health.status, 200, "{}", health.text);
        let due = app.get("/api/v1/fleet/due").await;
        assert_eq!(due.status, 200, "{}", due.text);
        let run = &due.json()["run"];
        assert!(run.is_null() || run["trigger"] == "schedule", "{run}");
        // A run asked for meanwhile is not refused by the scheduled one.
        let asked = app.post_json("/api/v1/policy/refresh", &json!({})).await;
        assert_eq!(asked.status, 200, "{}", asked.text);
        assert_eq!(asked.json()["trigger"], "requested");
    }
}
