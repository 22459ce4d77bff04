use super::*;

fn field_error_near<'a>(html: &'a str, field: &str) -> Option<&'a str> {
    let at = html.find(&format!("name=\"{field}\""))?;
    let rest = &html[at..];
    let end = rest.find("</label>")?;
    let block = &rest[..end];
    let start = block.find("<span class=\"err\">")? + "<span class=\"err\">".len();
    let stop = block[start..].find("</span>")?;
    Some(&block[start..start + stop])
}

db_test! {
    async fn the_asset_list_filters_and_pages_without_javascript(app: TestApp) {
        let site = app.site("Bench lab").await;
        for i in 0..55 {
            app.asset(&format!("UI-{i:03}"), if i % 5 == 0 { "server" } else { "dimm" }, json!({"site_id": site["id"]})).await;
        }
        let r = app.get("/assets").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.text.matches("class=\"tag\"").count(), 50, "a page holds 50 rows");
        assert!(r.text.contains("UI-054") && !r.text.contains("UI-004"));
        let next = r.text.split("rel=\"next\"").next().and_then(|t| t.rsplit("href=\"").next()).and_then(|t| t.split('"').next()).expect("next link");
        let r2 = app.get(&next.replace("&amp;", "&")).await;
        assert_eq!(r2.status, 200);
        assert_eq!(r2.text.matches("class=\"tag\"").count(), 5);
        assert!(r2.text.contains("UI-000") && r2.text.contains("First page"));
        let r = app.get("/assets?kind=server&q=ui-05").await;
        assert_eq!(r.text.matches("class=\"tag\"").count(), 1, "only the server UI-050 matches");
        let r = app.get("/assets?kind=toaster").await;
        assert_eq!(r.status, 400);
        assert!(r.text.contains("Kind: must be one of"), "{}", r.text);
    }
}

