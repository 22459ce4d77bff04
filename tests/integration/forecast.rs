//! The e-waste forecast through the API and the pages, on both databases: the fleet
//! forecast checked against a hand computation of each item's conditional probabilities,
//! masses, materials and exact bands; the lifespan fit checked against the likelihood
//! equations computed here from the test's own dates; procurement and demand forecasts
//! against hand-worked inputs and the paper's published 2023 figure; levers; bad input.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use reloop::Ctx;
use reloop::assets::NewAsset;
use reloop::lifecycle::TransitionRequest;
use reloop::rules::{AssetKind, Role, State};
use reloop_tests::html_unescape;

use super::*;

/// The UNU 0307 Weibull law (EU WEEE Calculation Tool, Annex III), written out here.
const ALPHA: f64 = 1.46;
const BETA: f64 = 7.78;

fn cdf(t: f64) -> f64 {
    if t <= 0.0 { 0.0 } else { 1.0 - (-(t / BETA).powf(ALPHA)).exp() }
}

fn density(t: f64) -> f64 {
    ALPHA / BETA * (t / BETA).powf(ALPHA - 1.0) * (-(t / BETA).powf(ALPHA)).exp()
}

fn years(from: NaiveDate, to: NaiveDate) -> f64 {
    (to - from).num_days() as f64 / 365.25
}

fn jan1(y: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, 1, 1).unwrap()
}

/// P(the item started on `start` leaves use in calendar year `y`), knowing it is in use
/// on `today`, its life `shift` years longer: ages clamped below at today's.
fn p_year(start: NaiveDate, today: NaiveDate, y: i32, shift: f64) -> f64 {
    let a = years(start, today);
    let s = if y == today.year() { a } else { years(start, jan1(y)) };
    let e = years(start, jan1(y + 1));
    let f = |t: f64| cdf((t - shift).max(a));
    (f(e) - f(s)) / (1.0 - cdf(a))
}

fn close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{what}: got {got}, want {want}");
}

fn f(v: &Value, path: &[&str]) -> f64 {
    let mut x = v;
    for k in path {
        x = &x[*k];
    }
    x.as_f64().unwrap_or_else(|| panic!("{path:?} is not a number in {v}"))
}

