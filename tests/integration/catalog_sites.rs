use super::*;

db_test! {
    async fn sites_are_created_listed_and_edited_with_versions(app: TestApp) {
        let r = app.post_json("/api/v1/sites", &json!({"name": "Stockholm DC", "country": "se", "grid_ci_g_per_kwh": 41, "grid_ci_source": "Electricity Maps 2024 average", "pue": 1.15})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let site = r.json();
        assert_eq!(site["country"], "SE");
        let id = s(&site, "id");
        let r = app.post_json("/api/v1/sites", &json!({"name": "stockholm dc", "country": "SE"})).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.error().1.as_deref(), Some("name"));
        for (body, field) in [
            (json!({"name": "X", "country": "Sweden"}), "country"),
            (json!({"name": "X", "country": "SE", "pue": 0.5}), "pue"),
            (json!({"name": "X", "country": "SE", "grid_ci_g_per_kwh": -3}), "grid_ci_g_per_kwh"),
        ] {
            let r = app.post_json("/api/v1/sites", &body).await;
            assert_eq!(r.status, 422, "{body}");
            assert_eq!(r.error().1.as_deref(), Some(field));
        }
        let r = app.patch_json(&format!("/api/v1/sites/{id}"), &json!({"version": 1, "pue": 1.12, "grid_ci_g_per_kwh": null})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let edited = r.json();
        assert_eq!((edited["pue"].as_f64(), edited["grid_ci_g_per_kwh"].clone(), edited["version"].as_i64()), (Some(1.12), Value::Null, Some(2)));
        assert_eq!(edited["grid_ci_source"], "Electricity Maps 2024 average", "absent fields stay");
        let r = app.patch_json(&format!("/api/v1/sites/{id}"), &json!({"version": 1, "pue": 2.0})).await;
        assert_eq!(r.status, 409);
        assert_eq!(app.get(&format!("/api/v1/sites/{id}")).await.json()["pue"], 1.12);
        app.site("Amsterdam").await;
        let names: Vec<String> = app.get("/api/v1/sites").await.json().as_array().expect("list").iter().map(|s| s["name"].as_str().unwrap_or_default().to_owned()).collect();
        assert_eq!(names, ["Amsterdam", "Stockholm DC"]);
        assert_eq!(app.get(&format!("/api/v1/sites/{}", uuid::Uuid::now_v7())).await.status, 404);
    }
}

db_test! {
    async fn the_catalog_keeps_figures_with_their_sources(app: TestApp) {
        let body = json!({
            "manufacturer": "NVIDIA", "model_number": "H100 SXM5 80GB", "kind": "gpu", "release_year": 2023,
            "mass_kg": 1.69, "embodied_kgco2e": 150.0, "embodied_source": "vendor PCF", "max_w": 700,
            "gpu_vram_gb": 80, "perf_value": 989, "perf_unit": "FP16 TFLOPS", "specs": {"interconnect": "NVLink 4"}
        });
        let r = app.post_json("/api/v1/models", &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let m = r.json();
        assert_eq!((m["gpu_vram_gb"].as_f64(), m["specs"]["interconnect"].as_str()), (Some(80.0), Some("NVLink 4")));
        let r = app.post_json("/api/v1/models", &json!({"manufacturer": "nvidia", "model_number": "h100 sxm5 80gb", "kind": "gpu"})).await;
        assert_eq!(r.status, 409);
        for (patch, field) in [
            (json!({"embodied_kgco2e": 10, "embodied_source": ""}), "embodied_source"),
            (json!({"perf_unit": ""}), "perf_unit"),
            (json!({"idle_w": 900}), "idle_w"),
            (json!({"specs": [1, 2]}), "specs"),
            (json!({"unu_key": "307"}), "unu_key"),
            (json!({"release_year": 1900}), "release_year"),
        ] {
            let mut p = patch.clone();
            p["version"] = json!(1);
            let r = app.patch_json(&format!("/api/v1/models/{}", s(&m, "id")), &p).await;
            assert_eq!(r.status, 422, "{patch}: {}", r.text);
            assert_eq!(r.error().1.as_deref(), Some(field), "{patch}");
        }
        // A model in use keeps its kind.
        app.asset("G-1", "gpu", json!({"model_id": m["id"]})).await;
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&m, "id")), &json!({"version": 1, "kind": "cpu"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("kind"));
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&m, "id")), &json!({"version": 1, "max_w": 650})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["max_w"], 650.0);
        // Listing: by kind, by text, paginated.
        for i in 0..3 {
            app.model("Micron", &format!("MTA36ASF{i}G72PZ"), "dimm", Some(0.03)).await;
        }
        let p1 = app.get("/api/v1/models?kind=dimm&limit=2").await.json();
        assert_eq!(p1["items"].as_array().map(Vec::len), Some(2));
        let p2 = app.get(&format!("/api/v1/models?kind=dimm&limit=2&cursor={}", p1["next_cursor"].as_str().unwrap_or_default().replace(' ', "%20"))).await.json();
        assert_eq!(p2["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(p2["next_cursor"], Value::Null);
        let found = app.get("/api/v1/models?q=h100").await.json();
        assert_eq!(found["items"][0]["id"], m["id"]);
        assert_eq!(found["items"].as_array().map(Vec::len), Some(1));
    }
}