db_test! {
    async fn registering_through_the_form_shows_field_errors_then_the_item(app: TestApp) {
        app.asset("FORM-1", "server", json!({})).await;
        let r = app.post_form("/assets", &[("asset_tag", "form-1"), ("kind", "server"), ("mass_override_kg", "heavy"), ("acquired_on", "yesterday")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(field_error_near(&r.text, "mass_override_kg"), Some("must be a number"));
        assert_eq!(field_error_near(&r.text, "acquired_on"), Some("must be a date such as 2024-03-31"));
        assert!(r.text.contains("value=\"form-1\""), "values are kept");
        let r = app.post_form("/assets", &[("asset_tag", "form-1"), ("kind", "server")]).await;
        assert_eq!(r.status, 409);
        assert!(field_error_near(&r.text, "asset_tag").unwrap_or_default().contains("already in use"), "{}", r.text);
        let r = app.post_form("/assets", &[("asset_tag", "FORM-2"), ("kind", "server"), ("state", "deployed"), ("notes", "rack 12")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let location = r.header("location").expect("location").to_owned();
        let page = app.get(&location).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("Registered FORM-2"), "flash message shown once");
        assert!(page.text.contains("rack 12") && page.text.contains("Deployed"));
        let again = app.get(&location).await;
        assert!(!again.text.contains("Registered FORM-2"), "the flash is gone");
    }
}

db_test! {
    async fn actions_on_the_asset_page_change_state_and_the_tree(app: TestApp) {
        let server = app.asset("PG-1", "server", json!({"state": "deployed"})).await;
        app.asset("PG-SPARE", "dimm", json!({})).await;
        let id = s(&server, "id");
        let page = app.get(&format!("/assets/{id}")).await;
        assert!(page.text.contains("value=\"retired\"") && !page.text.contains("value=\"recovered\""), "only allowed next states are offered");
        let r = app.post_form(&format!("/assets/{id}/install"), &[("child_tag", "PG-SPARE")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let page = app.get(&format!("/assets/{id}")).await;
        assert!(page.text.contains("Installed PG-SPARE in PG-1"));
        assert!(page.text.contains("Part installed:"));
        let r = app.post_form(&format!("/assets/{id}/transition"), &[("to", "recovered"), ("version", "2")]).await;
        assert_eq!(r.status, 303, "a refusal redirects to the item's page (post/redirect/get)");
        let r = app.get(&format!("/assets/{id}")).await;
        assert_eq!(r.status, 409, "illegal moves are refused on the page");
        assert!(r.text.contains("allowed next states"), "{}", r.text);
        let r = app.post_form(&format!("/assets/{id}/transition"), &[("to", "retired"), ("reason", "end of lease"), ("version", "2")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let page = app.get(&format!("/assets/{id}")).await;
        assert!(page.text.contains("1 installed part(s) went along") && page.text.contains("end of lease"));
        let spare = app.get("/api/v1/assets/lookup?code=PG-SPARE").await.json();
        assert_eq!(spare["state"], "retired");
        let r = app.post_form(&format!("/assets/{id}/children/{}/remove", s(&spare, "id")), &[("back", id.as_str()), ("confirm", "yes"), ("reason", "spare")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(app.get_asset(&s(&spare, "id")).await["parent_id"], Value::Null);
        // A stale form (old version) is refused.
        let r = app.post_form(&format!("/assets/{id}/transition"), &[("to", "sanitized"), ("version", "1")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(app.get(&format!("/assets/{id}")).await.status, 409);
    }
}

db_test! {
    async fn scanning_jumps_to_the_item_or_searches(app: TestApp) {
        let a = app.asset("SCAN-9", "server", json!({"manufacturer": "Dell", "serial": "J8K2L1"})).await;
        let r = app.get("/scan?code=j8k2l1").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location").map(str::to_owned), Some(format!("/assets/{}", s(&a, "id"))));
        let r = app.get("/scan?code=SCAN").await;
        assert_eq!(r.header("location"), Some("/assets?q=SCAN"));
        let r = app.get(&format!("/assets/{}", uuid::Uuid::now_v7())).await;
        assert_eq!(r.status, 404);
        assert!(r.text.contains("was not found"));
    }
}

db_test! {
    async fn edit_forms_for_assets_sites_and_models_round_trip(app: TestApp) {
        let r = app.post_form("/sites", &[("name", "Dublin"), ("country", "IE"), ("grid_ci_g_per_kwh", "290"), ("pue", "1.2")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let site_url = r.header("location").expect("location").to_owned();
        let r = app.post_form(&format!("{site_url}/edit"), &[("name", "Dublin 2"), ("country", "IE"), ("pue", "9"), ("version", "1")]).await;
        assert_eq!(r.status, 422);
        assert_eq!(field_error_near(&r.text, "pue"), Some("must be between 1 and 5"));
        let r = app.post_form(&format!("{site_url}/edit"), &[("name", "Dublin 2"), ("country", "IE"), ("pue", "1.25"), ("version", "1")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert!(app.get(&site_url).await.text.contains("Dublin 2"));

        let r = app.post_form("/models", &[("manufacturer", "Lenovo"), ("model_number", "SR665"), ("kind", "server"), ("mass_kg", "20,5"), ("specs", "{\"u\": 2}")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let model_url = r.header("location").expect("location").to_owned();
        let page = app.get(&model_url).await;
        assert!(page.text.contains("20.50 kg"), "decimal commas are accepted");
        let r = app.post_form(&format!("{model_url}/edit"), &[("manufacturer", "Lenovo"), ("model_number", "SR665"), ("kind", "server"), ("specs", "{oops"), ("version", "1")]).await;
        assert_eq!(r.status, 422);
        assert!(field_error_near(&r.text, "specs").unwrap_or_default().starts_with("is not valid JSON"));

        let a = app.asset("ED-1", "server", json!({})).await;
        let edit = app.get(&format!("/assets/{}/edit", s(&a, "id"))).await;
        assert!(edit.text.contains("value=\"ED-1\""));
        let r = app.post_form(&format!("/assets/{}/edit", s(&a, "id")), &[("asset_tag", "ED-1b"), ("kind", "server"), ("custodian", "Ops"), ("version", "1")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let got = app.get_asset(&s(&a, "id")).await;
        assert_eq!((got["asset_tag"].as_str(), got["custodian"].as_str(), got["version"].as_i64()), (Some("ED-1b"), Some("Ops"), Some(2)));
        let r = app.post_form(&format!("/assets/{}/edit", s(&a, "id")), &[("asset_tag", "ED-1c"), ("kind", "server"), ("version", "1")]).await;
        assert_eq!(r.status, 409, "a stale edit form is refused");
        assert!(r.text.contains("changed by someone else"));
    }
}

db_test! {
    async fn the_asset_page_shows_catalog_specs_parts_and_history(app: TestApp) {
        let gpu = app
            .post_json("/api/v1/models", &json!({"manufacturer": "NVIDIA", "model_number": "H100 SXM5", "kind": "gpu", "max_w": 700, "gpu_vram_gb": 80, "mass_kg": 1.69, "embodied_kgco2e": 164, "embodied_source": "1/8 of the HGX baseboard"}))
            .await
            .json();
        let server = app.asset("SP-1", "server", json!({"state": "deployed"})).await;
        app.asset("SP-1-G1", "gpu", json!({"parent_tag": "SP-1", "model_id": gpu["id"]})).await;
        let page = app.get(&format!("/assets/{}", s(&server, "id"))).await;
        assert!(page.text.contains("SP-1-G1") && page.text.contains("1.69 kg"), "the part and its mass");
        let part = app.get("/api/v1/assets/lookup?code=SP-1-G1").await.json();
        let page = app.get(&format!("/assets/{}", s(&part, "id"))).await;
        let text = reloop_tests::html_unescape(&page.text);
        for expected in ["Max power", "700 W", "GPU memory", "80 GB", "164 kgCO2e (1/8 of the HGX baseboard)", "Registered as Deployed", "SP-1"] {
            assert!(text.contains(expected), "{expected} missing");
        }
    }
}