fn date(v: &Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

/// Asserts `r` is a 422 `invalid` naming `field` with a message containing `says` (among
/// every field problem the answer lists).
fn assert_named(r: &Resp, field: &str, says: &str, what: &str) {
    assert_eq!(r.status, 422, "{what}: {}", r.text);
    let e = r.json();
    assert_eq!(e["error"]["code"], "invalid", "{what}: {}", r.text);
    let all: Vec<Value> = match e["error"]["fields"].as_array() {
        Some(list) => list.clone(),
        None => vec![json!({"field": e["error"]["field"], "message": e["error"]["message"]})],
    };
    let named = all.iter().any(|x| x["field"] == field && x["message"].as_str().unwrap_or("").contains(says));
    assert!(named, "{what}: expected {field} to say {says:?}: {}", r.text);
}

/// Exact p5/p95 of a count that is the sum of independent Bernoullis, by enumeration.
fn exact_band(ps: &[f64]) -> (f64, f64) {
    let mut dist = vec![1.0];
    for p in ps {
        let mut next = vec![0.0; dist.len() + 1];
        for (k, v) in dist.iter().enumerate() {
            next[k] += v * (1.0 - p);
            next[k + 1] += v * p;
        }
        dist = next;
    }
    let q = |level: f64| {
        let mut acc = 0.0;
        for (k, v) in dist.iter().enumerate() {
            acc += v;
            if acc >= level - 1e-12 {
                return k as f64;
            }
        }
        (dist.len() - 1) as f64
    };
    (q(0.05), q(0.95))
}

db_test! {
    async fn the_fleet_forecast_matches_a_hand_computation(app: TestApp) {
        let today = Utc::now().date_naive();
        let hall = app.site("Hall A").await;
        let other = app.site("Hall B").await;
        let server = app.post_json("/api/v1/models", &json!({"manufacturer": "Acme", "model_number": "S1", "kind": "server", "mass_kg": 20.0, "material_profile": "server_whole", "unu_key": "0307"})).await.json();
        let dimm = app.post_json("/api/v1/models", &json!({"manufacturer": "Acme", "model_number": "D1", "kind": "dimm", "mass_kg": 0.05, "material_profile": "memory_module"})).await.json();
        let start1 = today - Duration::days(3 * 365);
        let start2 = today - Duration::days(6 * 365 + 100);
        let start3 = today - Duration::days(365);
        app.asset("FC-1", "server", json!({"model_id": server["id"], "site_id": hall["id"], "state": "deployed", "first_deployed_on": start1})).await;
        let s2 = app.asset("FC-2", "server", json!({"model_id": server["id"], "site_id": hall["id"], "state": "deployed", "first_deployed_on": start2})).await;
        app.asset("FC-2-D", "dimm", json!({"model_id": dimm["id"], "parent_id": s2["id"], "state": "deployed"})).await;
        app.asset("FC-3", "server", json!({"model_id": server["id"], "site_id": other["id"], "state": "in_stock", "acquired_on": start3})).await;
        app.asset("FC-4", "server", json!({"model_id": server["id"], "site_id": hall["id"], "state": "retired"})).await;

        let r = app.get("/api/v1/forecast/fleet?horizon=3&kernel=default").await;
        assert_eq!(r.status, 200, "{}", r.text);
        let body = r.json();
        let as_of = date(&body["as_of"]);
        assert_eq!(as_of.year(), body["first_year"].as_i64().unwrap() as i32);
        // Three items in use: two deployed servers (one with a 50 g DIMM) and one in stock
        // since its acquisition; the retired one awaits disposal.
        let scope = &body["scope"];
        assert_eq!(scope["items"], 3);
        close(f(scope, &["mass_t"]), (20.0 + 20.05 + 20.0) / 1000.0, "mass in use");
        assert_eq!(scope["awaiting_disposal_items"], 1);
        close(f(scope, &["awaiting_disposal_t"]), 0.02, "awaiting disposal");
        assert_eq!(scope["unu_fallbacks"], 0);
        let kernels = body["kernels"].as_array().unwrap();
        assert_eq!(kernels.len(), 1);
        assert_eq!(kernels[0]["applies_to"], "UNU 0307");
        assert_eq!((kernels[0]["shape"].as_f64(), kernels[0]["scale"].as_f64()), (Some(ALPHA), Some(BETA)));

        let starts = [(start1, 20.0), (start2, 20.05), (start3, 20.0)];
        let mut left = 3.0;
        for (i, y) in body["years"].as_array().unwrap().iter().enumerate() {
            let year = as_of.year() + i as i32;
            assert_eq!(y["year"].as_i64(), Some(year as i64));
            let ps: Vec<f64> = starts.iter().map(|(s, _)| p_year(*s, as_of, year, 0.0)).collect();
            left -= ps.iter().sum::<f64>();
            let b = &y["baseline"];
            close(f(b, &["items", "mean"]), ps.iter().sum(), &format!("{year} items"));
            let mass: f64 = starts.iter().zip(&ps).map(|((_, kg), p)| kg * p).sum::<f64>() / 1000.0;
            close(f(b, &["mass_t", "mean"]), mass, &format!("{year} tonnes"));
            // Copper: 169 g/kg of a whole server (the shipped content table); none in DIMMs.
            // Gold: 105 g/kg of boards × 0.155 g/kg of gold in them = 0.016275 g/kg of a
            // server, and 0.855 g/kg of a memory module.
            let materials = b["materials_t"].as_array().unwrap();
            let of = |m: &str| materials.iter().find(|x| x["material"] == m).map(|x| f(x, &["tonnes"])).unwrap();
            close(of("copper"), 20.0 * 0.169 * (ps[0] + ps[1] + ps[2]) / 1000.0, "copper");
            let gold_kg = 20.0 * 0.016275 / 1000.0 * (ps[0] + ps[1] + ps[2]) + 0.05 * 0.855 / 1000.0 * ps[1];
            close(of("gold"), gold_kg / 1000.0, "gold");
            // Three items: the count's band is exact.
            let (p5, p95) = exact_band(&ps);
            assert_eq!((f(b, &["items", "p5"]), f(b, &["items", "p95"])), (p5, p95), "{year} band");
            assert!(y["scenario"].is_null());
        }
        close(f(&body, &["beyond_items"]), left, "beyond the horizon");
        assert!(body["bands"].as_str().unwrap().starts_with("items: exact Poisson-binomial"));

        // Filters: a site, a kind; an unknown site is a 404.
        let at_a = app.get(&format!("/api/v1/forecast/fleet?kernel=default&site={}", s(&hall, "id"))).await.json();
        assert_eq!(at_a["scope"]["items"], 2);
        assert_eq!(at_a["scope"]["awaiting_disposal_items"], 1);
        let dimms = app.get("/api/v1/forecast/fleet?kind=dimm").await.json();
        assert_eq!(dimms["scope"]["items"], 0, "the DIMM is installed: it leaves with its server");
        let nowhere = app.get(&format!("/api/v1/forecast/fleet?site={}", uuid::Uuid::now_v7())).await;
        assert_eq!(nowhere.status, 404, "{}", nowhere.text);

        // Levers: half the items two years longer, the DIMM harvested.
        let r = app.get("/api/v1/forecast/fleet?horizon=3&kernel=default&extend_years=2&extend_share=0.5&harvest=dimm%3D1").await;
        assert_eq!(r.status, 200, "{}", r.text);
        let lv = r.json();
        let (mut base_sum, mut scen_sum) = (0.0, 0.0);
        for (i, y) in lv["years"].as_array().unwrap().iter().enumerate() {
            let year = as_of.year() + i as i32;
            let p = |s: NaiveDate| 0.5 * p_year(s, as_of, year, 0.0) + 0.5 * p_year(s, as_of, year, 2.0);
            let kept = [20.0, 20.0, 20.0];
            let want: f64 = starts.iter().zip(kept).map(|((s, _), kg)| kg * p(*s)).sum::<f64>() / 1000.0;
            close(f(&y["scenario"], &["mass_t", "mean"]), want, &format!("{year} with levers"));
            base_sum += f(&y["baseline"], &["mass_t", "mean"]);
            scen_sum += want;
        }
        let red = &lv["reduction"];
        close(f(red, &["baseline_t"]), base_sum, "baseline over the horizon");
        close(f(red, &["scenario_t"]), scen_sum, "scenario over the horizon");
        close(f(red, &["reduction_pct"]), (base_sum - scen_sum) / base_sum * 100.0, "reduction %");
        assert_eq!(lv["levers"].as_array().unwrap().len(), 2);

        // CSV: `year` first, one row a year, the scenario's columns after the baseline's.
        let csv = app.get("/api/v1/forecast/fleet.csv?horizon=3&kernel=default&extend_years=2").await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("year,items,items_p5,items_p95,mass_t,mass_t_p5,mass_t_p95,"), "{}", lines[0]);
        assert!(lines[0].ends_with("scenario_items,scenario_mass_t,scenario_mass_t_p5,scenario_mass_t_p95"));
        assert!(lines[1].starts_with(&format!("{},", as_of.year())));
    }
}

