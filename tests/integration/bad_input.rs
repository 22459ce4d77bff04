use super::*;

async fn count_assets(app: &TestApp) -> usize {
    app.get("/api/v1/assets?limit=500").await.json()["items"].as_array().map(Vec::len).unwrap_or(0)
}

db_test! {
    async fn malformed_and_mistyped_json_names_the_field(app: TestApp) {
        let r = app.post_raw("/api/v1/assets", "application/json", "{\"asset_tag\": \"A\",").await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.error().0, "bad_request");

        let r = app.post_raw("/api/v1/assets", "application/json", r#"{"asset_tag": "A", "kind": "server", "mass_override_kg": "heavy"}"#).await;
        assert_eq!(r.status, 400, "{}", r.text);
        let (_, field, msg) = r.error();
        assert_eq!(field.as_deref(), Some("mass_override_kg"), "{msg}");

        let r = app.post_raw("/api/v1/assets", "application/json", r#"{"asset_tag": "A", "kind": "toaster"}"#).await;
        assert_eq!(r.status, 400);
        let (_, field, msg) = r.error();
        assert_eq!(field.as_deref(), Some("kind"));
        assert!(msg.contains("server") && msg.contains("dimm"), "lists the valid kinds: {msg}");

        let r = app.post_raw("/api/v1/assets", "application/json", r#"{"asset_tag": "A", "kind": "server", "grade": {"functional": "F9"}}"#).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.error().1.as_deref(), Some("grade.functional"));

        let r = app.post_raw("/api/v1/assets", "application/json", r#"{"asset_tag": "A", "kind": "server", "colour": "red"}"#).await;
        assert_eq!(r.status, 400, "unknown fields are refused: {}", r.text);
        assert_eq!(r.error().1.as_deref(), Some("colour"));

        let r = app.post_raw("/api/v1/assets", "application/json", r#"{"asset_tag": "A", "kind": "server"} trailing"#).await;
        assert_eq!(r.status, 400);

        let r = app.post_raw("/api/v1/assets", "application/json", "").await;
        assert_eq!(r.status, 400);
        assert!(r.error().2.contains("empty"));

        let r = app.post_raw("/api/v1/assets", "text/plain", r#"{"asset_tag": "A", "kind": "server"}"#).await;
        assert_eq!(r.status, 415, "{}", r.text);
        assert_eq!(r.error().0, "unsupported_media_type");

        let r = app.post_raw("/api/v1/assets", "application/json", r#"["not", "an", "object"]"#).await;
        assert_eq!(r.status, 400);

        assert_eq!(count_assets(app).await, 0, "nothing was written");
    }
}

db_test! {
    async fn oversized_bodies_are_refused_with_413(app: TestApp) {
        let limit = app.settings.max_body_bytes;
        let big = format!(r#"{{"asset_tag": "A", "kind": "server", "notes": "{}"}}"#, "x".repeat(limit));
        let r = app.post_raw("/api/v1/assets", "application/json", big).await;
        assert_eq!(r.status, 413, "{}", r.text);
        assert_eq!(r.error().0, "payload_too_large");
        // Also when the client does not announce the length (chunked).
        let chunks: Vec<Result<String, std::io::Error>> = (0..(limit / 1000 + 2)).map(|_| Ok("y".repeat(1000))).collect();
        let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        let r = app.post_raw("/api/v1/assets", "application/json", body).await;
        assert_eq!(r.status, 413, "{}", r.text);
        // Forms too.
        let r = app.post_raw("/sites", "application/x-www-form-urlencoded", format!("name={}", "n".repeat(limit + 10))).await;
        assert_eq!(r.status, 413);
        assert_eq!(count_assets(app).await, 0);
    }
}

db_test! {
    async fn text_rules_name_the_field(app: TestApp) {
        let cases = [
            (json!({"asset_tag": "", "kind": "server"}), "asset_tag", "required"),
            (json!({"asset_tag": "   ", "kind": "server"}), "asset_tag", "required"),
            (json!({"asset_tag": "A".repeat(65), "kind": "server"}), "asset_tag", "64"),
            (json!({"asset_tag": "A\u{0}B", "kind": "server"}), "asset_tag", "control"),
            (json!({"asset_tag": "A\nB", "kind": "server"}), "asset_tag", "control"),
            (json!({"asset_tag": "A", "kind": "server", "notes": "ok\u{0}"}), "notes", "control"),
            (json!({"asset_tag": "A", "kind": "server", "mass_override_kg": -1}), "mass_override_kg", "between"),
            (json!({"asset_tag": "A", "kind": "server", "acquired_on": "2999-01-01"}), "acquired_on", "future"),
            (json!({"asset_tag": "A", "kind": "server", "acquired_on": "2024-05-01", "first_deployed_on": "2024-04-01"}), "first_deployed_on", "before"),
        ];
        for (body, field, words) in cases {
            let r = app.post_json("/api/v1/assets", &body).await;
            assert_eq!(r.status, 422, "{body}: {}", r.text);
            let (code, f, msg) = r.error();
            assert_eq!((code.as_str(), f.as_deref()), ("invalid", Some(field)), "{body}");
            assert!(msg.contains(words), "{body}: {msg}");
        }
        // Several problems are reported together.
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "", "kind": "server", "mass_override_kg": 1e9})).await;
        assert_eq!(r.status, 422);
        let fields: Vec<String> = r.json()["error"]["fields"].as_array().expect("fields").iter().map(|f| s(f, "field")).collect();
        assert_eq!(fields, ["asset_tag", "mass_override_kg"]);
        assert_eq!(count_assets(app).await, 0);
    }
}

db_test! {
    async fn bad_query_parameters_name_the_parameter(app: TestApp) {
        for (q, field) in [("kind=toaster", "kind"), ("limit=abc", "limit"), ("cursor=xyz", "cursor"), ("site_id=12", "site_id"), ("colour=red", "colour")] {
            let r = app.get(&format!("/api/v1/assets?{q}")).await;
            assert_eq!(r.status, 400, "{q}: {}", r.text);
            assert_eq!(r.error().1.as_deref(), Some(field), "{q}");
        }
        for q in ["limit=0", "limit=501"] {
            let r = app.get(&format!("/api/v1/assets?{q}")).await;
            assert_eq!(r.status, 422, "{q}");
            assert_eq!(r.error().1.as_deref(), Some("limit"));
        }
    }
}

db_test! {
    async fn a_bad_row_refuses_the_whole_batch(app: TestApp) {
        use reloop::assets::NewAsset;
        use reloop::rules::AssetKind;
        let row = |tag: &str, kind: Option<AssetKind>| NewAsset { asset_tag: tag.into(), kind, ..Default::default() };
        let batch = vec![
            row("B-1", Some(AssetKind::Server)),
            NewAsset { parent_tag: Some("B-1".into()), ..row("B-2", Some(AssetKind::Dimm)) },
            row("B-3", None),
            row("b-1", Some(AssetKind::Server)),
        ];
        let err = reloop::assets::register(&app.db, &reloop::Ctx::new("test"), batch, true).await.expect_err("must fail");
        let fields: Vec<String> = err.field_errors().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["rows[2].kind", "rows[3].asset_tag"]);
        assert_eq!(count_assets(app).await, 0, "nothing half-written");
        // A clash with the database also refuses everything, naming the row.
        app.asset("EXISTING", "server", json!({})).await;
        let batch = vec![row("N-1", Some(AssetKind::Server)), row("existing", Some(AssetKind::Server))];
        let err = reloop::assets::register(&app.db, &reloop::Ctx::new("test"), batch, true).await.expect_err("must fail");
        assert_eq!(err.field(), Some("rows[1].asset_tag"));
        assert_eq!(count_assets(app).await, 1);
    }
}
