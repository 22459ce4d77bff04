use super::*;

db_test! {
    async fn health_and_readiness(app: TestApp) {
        let r = app.get("/healthz").await;
        assert_eq!((r.status, r.json()["status"].as_str()), (200, Some("ok")));
        let r = app.get("/readyz").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["database"], "ok");
        // Security headers ride on every response.
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
}

db_test! {
    async fn readiness_fails_when_the_database_is_gone(app: TestApp) {
        app.db.clone().close().await.expect("close pool");
        let r = app.get("/readyz").await;
        assert_eq!(r.status, 503, "{}", r.text);
        assert_eq!(r.json()["database"], "unreachable");
        assert_eq!(app.get("/healthz").await.status, 200);
    }
}

db_test! {
    async fn openapi_documents_every_route(app: TestApp) {
        let r = app.get("/api/v1/openapi.json").await;
        assert_eq!(r.status, 200);
        let doc = r.json();
        assert!(doc["openapi"].as_str().unwrap_or_default().starts_with("3."), "{}", doc["openapi"]);
        let expected = [
            ("/api/v1/assets", &["get", "post"][..]),
            ("/api/v1/assets/lookup", &["get"]),
            ("/api/v1/assets/{id}", &["get", "patch"]),
            ("/api/v1/assets/{id}/transition", &["post"]),
            ("/api/v1/assets/{id}/children", &["post"]),
            ("/api/v1/assets/{id}/children/{child_id}", &["delete"]),
            ("/api/v1/assets/{id}/tree", &["get"]),
            ("/api/v1/assets/{id}/events", &["get"]),
            ("/api/v1/assets/{id}/history", &["get"]),
            ("/api/v1/assets/{id}/label.svg", &["get"]),
            ("/api/v1/sites", &["get", "post"]),
            ("/api/v1/sites/{id}", &["get", "patch"]),
            ("/api/v1/models", &["get", "post"]),
            ("/api/v1/models/{id}", &["get", "patch"]),
            ("/api/v1/me", &["get"]),
            ("/api/v1/tokens", &["get", "post"]),
            ("/api/v1/tokens/{id}", &["delete"]),
            ("/api/v1/users", &["get", "post"]),
            ("/api/v1/users/{id}", &["patch"]),
            ("/api/v1/audit", &["get"]),
            ("/api/v1/audit/verify", &["get"]),
            ("/api/v1/repairs", &["get", "post"]),
            ("/api/v1/repairs/stats", &["get"]),
            ("/api/v1/repairs/{id}", &["get", "patch"]),
            ("/api/v1/repairs/{id}/remove-part", &["post"]),
            ("/api/v1/repairs/{id}/install-part", &["post"]),
            ("/api/v1/repairs/{id}/reserve", &["post"]),
            ("/api/v1/repairs/{id}/close", &["post"]),
            ("/api/v1/repairs/{id}/candidates", &["get"]),
            ("/api/v1/dismantle-jobs", &["get", "post"]),
            ("/api/v1/dismantle-jobs/{id}", &["get"]),
            ("/api/v1/dismantle-jobs/{id}/parts", &["post"]),
            ("/api/v1/dismantle-jobs/{id}/close", &["post"]),
            ("/api/v1/pool", &["get"]),
            ("/api/v1/reuse", &["get"]),
            ("/api/v1/sanitization/records", &["get", "post"]),
            ("/api/v1/sanitization/records/{id}", &["get"]),
            ("/api/v1/sanitization/batches", &["get", "post"]),
            ("/api/v1/sanitization/batches/{id}", &["get"]),
            ("/api/v1/sanitization/batches/{id}/scan", &["post"]),
            ("/api/v1/sanitization/batches/{id}/close", &["post"]),
            ("/api/v1/vendors", &["get", "post"]),
            ("/api/v1/vendors/{id}", &["get", "patch"]),
            ("/api/v1/recycling-lots", &["get", "post"]),
            ("/api/v1/recycling-lots/{id}", &["get", "patch"]),
            ("/api/v1/recycling-lots/{id}/items", &["post"]),
            ("/api/v1/recycling-lots/{id}/remove-items", &["post"]),
            ("/api/v1/recycling-lots/{id}/ship", &["post"]),
            ("/api/v1/recycling-lots/{id}/custody", &["get", "post"]),
            ("/api/v1/recycling-lots/{id}/recovery", &["post"]),
            ("/api/v1/recycling-factors", &["get", "post"]),
            ("/api/v1/assets/{id}/suggestions", &["get"]),
            ("/api/v1/assets/{id}/suggestions/accept", &["post"]),
            ("/api/v1/policy", &["get", "put"]),
            ("/api/v1/policy/versions", &["get"]),
            ("/api/v1/policy/versions/{number}", &["get"]),
            ("/api/v1/policy/check", &["post"]),
            ("/api/v1/policy/dry-run", &["post"]),
            ("/api/v1/policy/refresh", &["post"]),
            ("/api/v1/fleet/due", &["get"]),
            ("/api/v1/fleet/due.csv", &["get"]),
            ("/api/v1/forecast/fleet", &["get"]),
            ("/api/v1/forecast/fleet.csv", &["get"]),
            ("/api/v1/forecast/procurement", &["post"]),
            ("/api/v1/forecast/procurement.csv", &["post"]),
            ("/api/v1/forecast/demand", &["post"]),
            ("/api/v1/forecast/demand.csv", &["post"]),
            ("/api/v1/forecast/lifespans", &["get"]),
            ("/api/v1/overview", &["get"]),
            ("/api/v1/bulk/transition", &["post"]),
            ("/api/v1/bulk/move", &["post"]),
        ];
        let paths = doc["paths"].as_object().expect("paths");
        for (path, methods) in expected {
            for m in methods {
                assert!(paths.get(path).and_then(|p| p.get(*m)).is_some(), "{m} {path} is missing from the OpenAPI document");
            }
        }
        assert_eq!(paths.len(), expected.len(), "documented paths: {:?}", paths.keys().collect::<Vec<_>>());
        // Schemas referenced by the operations exist.
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for name in ["Asset", "NewAsset", "AssetPatch", "TransitionRequest", "ErrorBody", "State", "AssetKind", "Site", "HardwareModel", "User", "TokenInfo", "AuditEntry", "ChainReport", "Repair", "RepairDetail", "Job", "JobDetail", "PoolView", "ReuseFigures", "FaultCategory", "Destination", "SanitizationRecord", "SanitizationBatch", "SanitizationBatchDetail", "MethodClass", "Blocker", "Vendor", "Lot", "LotDetail", "Factor", "Material", "TreatmentRoute", "CertScheme", "LotStatus", "WeeeCategory", "Suggestions", "Accept", "Accepted", "PolicyVersion", "PolicyDraft", "DryRun", "RunInfo", "FleetDue", "Disposition", "DueReason", "FleetForecast", "ProcurementRequest", "ProcurementForecast", "DemandRequest", "DemandForecast", "Lifespans", "KernelChoice", "DemandScenario", "ChipSupply"] {
            assert!(schemas.contains_key(name), "schema {name} missing");
        }
        // Every reference resolves (a parameter's schema too, which no response check reads).
        let text = doc.to_string();
        for name in text.split("\"#/components/schemas/").skip(1).filter_map(|r| r.split('"').next()) {
            assert!(schemas.contains_key(name), "a reference to the undefined schema {name}");
        }
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        // Every documented operation has an access rule, and every API rule is documented.
        let rules: Vec<(String, String)> = reloop::web::routes::all_rules().into_iter()
            .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
            .map(|r| (r.method.to_lowercase(), r.path.to_string()))
            .collect();
        let documented: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(p, ops)| ops.as_object().into_iter().flat_map(|o| o.keys()).map(move |m| (m.clone(), p.clone())))
            .collect();
        for d in &documented {
            assert!(rules.contains(d), "{d:?} is served but has no access rule");
        }
        for r in &rules {
            assert!(documented.contains(r), "{r:?} has an access rule but is not in the OpenAPI document");
        }
    }
}

db_test! {
    async fn unknown_routes_are_404_in_the_right_format(app: TestApp) {
        let r = app.get("/api/v1/nope").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.error().0, "not_found");
        let r = app.get("/no-such-page").await;
        assert_eq!(r.status, 404);
        assert!(r.text.contains("<html") && r.text.contains("404"), "{}", r.text);
        // A malformed id in a path is an unknown resource, answered as JSON under /api.
        let r = app.get("/api/v1/assets/not-a-uuid").await;
        assert_eq!(r.status, 404, "{}", r.text);
        assert_eq!(r.error().0, "not_found");
    }
}