db_test! {
    async fn bad_fleet_parameters_are_named(app: TestApp) {
        for (query, field, says) in [
            ("horizon=0", "horizon", "must be from 1 to 50"),
            ("horizon=51", "horizon", "must be from 1 to 50"),
            ("kernel=weibull&scale=5", "shape", "give the Weibull shape"),
            ("kernel=weibull&shape=-1&scale=5", "shape", "greater than 0"),
            ("kernel=weibull&shape=1.5&scale=0", "scale", "greater than 0"),
            ("shape=1.5", "kernel", "with kernel=weibull only"),
            ("harvest=disk%3D1", "harvest", "`disk` (entry 1) is not a kind"),
            ("harvest=dimm%3D2", "harvest", "share from 0 to 1"),
            ("extend_share=0.5", "extend_years", "give the years too"),
            ("extend_years=-2", "extend_years", "more than 0"),
        ] {
            let r = app.get(&format!("/api/v1/forecast/fleet?{query}")).await;
            assert_named(&r, field, says, query);
        }
        // A value outside the vocabulary, or an unknown parameter, is a 400 naming it.
        let r = app.get("/api/v1/forecast/fleet?kernel=toaster").await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("kernel"), "{}", r.text);
        assert_eq!(app.get("/api/v1/forecast/fleet?horizn=3").await.status, 400);
    }
}

/// Registers an item at `on` (its deployment day) through the service, as the demo does.
async fn registered(app: &TestApp, tag: &str, kind: AssetKind, on: NaiveDate, state: State) -> reloop::assets::Asset {
    let ctx = Ctx::at("test", Utc.from_utc_datetime(&on.and_hms_opt(9, 0, 0).unwrap()));
    let input = NewAsset {
        asset_tag: tag.to_owned(),
        kind: Some(kind),
        state: Some(state),
        first_deployed_on: (state == State::Deployed).then_some(on),
        acquired_on: Some(on),
        ..NewAsset::default()
    };
    reloop::assets::create(&app.db, &ctx, input).await.unwrap()
}

async fn retire(app: &TestApp, id: reloop::ids::AssetId, on: NaiveDate) {
    let ctx = Ctx::at("test", Utc.from_utc_datetime(&on.and_hms_opt(10, 0, 0).unwrap()));
    let req = TransitionRequest { to: Some(State::Retired), ..TransitionRequest::default() };
    reloop::lifecycle::transition(&app.db, &ctx, id, req).await.unwrap();
}

db_test! {
    async fn lifespans_are_fitted_from_the_ledger_and_fall_back_with_their_reason(app: TestApp) {
        let today = Utc::now().date_naive();
        let first = NaiveDate::from_ymd_opt(2014, 1, 6).unwrap();
        // Twelve servers deployed 40 days apart; ten retire after these many days, two are
        // still in use.
        let lives = [1500, 1800, 2000, 2200, 2400, 2600, 2800, 3000, 3300, 3600];
        let mut ended = Vec::new();
        let mut in_use = Vec::new();
        for i in 0..12 {
            let on = first + Duration::days(40 * i as i64);
            let a = registered(app, &format!("LF-{i}"), AssetKind::Server, on, State::Deployed).await;
            match lives.get(i) {
                Some(days) => {
                    retire(app, a.id, on + Duration::days(*days)).await;
                    ended.push(*days as f64 / 365.25);
                }
                None => in_use.push(on),
            }
        }
        // Two DIMM spares in stock, three retired DIMMs: too little history for a fit.
        for i in 0..5 {
            let on = first + Duration::days(10 * i);
            let d = registered(app, &format!("LD-{i}"), AssetKind::Dimm, on, State::InStock).await;
            if i < 3 {
                retire(app, d.id, on + Duration::days(1000)).await;
            }
        }

        let r = app.get("/api/v1/forecast/lifespans").await;
        assert_eq!(r.status, 200, "{}", r.text);
        let body = r.json();
        let as_of = date(&body["as_of"]);
        let kinds = body["kinds"].as_array().unwrap();
        let server = kinds.iter().find(|k| k["kind"] == "server").unwrap();
        assert_eq!((server["ended"].as_u64(), server["in_use"].as_u64()), (Some(10), Some(2)));
        let fit = &server["fit"];
        let (a, b) = (f(fit, &["shape"]), f(fit, &["scale"]));
        // The likelihood's two equations, from this test's own dates: β^α = Σ_all t^α / r and
        // 1/α + mean(ln t, ended) − Σ_all t^α ln t / Σ_all t^α = 0.
        let censored: Vec<f64> = in_use.iter().map(|on| years(*on, as_of)).collect();
        let all: Vec<f64> = ended.iter().chain(&censored).copied().collect();
        let s0: f64 = all.iter().map(|t| t.powf(a)).sum();
        let s1: f64 = all.iter().map(|t| t.powf(a) * t.ln()).sum();
        let mean_ln = ended.iter().map(|t| t.ln()).sum::<f64>() / ended.len() as f64;
        assert!((1.0 / a + mean_ln - s1 / s0).abs() < 1e-6, "shape equation: α = {a}");
        assert!((b.powf(a) - s0 / 10.0).abs() / b.powf(a) < 1e-6, "scale equation: β = {b}");
        let ci = |i: usize| fit["shape_ci"][i].as_f64().unwrap();
        assert!(ci(0) < a && a < ci(1), "{fit}");
        assert_eq!((fit["events"].as_u64(), fit["censored"].as_u64()), (Some(10), Some(2)));
        let dimm = kinds.iter().find(|k| k["kind"] == "dimm").unwrap();
        assert!(dimm["fit"].is_null());
        assert_eq!(dimm["note"], "too little history: 3 ended lives (a fit needs at least 10)");

        // The fleet forecast (auto) uses the fit for servers and says why DIMMs use the default.
        let fc = app.get("/api/v1/forecast/fleet").await.json();
        let kernels = fc["kernels"].as_array().unwrap();
        let fitted = kernels.iter().find(|k| k["source"] == "fitted").unwrap();
        assert_eq!((fitted["applies_to"].as_str(), fitted["items"].as_u64()), (Some("server"), Some(2)));
        close(f(fitted, &["shape"]), a, "the forecast's shape is the fit's");
        let default = kernels.iter().find(|k| k["source"] == "default").unwrap();
        assert_eq!(default["items"], 2);
        assert!(
            default["note"].as_str().unwrap().ends_with("Used instead of a fit for dimm: too little history: 3 ended lives (a fit needs at least 10)"),
            "{}",
            default["note"]
        );
        assert!(today >= as_of);
    }
}

db_test! {
    async fn procurement_forecasts_by_hand_and_with_levers(app: TestApp) {
        let r = app.post_json("/api/v1/forecast/procurement", &json!({"csv": "year,mass_t\n2020,100\n2021,50\n", "until": 2023})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let body = r.json();
        assert_eq!(body["unit"], "mass_t");
        assert_eq!(body["kernel"]["applies_to"], "UNU 0307");
        let ys = body["years"].as_array().unwrap();
        assert_eq!(ys.iter().map(|y| y["year"].as_i64().unwrap()).collect::<Vec<_>>(), [2020, 2021, 2022, 2023]);
        // waste(n) = Σ POM_t · f(n − t + 0.5); stock = Σ POM − Σ waste.
        let w2020 = 100.0 * density(0.5);
        let w2021 = 100.0 * density(1.5) + 50.0 * density(0.5);
        let w2023 = 100.0 * density(3.5) + 50.0 * density(2.5);
        close(f(&ys[0], &["waste"]), w2020, "waste 2020");
        close(f(&ys[1], &["waste"]), w2021, "waste 2021");
        close(f(&ys[3], &["waste"]), w2023, "waste 2023");
        close(f(&ys[1], &["stock"]), 150.0 - w2020 - w2021, "stock 2021");
        assert!(body["reduction"].is_null());

        // Harvest half the DIMM mass of a composition with 10 % DIMMs: 5 % less waste.
        let lv = app.post_json("/api/v1/forecast/procurement", &json!({"placed": [{"year": 2020, "value": 100}, {"year": 2021, "value": 50}], "until": 2023, "levers": {"harvest": [{"kind": "dimm", "share": 0.5}], "composition": [{"kind": "dimm", "share": 0.1}, {"kind": "server", "share": 0.9}]}})).await;
        assert_eq!(lv.status, 200, "{}", lv.text);
        let lv = lv.json();
        let y1 = &lv["years"][1];
        close(f(y1, &["scenario_waste"]), 0.95 * w2021, "waste with harvest");
        close(f(y1, &["scenario_harvested"]), 0.05 * w2021, "harvested");
        assert_eq!(lv["composition_source"], "given with the request");
        // Efficiency gains of 25 % a year after 2020: 2021's 50 t become 40 t.
        let ef = app.post_json("/api/v1/forecast/procurement", &json!({"placed": [{"year": 2020, "value": 100}, {"year": 2021, "value": 50}], "until": 2022, "levers": {"efficiency_gain": 0.25, "efficiency_from": 2020}})).await.json();
        close(f(&ef["years"][1], &["scenario_placed"]), 40.0, "purchases with efficiency gains");
        close(f(&ef["years"][1], &["scenario_waste"]), 100.0 * density(1.5) + 40.0 * density(0.5), "their waste");

        // Without a composition, the registry's: a 20 kg server with a 50 g DIMM in use.
        let m = app.post_json("/api/v1/models", &json!({"manufacturer": "Acme", "model_number": "S1", "kind": "server", "mass_kg": 20.0})).await.json();
        let dm = app.post_json("/api/v1/models", &json!({"manufacturer": "Acme", "model_number": "D1", "kind": "dimm", "mass_kg": 0.05})).await.json();
        let srv = app.asset("PR-1", "server", json!({"model_id": m["id"], "state": "deployed"})).await;
        app.asset("PR-1-D", "dimm", json!({"model_id": dm["id"], "parent_id": srv["id"], "state": "deployed"})).await;
        let reg = app.post_json("/api/v1/forecast/procurement", &json!({"csv": "year,mass_t\n2020,100\n", "until": 2021, "levers": {"harvest": [{"kind": "dimm", "share": 1.0}]}})).await.json();
        let share = 0.05 / 20.05;
        let w = 100.0 * density(1.5);
        close(f(&reg["years"][1], &["scenario_harvested"]), share * w, "harvest from the registry's composition");
        assert!(reg["composition_source"].as_str().unwrap().starts_with("the registry's fleet in use today: 1 items"), "{}", reg["composition_source"]);

        // CSV out: `year` first.
        let csv = app.post_json("/api/v1/forecast/procurement.csv", &json!({"csv": "year,units\n2020,10\n", "until": 2021})).await;
        assert_eq!(csv.status, 200, "{}", csv.text);
        assert_eq!(csv.text.lines().next(), Some("year,placed_units,waste_units,stock_units"));
        assert_eq!(csv.text.lines().count(), 3);
    }
}

db_test! {
    async fn bad_procurement_input_is_named(app: TestApp) {
        for (body, field, says) in [
            (json!({"csv": "year,tonnes\n2020,1\n"}), "csv", "has no column `mass_t` or `units`"),
            (json!({"csv": "year,mass_t\n2020,1\n2021,x\n"}), "csv", "row 3, column `mass_t`: `x` is not a number"),
            (json!({"csv": "year,mass_t\n2020,1\n2020,2\n"}), "csv", "2020 is given twice"),
            (json!({"placed": [{"year": 2020, "value": -1}]}), "placed[0].value", "must be 0 or more"),
            (json!({"placed": []}), "placed", "at least one year"),
            (json!({"placed": [{"year": 2020, "value": 1}], "csv": "year,mass_t\n2020,1\n"}), "csv", "either placed or csv"),
            (json!({"placed": [{"year": 2020, "value": 1}], "kernel": {"shape": 0, "scale": 5}}), "kernel.shape", "greater than 0"),
            (json!({"placed": [{"year": 2020, "value": 1}], "kernel": {"shape": 1.5}}), "kernel.scale", "give the Weibull scale"),
            (json!({"placed": [{"year": 2020, "value": 1}], "kernel": {"unu_key": "0399"}}), "kernel.unu_key", "not in the shipped table"),
            (json!({"placed": [{"year": 2020, "value": 1}], "until": 1990}), "until", "must be from 2020"),
            (json!({"placed": [{"year": 2020, "value": 1}], "until": 2200}), "until", "at most 100 years"),
            (json!({"placed": [{"year": 2020, "value": 1}], "unit": "units", "levers": {"harvest": [{"kind": "dimm", "share": 1}], "composition": [{"kind": "dimm", "share": 0.1}]}}), "levers.harvest", "give the series in tonnes"),
            (json!({"placed": [{"year": 2020, "value": 1}], "levers": {"harvest": [{"kind": "dimm", "share": 1}]}}), "levers.composition", "the registry has no items in use"),
            (json!({"placed": [{"year": 2020, "value": 1}], "levers": {"extension": {"years": 0, "share": 1}}}), "levers.extension.years", "more than 0"),
        ] {
            let r = app.post_json("/api/v1/forecast/procurement", &body).await;
            assert_named(&r, field, says, &body.to_string());
        }
        // Malformed JSON and unknown fields are 400s.
        assert_eq!(app.post_json("/api/v1/forecast/procurement", &json!({"placed": [], "colour": 1})).await.status, 400);
        assert_eq!(app.post_json("/api/v1/forecast/procurement", &json!({"unit": "kg"})).await.status, 400);
    }
}

db_test! {
    async fn demand_reproduces_the_paper_and_a_hand_worked_curve(app: TestApp) {
        // The paper's base scenario: 2.6 kt of generative-AI server waste in 2023 at 130 kg a
        // server (Wang et al. 2024).
        let r = app.post_json("/api/v1/forecast/demand", &json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let body = r.json();
        assert_eq!((body["scenario"].as_str(), body["demand_curve"].as_str()), (Some("aggressive"), Some("shipped")));
        let ys = body["years"].as_array().unwrap();
        assert_eq!(ys.first().unwrap()["year"], 2020);
        assert_eq!(ys.last().unwrap()["year"], 2030);
        let y2023 = ys.iter().find(|y| y["year"] == 2023).unwrap();
        let kt = f(y2023, &["waste_t"]) / 1000.0;
        assert!((kt - 2.6).abs() < 0.05, "2023: {kt} kt");
        assert_eq!(body["quarters"].as_array().unwrap().len(), 44);

        // A hand-worked curve: training demand 1000 from the first quarter on (para·data·
        // models / 86.4 / 28 = 86.4 · 28 · 1000 / 86.4 / 28), no users, one unit of capacity
        // a server (0.25 · 0.5 · 8). Kernel: the shipped one, k0 = 0.003, k1 = 0.0032.
        // i=0: S = ⌈1000⌉ = 1000, O = 0.  i=1: O = 1000·0.003 = 3, S = ⌈0 + 3⌉ = 3.
        // i=2: O = 3·0.003 + 1000·0.0032 = 3.209, S = ⌈0 + 3.209 + 3⌉ = 7.
        let csv = "quarter,nt_para_billion,nt_traindata_billion_tokens,sparsity,ni_user_aggressive,n_model_aggressive,pt_training,pi_inference,eff_t,eff_i\n\
                   2024Q1,86.4,28,1,0,1000,0.25,0.25,0.5,0.5\n2024Q2,86.4,28,1,0,1000,0.25,0.25,0.5,0.5\n2024Q3,86.4,28,1,0,1000,0.25,0.25,0.5,0.5\n";
        let r = app.post_json("/api/v1/forecast/demand", &json!({"demand_csv": csv, "server_mass_kg": 100})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let hw = r.json();
        let q = hw["quarters"].as_array().unwrap();
        let installed: Vec<f64> = q.iter().map(|x| f(x, &["installed_training"])).collect();
        assert_eq!(installed, [1000.0, 3.0, 7.0]);
        close(f(&q[2], &["retired_training"]), 3.209, "retired in 2024Q3");
        close(f(&hw["years"][0], &["waste_t"]), (3.0 + 3.209) * 0.1, "2024 waste");
        assert_eq!(hw["demand_curve"], "custom");

        // Levers: half the servers redeployed for a quarter: their waste comes a quarter later.
        let r = app.post_json("/api/v1/forecast/demand", &json!({"demand_csv": csv, "server_mass_kg": 100, "levers": {"redeployment": {"years": 0.25, "share": 0.5}}})).await.json();
        close(f(&r["years"][0], &["scenario_waste_servers"]), 0.5 * 3.0 + 0.5 * (3.0 + 3.209), "waste servers with redeployment");

        // CSV: year, servers retired, mass in tonnes.
        let c = app.post_json("/api/v1/forecast/demand.csv", &json!({"scenario": "conservative"})).await;
        assert_eq!(c.status, 200);
        assert_eq!(c.text.lines().next(), Some("year,servers_retired,mass_t,servers_installed"));
        assert_eq!(c.text.lines().count(), 12);
    }
}

db_test! {
    async fn bad_demand_input_is_named(app: TestApp) {
        for (body, field, says) in [
            (json!({"lifespan_extension_quarters": 41}), "lifespan_extension_quarters", "from 0 to 40"),
            (json!({"server_mass_kg": 0}), "server_mass_kg", "more than 0"),
            (json!({"demand_csv": "quarter,nt_para_billion\n2024Q1,1\n"}), "demand_csv", "has no column `nt_traindata_billion_tokens`"),
            (json!({"demand_csv": "quarter,nt_para_billion,nt_traindata_billion_tokens,sparsity,ni_user_aggressive,n_model_aggressive,pt_training,pi_inference,eff_t,eff_i\n2024Q1,1,1,1,1,1,1,1,1,1\n2024Q2,1,1,1,many,1,1,1,1,1\n"}), "demand_csv", "row 3, column `ni_user_aggressive`: `many` is not a number"),
            (json!({"levers": {"extension": {"years": 0.3, "share": 0.5}}}), "levers.extension.years", "whole quarters"),
            (json!({"levers": {"efficiency_gain": 2}}), "levers.efficiency_gain", "at most 1"),
        ] {
            let r = app.post_json("/api/v1/forecast/demand", &body).await;
            assert_named(&r, field, says, &body.to_string());
        }
        assert_eq!(app.post_json("/api/v1/forecast/demand", &json!({"scenario": "wild"})).await.status, 400);
    }
}

db_test! {
    async fn the_forecast_pages_show_charts_tables_and_downloads(app: TestApp) {
        let m = app.post_json("/api/v1/models", &json!({"manufacturer": "Acme", "model_number": "S1", "kind": "server", "mass_kg": 20.0, "material_profile": "server_whole"})).await.json();
        app.asset("UI-1", "server", json!({"model_id": m["id"], "state": "deployed", "first_deployed_on": Utc::now().date_naive() - Duration::days(1500)})).await;
        let ui = &app.admin;
        let page = ui.get("/forecast?horizon=5").await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.text.contains(r#"<svg class="chart" role="img" aria-label="E-waste from the fleet in use"#));
        assert!(page.text.contains("<strong>1</strong> items in use"), "the scope");
        assert!(page.text.contains("Per year") && page.text.contains("UNU 0307"));
        // The form keeps its values; a bad one is named next to its field.
        let bad = ui.get("/forecast?horizon=0&harvest=disk%3D1").await;
        assert_eq!(bad.status, 422);
        let text = html_unescape(&bad.text);
        assert!(text.contains("must be from 1 to 50 years (got 0)"), "{text}");
        assert!(text.contains("`disk` (entry 1) is not a kind"));
        assert!(text.contains(r#"name="harvest" type="text" value="disk=1""#), "the typed value is kept");
        // Downloads from the same form.
        let csv = ui.get("/forecast?horizon=2&format=csv").await;
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(csv.text.lines().count(), 3);
        let js = ui.get("/forecast?horizon=2&format=json").await;
        assert_eq!(js.json()["horizon"], 2);

        // Procurement: prefilled with the registry's own acquisitions, then a series posted.
        let form = ui.get("/forecast/procurement").await;
        assert_eq!(form.status, 200);
        assert!(html_unescape(&form.text).contains("Prefilled with the registry's own acquisitions"));
        let posted = ui.post_form("/forecast/procurement", &[("placed", "year,mass_t\n2020,100\n2021,50\n"), ("kernel", "unu"), ("unu_key", "0307"), ("until", "2023")]).await;
        assert_eq!(posted.status, 200, "{}", posted.text);
        let w2021 = 100.0 * density(1.5) + 50.0 * density(0.5);
        assert!(posted.text.contains(&format!("{w2021:.3}")), "waste 2021 = {w2021:.3}");
        let refused = ui.post_form("/forecast/procurement", &[("placed", "year,mass_t\n2020,abc\n"), ("kernel", "unu")]).await;
        assert_eq!(refused.status, 422);
        assert!(html_unescape(&refused.text).contains("row 2, column `mass_t`: `abc` is not a number"));
        let csv = ui.post_form("/forecast/procurement", &[("placed", "year,mass_t\n2020,100\n"), ("kernel", "genai"), ("until", "2022"), ("format", "csv")]).await;
        assert_eq!(csv.text.lines().next(), Some("year,placed_t,waste_t,stock_t"));

        // Demand: the paper's base on arrival; a scenario posted.
        let d = ui.get("/forecast/demand").await;
        assert_eq!(d.status, 200);
        assert!(d.text.contains("2\u{202f}598.9"), "2023: 2 598.9 t");
        let d = ui.post_form("/forecast/demand", &[("scenario", "conservative"), ("chip_supply", "lag_1_year"), ("efficiency", "increase"), ("extend_years", "0.5"), ("extend_share", "0.5")]).await;
        assert_eq!(d.status, 200, "{}", d.text);
        assert!(d.text.contains("What the levers change"));
        let bad = ui.post_form("/forecast/demand", &[("lifespan_extension_quarters", "99")]).await;
        assert_eq!(bad.status, 422);
        // Without the CSRF token a posted form is refused.
        let forged = ui.post_form("/forecast/demand", &[("csrf_token", "forged")]).await;
        assert_eq!(forged.status, 403);

        // Every role reads forecasts; nobody signed out does.
        let auditor = app.user("fc-auditor", Role::Auditor).await;
        assert_eq!(auditor.get("/forecast/lifespans").await.status, 200);
        assert_eq!(auditor.get("/api/v1/forecast/fleet?horizon=1").await.status, 200);
        let anon = app.anon();
        assert_eq!(anon.get("/forecast").await.status, 303);
        assert_eq!(anon.get("/api/v1/forecast/fleet").await.status, 401);
        let table = ui.get("/forecast/demand/table.csv").await;
        assert!(table.text.starts_with("quarter,nt_para_billion,"));
    }
}

db_test! {
    async fn kept_facts_never_outlive_a_change(app: TestApp) {
        // The server keeps the fleet's facts between forecasts; every change to what they
        // read must show in the next forecast.
        let m = app.post_json("/api/v1/models", &json!({"manufacturer": "Acme", "model_number": "S1", "kind": "server", "mass_kg": 20.0, "material_profile": "server_whole"})).await.json();
        let on = Utc::now().date_naive() - Duration::days(900);
        app.asset("KC-1", "server", json!({"model_id": m["id"], "state": "deployed", "first_deployed_on": on})).await;
        let get = || async { app.get("/api/v1/forecast/fleet?horizon=2").await.json() };
        let first = get().await;
        assert_eq!(first["scope"]["items"], 1);
        assert_eq!(get().await, first, "nothing changed: the same answer");
        // A new item.
        let b = app.asset("KC-2", "server", json!({"model_id": m["id"], "state": "deployed", "first_deployed_on": on})).await;
        let second = get().await;
        assert_eq!(second["scope"]["items"], 2);
        close(f(&second["scope"], &["mass_t"]), 0.04, "two servers");
        // A catalog mass edited.
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&m, "id")), &json!({"version": m["version"], "mass_kg": 25.0})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        close(f(&get().await["scope"], &["mass_t"]), 0.05, "the new mass");
        // A material factor set by an admin (copper 169 → 100 g/kg).
        let cu = |v: &Value| -> f64 {
            v["years"][1]["baseline"]["materials_t"].as_array().unwrap().iter().find(|x| x["material"] == "copper").map(|x| f(x, &["tonnes"])).unwrap()
        };
        let before = get().await;
        let r = app.post_json("/api/v1/recycling-factors", &json!({"kind": "content", "subject": "server_whole", "material": "copper", "value": 100.0, "source": "assay, 2027", "version": 0})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let after = get().await;
        close(cu(&after), cu(&before) * 100.0 / 169.0, "copper at the new factor");
        // An item leaving use.
        assert_eq!(app.transition(&s(&b, "id"), "retired").await.status, 200);
        let last = get().await;
        assert_eq!((last["scope"]["items"].as_u64(), last["scope"]["awaiting_disposal_items"].as_u64()), (Some(1), Some(1)));
    }
}
