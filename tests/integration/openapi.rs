//! The OpenAPI document is a contract a generated client can rely on: every real response
//! of every operation has a documented status and matches its documented schema, and every
//! vocabulary the document lists is what the API accepts and returns.

use std::collections::{BTreeSet, HashSet};

use reloop::rules::Role;
use serde_json::Value;

use super::*;

/// Checks responses against the document and remembers which operations were exercised.
struct Contract {
    doc: Value,
    seen: BTreeSet<(String, String)>,
    statuses: HashSet<(String, String, u16)>,
}

impl Contract {
    async fn load(app: &TestApp) -> Contract {
        let doc = app.get("/api/v1/openapi.json").await.json();
        Contract { doc, seen: BTreeSet::new(), statuses: HashSet::new() }
    }

    /// Asserts `r`, the answer to `method template`, is documented with its status and matches
    /// the documented schema. Returns the body.
    fn check(&mut self, method: &str, template: &str, r: &Resp) -> Value {
        let m = method.to_lowercase();
        let op = &self.doc["paths"][template][&m];
        assert!(op.is_object(), "{method} {template} is not in the document");
        let status = r.status.to_string();
        let documented = &op["responses"][&status];
        let known: Vec<&String> = op["responses"].as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert!(
            documented.is_object(),
            "{method} {template} answered {status}, documented: {known:?}; body: {}",
            r.text
        );
        // A document that is not JSON (a label's SVG) must be documented with its media type.
        let media =
            r.header("content-type").unwrap_or_default().split(';').next().unwrap_or_default().trim().to_owned();
        if !r.text.is_empty() && media != "application/json" {
            assert!(
                documented["content"][&media].is_object(),
                "{method} {template} {status}: answered {media}, documented {}",
                documented["content"]
            );
            self.seen.insert((m.clone(), template.to_owned()));
            self.statuses.insert((m, template.to_owned(), r.status));
            return Value::Null;
        }
        let body: Value = if r.text.is_empty() { Value::Null } else { r.json() };
        let schema = &documented["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {template} {status}: no JSON schema documented");
        let root = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"].clone(),
            "allOf": [schema.clone()],
        });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("{method} {template} {status}: the documented schema does not compile: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(&body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: the body does not match the document: {errors:?}\n{body}"
        );
        self.seen.insert((m.clone(), template.to_owned()));
        self.statuses.insert((m, template.to_owned(), r.status));
        body
    }

    /// Whether `body` matches the component schema `name` (the validator's self-check).
    fn matches(&self, name: &str, body: &Value) -> bool {
        let root = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"].clone(),
            "$ref": format!("#/components/schemas/{name}"),
        });
        jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&root).expect("compiles").is_valid(body)
    }

    /// Every operation in the document was exercised.
    fn all_seen(&self) {
        let mut missing = Vec::new();
        for (path, ops) in self.doc["paths"].as_object().expect("paths") {
            for m in ops.as_object().expect("operations").keys() {
                if !self.seen.contains(&(m.clone(), path.clone())) {
                    missing.push(format!("{m} {path}"));
                }
            }
        }
        assert!(missing.is_empty(), "not exercised: {missing:?}");
    }
}

db_test! {
    async fn every_operation_answers_as_the_document_says(app: TestApp) {
        let mut c = Contract::load(app).await;
        // The validator itself: it refuses what the schemas forbid, through their references.
        assert!(c.matches("ErrorBody", &json!({"error": {"code": "x", "message": "y"}})));
        assert!(!c.matches("ErrorBody", &json!({"error": {"code": 1, "message": "y"}})), "a number for a string");
        assert!(!c.matches("ErrorBody", &json!({"oops": true})), "a missing required field");
        assert!(!c.matches("Site", &json!({"id": "x"})), "an incomplete site");
        let auditor = app.user("contract-auditor", Role::Auditor).await;
        let anon = app.anon();
        let nobody = uuid::Uuid::now_v7().to_string();

        // Account.
        c.check("GET", "/api/v1/me", &app.get("/api/v1/me").await);
        c.check("GET", "/api/v1/me", &anon.get("/api/v1/me").await);
        c.check("GET", "/api/v1/tokens", &app.get("/api/v1/tokens").await);
        let token = c.check("POST", "/api/v1/tokens", &app.post_json("/api/v1/tokens", &json!({"name": "contract"})).await);
        c.check("POST", "/api/v1/tokens", &app.post_json("/api/v1/tokens", &json!({"expires_in_days": 3})).await);
        c.check("POST", "/api/v1/tokens", &app.post_json("/api/v1/tokens", &json!({"name": "x", "expires_in_days": 0})).await);
        c.check("DELETE", "/api/v1/tokens/{id}", &app.delete(&format!("/api/v1/tokens/{}", s(&token, "id"))).await);
        c.check("DELETE", "/api/v1/tokens/{id}", &app.delete(&format!("/api/v1/tokens/{nobody}")).await);

        // Sites.
        let site = c.check("POST", "/api/v1/sites", &app.post_json("/api/v1/sites", &json!({"name": "Contract", "country": "DE"})).await);
        let sid = s(&site, "id");
        c.check("POST", "/api/v1/sites", &app.post_json("/api/v1/sites", &json!({"name": "Contract", "country": "DE"})).await);
        c.check("POST", "/api/v1/sites", &app.post_json("/api/v1/sites", &json!({"name": "", "country": "Germany"})).await);
        c.check("POST", "/api/v1/sites", &auditor.post_json("/api/v1/sites", &json!({"name": "A", "country": "DE"})).await);
        c.check("GET", "/api/v1/sites", &app.get("/api/v1/sites").await);
        c.check("GET", "/api/v1/sites/{id}", &app.get(&format!("/api/v1/sites/{sid}")).await);
        c.check("GET", "/api/v1/sites/{id}", &app.get(&format!("/api/v1/sites/{nobody}")).await);
        c.check("PATCH", "/api/v1/sites/{id}", &app.patch_json(&format!("/api/v1/sites/{sid}"), &json!({"version": 1, "pue": 1.2})).await);
        c.check("PATCH", "/api/v1/sites/{id}", &app.patch_json(&format!("/api/v1/sites/{sid}"), &json!({"version": 1, "pue": 1.3})).await);

        // Catalog.
        let model = c.check("POST", "/api/v1/models", &app.post_json("/api/v1/models", &json!({"manufacturer": "Dell", "model_number": "R640", "kind": "server", "mass_kg": 14.2})).await);
        let mid = s(&model, "id");
        c.check("POST", "/api/v1/models", &app.post_json("/api/v1/models", &json!({"manufacturer": "Dell", "model_number": "R640", "kind": "server"})).await);
        c.check("POST", "/api/v1/models", &app.post_json("/api/v1/models", &json!({"manufacturer": "Dell", "model_number": "X", "kind": "toaster"})).await);
        c.check("GET", "/api/v1/models", &app.get("/api/v1/models?kind=server").await);
        c.check("GET", "/api/v1/models", &app.get("/api/v1/models?limit=0").await);
        c.check("GET", "/api/v1/models/{id}", &app.get(&format!("/api/v1/models/{mid}")).await);
        c.check("GET", "/api/v1/models/{id}", &app.get(&format!("/api/v1/models/{nobody}")).await);
        c.check("PATCH", "/api/v1/models/{id}", &app.patch_json(&format!("/api/v1/models/{mid}"), &json!({"version": 1, "max_w": 750})).await);
        c.check("PATCH", "/api/v1/models/{id}", &app.patch_json(&format!("/api/v1/models/{mid}"), &json!({"version": 2, "idle_w": 900})).await);

        // Assets: registration and edits.
        let server = c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-1", "model_id": mid, "site_id": sid, "state": "deployed", "workload_tier": "web_services"})).await);
        let id = s(&server, "id");
        let dimm = c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-D1", "kind": "dimm"})).await);
        let did = s(&dimm, "id");
        c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "ct-1", "kind": "server"})).await);
        c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-2"})).await);
        c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-3", "kind": "server", "colour": "blue"})).await);
        c.check("POST", "/api/v1/assets", &app.post_raw("/api/v1/assets", "text/plain", "asset_tag=CT-4").await);
        c.check("POST", "/api/v1/assets", &app.post_raw("/api/v1/assets", "application/json", format!("{{\"asset_tag\": \"{}\"}}", "x".repeat(300 * 1024))).await);
        c.check("POST", "/api/v1/assets", &anon.post_json("/api/v1/assets", &json!({"asset_tag": "CT-5", "kind": "server"})).await);
        c.check("GET", "/api/v1/assets", &app.get("/api/v1/assets?kind=server&limit=1").await);
        c.check("GET", "/api/v1/assets", &app.get("/api/v1/assets?kind=toaster").await);
        c.check("GET", "/api/v1/assets", &app.get("/api/v1/assets?q=a%00b").await);
        c.check("GET", "/api/v1/assets/lookup", &app.get("/api/v1/assets/lookup?code=CT-1").await);
        c.check("GET", "/api/v1/assets/lookup", &app.get("/api/v1/assets/lookup?code=nothing").await);
        c.check("GET", "/api/v1/assets/{id}", &app.get(&format!("/api/v1/assets/{id}")).await);
        c.check("GET", "/api/v1/assets/{id}", &app.get(&format!("/api/v1/assets/{nobody}")).await);
        c.check("PATCH", "/api/v1/assets/{id}", &app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 1, "custodian": "Ops"})).await);
        c.check("PATCH", "/api/v1/assets/{id}", &app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 1, "custodian": "Stale"})).await);
        c.check("PATCH", "/api/v1/assets/{id}", &app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 2, "mass_override_kg": -1})).await);

        // Tree and lifecycle.
        c.check("POST", "/api/v1/assets/{id}/children", &app.post_json(&format!("/api/v1/assets/{id}/children"), &json!({"child_id": did})).await);
        c.check("POST", "/api/v1/assets/{id}/children", &app.post_json(&format!("/api/v1/assets/{id}/children"), &json!({"child_id": did})).await);
        c.check("POST", "/api/v1/assets/{id}/children", &app.post_json(&format!("/api/v1/assets/{did}/children"), &json!({"child_id": id})).await);
        c.check("GET", "/api/v1/assets/{id}/tree", &app.get(&format!("/api/v1/assets/{id}/tree")).await);
        c.check("GET", "/api/v1/assets/{id}/tree", &app.get(&format!("/api/v1/assets/{nobody}/tree")).await);
        c.check("DELETE", "/api/v1/assets/{id}/children/{child_id}", &app.delete_json(&format!("/api/v1/assets/{id}/children/{did}"), &json!({"reason": "contract"})).await);
        c.check("DELETE", "/api/v1/assets/{id}/children/{child_id}", &app.delete(&format!("/api/v1/assets/{id}/children/{did}")).await);
        c.check("POST", "/api/v1/assets/{id}/transition", &app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "retired", "reason": "contract"})).await);
        c.check("POST", "/api/v1/assets/{id}/transition", &app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "deployed"})).await);
        c.check("POST", "/api/v1/assets/{id}/transition", &app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "sanitized", "payload": [1]})).await);
        c.check("POST", "/api/v1/assets/{id}/transition", &auditor.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "sanitized"})).await);
        c.check("GET", "/api/v1/assets/{id}/events", &app.get(&format!("/api/v1/assets/{id}/events?limit=2")).await);
        c.check("GET", "/api/v1/assets/{id}/events", &app.get(&format!("/api/v1/assets/{id}/events?limit=0")).await);
        c.check("GET", "/api/v1/assets/{id}/history", &app.get(&format!("/api/v1/assets/{id}/history?limit=2")).await);
        c.check("GET", "/api/v1/assets/{id}/history", &app.get(&format!("/api/v1/assets/{id}/history?limit=0")).await);
        c.check("GET", "/api/v1/assets/{id}/label.svg", &app.get(&format!("/api/v1/assets/{id}/label.svg?layout=roll-62")).await);
        c.check("GET", "/api/v1/assets/{id}/label.svg", &app.get(&format!("/api/v1/assets/{nobody}/label.svg")).await);
        c.check("GET", "/api/v1/assets/{id}/label.svg", &app.get(&format!("/api/v1/assets/{id}/label.svg?layout=letter")).await);
        c.check("GET", "/api/v1/assets/{id}/label.svg", &anon.get(&format!("/api/v1/assets/{id}/label.svg")).await);

        // The bench: a repair, a dismantle job, the pools and the figures.
        let bsrv = c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-B", "kind": "server", "state": "deployed"})).await);
        let bid = s(&bsrv, "id");
        let bd = s(&c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-BD", "kind": "dimm", "parent_id": bid})).await), "id");
        let rep = c.check("POST", "/api/v1/repairs", &app.post_json("/api/v1/repairs", &json!({"asset_id": bid, "fault_category": "memory_errors"})).await);
        let rid = s(&rep, "id");
        c.check("POST", "/api/v1/repairs", &app.post_json("/api/v1/repairs", &json!({"asset_id": bid, "fault_category": "memory_errors"})).await);
        c.check("POST", "/api/v1/repairs", &app.post_json("/api/v1/repairs", &json!({"asset_id": bid})).await);
        c.check("POST", "/api/v1/repairs", &auditor.post_json("/api/v1/repairs", &json!({"asset_id": bid, "fault_category": "other"})).await);
        c.check("GET", "/api/v1/repairs", &app.get("/api/v1/repairs?status=open").await);
        c.check("GET", "/api/v1/repairs", &app.get("/api/v1/repairs?limit=0").await);
        c.check("GET", "/api/v1/repairs/{id}", &app.get(&format!("/api/v1/repairs/{rid}")).await);
        c.check("GET", "/api/v1/repairs/{id}", &app.get(&format!("/api/v1/repairs/{nobody}")).await);
        c.check("PATCH", "/api/v1/repairs/{id}", &app.patch_json(&format!("/api/v1/repairs/{rid}"), &json!({"version": 1, "labour_minutes": 30, "note": "reseated"})).await);
        c.check("PATCH", "/api/v1/repairs/{id}", &app.patch_json(&format!("/api/v1/repairs/{rid}"), &json!({"version": 1, "labour_minutes": 40})).await);
        c.check("POST", "/api/v1/repairs/{id}/remove-part", &app.post_json(&format!("/api/v1/repairs/{rid}/remove-part"), &json!({"version": 2, "part_id": bd, "destination": "spare_pool"})).await);
        c.check("POST", "/api/v1/repairs/{id}/remove-part", &app.post_json(&format!("/api/v1/repairs/{rid}/remove-part"), &json!({"version": 3, "part_id": bd, "destination": "resale"})).await);
        c.check("GET", "/api/v1/repairs/{id}/candidates", &app.get(&format!("/api/v1/repairs/{rid}/candidates")).await);
        c.check("GET", "/api/v1/repairs/{id}/candidates", &app.get(&format!("/api/v1/repairs/{rid}/candidates?limit=0")).await);
        c.check("POST", "/api/v1/repairs/{id}/reserve", &app.post_json(&format!("/api/v1/repairs/{rid}/reserve"), &json!({"version": 3, "part_id": bd})).await);
        c.check("POST", "/api/v1/repairs/{id}/reserve", &app.post_json(&format!("/api/v1/repairs/{rid}/reserve"), &json!({"version": 4, "part_id": bid})).await);
        c.check("POST", "/api/v1/repairs/{id}/install-part", &app.post_json(&format!("/api/v1/repairs/{rid}/install-part"), &json!({"version": 4, "part_id": bd})).await);
        c.check("POST", "/api/v1/repairs/{id}/install-part", &app.post_json(&format!("/api/v1/repairs/{rid}/install-part"), &json!({"version": 5, "part_id": bd})).await);
        c.check("POST", "/api/v1/repairs/{id}/close", &app.post_json(&format!("/api/v1/repairs/{rid}/close"), &json!({"version": 5, "outcome": "not_repairable"})).await);
        c.check("POST", "/api/v1/repairs/{id}/close", &app.post_json(&format!("/api/v1/repairs/{rid}/close"), &json!({"version": 6, "outcome": "repaired"})).await);
        c.check("GET", "/api/v1/repairs/stats", &app.get("/api/v1/repairs/stats").await);
        let job = c.check("POST", "/api/v1/dismantle-jobs", &app.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": bid, "repair_id": rid})).await);
        let jid = s(&job, "id");
        c.check("POST", "/api/v1/dismantle-jobs", &app.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": bid})).await);
        c.check("GET", "/api/v1/dismantle-jobs", &app.get("/api/v1/dismantle-jobs").await);
        c.check("GET", "/api/v1/dismantle-jobs", &app.get("/api/v1/dismantle-jobs?limit=0").await);
        c.check("GET", "/api/v1/dismantle-jobs/{id}", &app.get(&format!("/api/v1/dismantle-jobs/{jid}")).await);
        c.check("GET", "/api/v1/dismantle-jobs/{id}", &app.get(&format!("/api/v1/dismantle-jobs/{nobody}")).await);
        c.check("POST", "/api/v1/dismantle-jobs/{id}/parts", &app.post_json(&format!("/api/v1/dismantle-jobs/{jid}/parts"), &json!({"code": "CT-BD", "grade": {"retail": "B"}})).await);
        c.check("POST", "/api/v1/dismantle-jobs/{id}/parts", &app.post_json(&format!("/api/v1/dismantle-jobs/{jid}/parts"), &json!({"code": "CT-BD"})).await);
        c.check("POST", "/api/v1/dismantle-jobs/{id}/parts", &app.post_json(&format!("/api/v1/dismantle-jobs/{jid}/parts"), &json!({"code": "NOPE-1"})).await);
        c.check("POST", "/api/v1/dismantle-jobs/{id}/close", &app.post_json(&format!("/api/v1/dismantle-jobs/{jid}/close"), &json!({"version": 0})).await);
        c.check("POST", "/api/v1/dismantle-jobs/{id}/close", &app.post_json(&format!("/api/v1/dismantle-jobs/{jid}/close"), &json!({"version": 1})).await);
        c.check("GET", "/api/v1/pool", &app.get("/api/v1/pool").await);
        c.check("GET", "/api/v1/pool", &app.get("/api/v1/pool?pool=compost").await);
        c.check("GET", "/api/v1/reuse", &app.get("/api/v1/reuse").await);
        c.check("GET", "/api/v1/reuse", &app.get("/api/v1/reuse?from=2026-12-31&to=2026-01-01").await);

        // Sanitization.
        let drive = s(&c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-HDD", "kind": "hdd", "state": "retired", "manufacturer": "WD", "serial": "CT1"})).await), "id");
        let rec = c.check("POST", "/api/v1/sanitization/records", &app.post_json("/api/v1/sanitization/records", &json!({"asset_id": drive, "method_class": "purge", "technique": "overwrite", "tool": "nwipe", "verification": "full"})).await);
        c.check("POST", "/api/v1/sanitization/records", &app.post_json("/api/v1/sanitization/records", &json!({"asset_id": drive, "method_class": "clear", "technique": "shred", "tool": "x", "verification": "full"})).await);
        c.check("POST", "/api/v1/sanitization/records", &app.post_json("/api/v1/sanitization/records", &json!({"asset_id": drive, "method_class": "purge", "technique": "overwrite", "tool": "x", "verification": "full", "certificate_id": rec["certificate_id"]})).await);
        c.check("GET", "/api/v1/sanitization/records", &app.get(&format!("/api/v1/sanitization/records?asset_id={drive}")).await);
        c.check("GET", "/api/v1/sanitization/records", &app.get("/api/v1/sanitization/records?limit=0").await);
        c.check("GET", "/api/v1/sanitization/records/{id}", &app.get(&format!("/api/v1/sanitization/records/{}", s(&rec, "id"))).await);
        c.check("GET", "/api/v1/sanitization/records/{id}", &app.get(&format!("/api/v1/sanitization/records/{nobody}")).await);
        let batch = c.check("POST", "/api/v1/sanitization/batches", &app.post_json("/api/v1/sanitization/batches", &json!({"method_class": "purge", "technique": "crypto_erase", "tool": "nvme-cli", "verification": "full"})).await);
        let bid = s(&batch, "id");
        c.check("POST", "/api/v1/sanitization/batches", &app.post_json("/api/v1/sanitization/batches", &json!({"method_class": "purge", "technique": "crypto_erase", "verification": "full"})).await);
        c.check("GET", "/api/v1/sanitization/batches", &app.get("/api/v1/sanitization/batches?status=open").await);
        c.check("GET", "/api/v1/sanitization/batches", &app.get("/api/v1/sanitization/batches?limit=0").await);
        c.check("POST", "/api/v1/sanitization/batches/{id}/scan", &app.post_json(&format!("/api/v1/sanitization/batches/{bid}/scan"), &json!({"code": "CT1"})).await);
        c.check("POST", "/api/v1/sanitization/batches/{id}/scan", &app.post_json(&format!("/api/v1/sanitization/batches/{bid}/scan"), &json!({"code": "CT1"})).await);
        c.check("POST", "/api/v1/sanitization/batches/{id}/scan", &app.post_json(&format!("/api/v1/sanitization/batches/{bid}/scan"), &json!({"code": "nothing"})).await);
        c.check("GET", "/api/v1/sanitization/batches/{id}", &app.get(&format!("/api/v1/sanitization/batches/{bid}")).await);
        c.check("GET", "/api/v1/sanitization/batches/{id}", &app.get(&format!("/api/v1/sanitization/batches/{nobody}")).await);
        c.check("POST", "/api/v1/sanitization/batches/{id}/close", &app.post_json(&format!("/api/v1/sanitization/batches/{bid}/close"), &json!({"version": 0})).await);
        c.check("POST", "/api/v1/sanitization/batches/{id}/close", &app.post_json(&format!("/api/v1/sanitization/batches/{bid}/close"), &json!({"version": 2})).await);
        let dimm = s(&c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-SRV2", "kind": "server", "state": "retired"})).await), "id");
        c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-SRV2-D", "kind": "ssd", "parent_id": dimm})).await);
        c.check("POST", "/api/v1/assets/{id}/transition", &app.post_json(&format!("/api/v1/assets/{dimm}/transition"), &json!({"to": "transferred_out"})).await);
        // End of life: a vendor, a lot filled, shipped, handed on and reported; the factors.
        let ven = c.check("POST", "/api/v1/vendors", &app.post_json("/api/v1/vendors", &json!({"name": "Contract Recycling", "country": "DE", "role": "recycler", "certifications": [{"scheme": "r2v3", "number": "R2-1", "expires_on": "2099-01-01"}]})).await);
        let vid = s(&ven, "id");
        c.check("POST", "/api/v1/vendors", &app.post_json("/api/v1/vendors", &json!({"name": "Contract Recycling", "country": "DE", "role": "recycler"})).await);
        c.check("POST", "/api/v1/vendors", &app.post_json("/api/v1/vendors", &json!({"name": "Elsewhere", "country": "Germany", "role": "recycler"})).await);
        c.check("GET", "/api/v1/vendors", &app.get("/api/v1/vendors").await);
        c.check("GET", "/api/v1/vendors/{id}", &app.get(&format!("/api/v1/vendors/{vid}")).await);
        c.check("GET", "/api/v1/vendors/{id}", &app.get(&format!("/api/v1/vendors/{nobody}")).await);
        c.check("PATCH", "/api/v1/vendors/{id}", &app.patch_json(&format!("/api/v1/vendors/{vid}"), &json!({"version": 1, "notes": "audited 2026"})).await);
        c.check("PATCH", "/api/v1/vendors/{id}", &app.patch_json(&format!("/api/v1/vendors/{vid}"), &json!({"version": 1, "notes": "stale"})).await);
        let lot = c.check("POST", "/api/v1/recycling-lots", &app.post_json("/api/v1/recycling-lots", &json!({"vendor_id": vid, "route": "shredding_first"})).await);
        let lid = s(&lot, "id");
        c.check("POST", "/api/v1/recycling-lots", &app.post_json("/api/v1/recycling-lots", &json!({"vendor_id": nobody})).await);
        c.check("GET", "/api/v1/recycling-lots", &app.get("/api/v1/recycling-lots?status=open").await);
        c.check("GET", "/api/v1/recycling-lots", &app.get("/api/v1/recycling-lots?limit=0").await);
        c.check("PATCH", "/api/v1/recycling-lots/{id}", &app.patch_json(&format!("/api/v1/recycling-lots/{lid}"), &json!({"version": 1, "reference": "LOT-CT"})).await);
        c.check("PATCH", "/api/v1/recycling-lots/{id}", &app.patch_json(&format!("/api/v1/recycling-lots/{lid}"), &json!({"version": 1, "reference": "stale"})).await);
        let scrap = s(&c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-R1", "kind": "chassis", "state": "retired", "mass_override_kg": 12.0})).await), "id");
        c.check("POST", "/api/v1/recycling-lots/{id}/items", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/items"), &json!({"version": 2, "asset_ids": [scrap]})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/items", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/items"), &json!({"version": 3, "asset_ids": [scrap]})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/remove-items", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/remove-items"), &json!({"version": 3, "asset_ids": [scrap]})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/remove-items", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/remove-items"), &json!({"version": 4, "asset_ids": [scrap]})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/items", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/items"), &json!({"version": 4, "codes": ["CT-R1"]})).await);
        c.check("GET", "/api/v1/recycling-lots/{id}", &app.get(&format!("/api/v1/recycling-lots/{lid}")).await);
        c.check("GET", "/api/v1/recycling-lots/{id}", &app.get(&format!("/api/v1/recycling-lots/{nobody}")).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/ship", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/ship"), &json!({"version": 5})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/ship", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/ship"), &json!({"version": 5, "gross_kg": 14.0, "tare_kg": 1.5, "transport_doc": "CMR-CT"})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/ship", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/ship"), &json!({"version": 6})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/custody", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/custody"), &json!({"handed_over_by": "dock", "received_by": "driver", "organisation": "Carrier", "place": "Dock 1", "occurred_at": chrono::Utc::now()})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/custody", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/custody"), &json!({"handed_over_by": "", "received_by": "driver", "organisation": "Carrier", "place": "Dock 1", "occurred_at": chrono::Utc::now()})).await);
        c.check("GET", "/api/v1/recycling-lots/{id}/custody", &app.get(&format!("/api/v1/recycling-lots/{lid}/custody")).await);
        c.check("GET", "/api/v1/recycling-lots/{id}/custody", &app.get(&format!("/api/v1/recycling-lots/{nobody}/custody")).await);
        let report = json!({"version": 6, "certificate_id": "COR-CT", "certificate_date": chrono::Utc::now().date_naive(), "materials": [{"material": "steel", "kg": 11.0}], "energy_recovery_kg": 0.5, "disposal_kg": 0.5});
        c.check("POST", "/api/v1/recycling-lots/{id}/recovery", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/recovery"), &json!({"version": 6, "certificate_id": "COR-CT", "certificate_date": chrono::Utc::now().date_naive(), "materials": [{"material": "steel", "kg": 13.0}]})).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/recovery", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/recovery"), &report).await);
        c.check("POST", "/api/v1/recycling-lots/{id}/recovery", &app.post_json(&format!("/api/v1/recycling-lots/{lid}/recovery"), &report).await);
        c.check("GET", "/api/v1/recycling-lots/{id}", &app.get(&format!("/api/v1/recycling-lots/{lid}")).await);
        c.check("GET", "/api/v1/recycling-factors", &app.get("/api/v1/recycling-factors").await);
        let factor = json!({"kind": "yield", "subject": "shredding_first", "material": "steel", "value": 0.9, "source": "contract test", "version": 0});
        c.check("POST", "/api/v1/recycling-factors", &app.post_json("/api/v1/recycling-factors", &factor).await);
        c.check("POST", "/api/v1/recycling-factors", &app.post_json("/api/v1/recycling-factors", &factor).await);
        c.check("POST", "/api/v1/recycling-factors", &auditor.post_json("/api/v1/recycling-factors", &factor).await);

        // The policy engine.
        c.check("GET", "/api/v1/policy", &app.get("/api/v1/policy").await);
        c.check("GET", "/api/v1/policy/versions", &app.get("/api/v1/policy/versions").await);
        c.check("GET", "/api/v1/policy/versions/{number}", &app.get("/api/v1/policy/versions/1").await);
        c.check("GET", "/api/v1/policy/versions/{number}", &app.get("/api/v1/policy/versions/9").await);
        let pack = s(&app.get("/api/v1/policy").await.json(), "source");
        // The shipped pack names replacement models this catalog does not have yet.
        c.check("POST", "/api/v1/policy/check", &app.post_json("/api/v1/policy/check", &json!({"source": pack})).await);
        for (mfr, number) in [("Dell", "PowerEdge R7625"), ("NVIDIA", "DGX H100")] {
            let made = app.post_json("/api/v1/models", &json!({"manufacturer": mfr, "model_number": number, "kind": "server"})).await;
            assert_eq!(made.status, 201, "{}", made.text);
        }
        c.check("POST", "/api/v1/policy/check", &app.post_json("/api/v1/policy/check", &json!({"source": pack})).await);
        c.check("POST", "/api/v1/policy/check", &auditor.post_json("/api/v1/policy/check", &json!({"source": pack})).await);
        c.check("POST", "/api/v1/policy/dry-run", &app.post_json("/api/v1/policy/dry-run", &json!({"source": pack})).await);
        c.check("POST", "/api/v1/policy/dry-run", &app.post_json("/api/v1/policy/dry-run", &json!({"source": "name = "})).await);
        c.check("PUT", "/api/v1/policy", &app.put_json("/api/v1/policy", &json!({"source": pack, "based_on": 1, "note": "contract"})).await);
        c.check("PUT", "/api/v1/policy", &app.put_json("/api/v1/policy", &json!({"source": pack, "based_on": 1})).await);
        c.check("PUT", "/api/v1/policy", &app.put_json("/api/v1/policy", &json!({"source": "[assumptions]\nutilisation = 2"})).await);
        c.check("PUT", "/api/v1/policy", &auditor.put_json("/api/v1/policy", &json!({"source": pack})).await);
        let spare = c.check("POST", "/api/v1/assets", &app.post_json("/api/v1/assets", &json!({"asset_tag": "CT-P1", "kind": "server", "site_id": sid, "state": "deployed"})).await);
        let pid = s(&spare, "id");
        let sug = c.check("GET", "/api/v1/assets/{id}/suggestions", &app.get(&format!("/api/v1/assets/{pid}/suggestions")).await);
        c.check("GET", "/api/v1/assets/{id}/suggestions", &app.get(&format!("/api/v1/assets/{nobody}/suggestions")).await);
        let top = &sug["options"][0];
        let accept = |version: i64| json!({"disposition": top["disposition"], "tier": top["tier"], "site_id": top["site"]["id"], "policy_version": sug["policy_version"], "asset_version": version});
        c.check("POST", "/api/v1/assets/{id}/suggestions/accept", &app.post_json(&format!("/api/v1/assets/{pid}/suggestions/accept"), &accept(7)).await);
        c.check("POST", "/api/v1/assets/{id}/suggestions/accept", &app.post_json(&format!("/api/v1/assets/{pid}/suggestions/accept"), &json!({"disposition": "keep_in_place", "policy_version": 2, "asset_version": 1})).await);
        c.check("POST", "/api/v1/assets/{id}/suggestions/accept", &auditor.post_json(&format!("/api/v1/assets/{pid}/suggestions/accept"), &accept(1)).await);
        c.check("POST", "/api/v1/assets/{id}/suggestions/accept", &app.post_json(&format!("/api/v1/assets/{pid}/suggestions/accept"), &accept(1)).await);
        c.check("POST", "/api/v1/assets/{id}/suggestions/accept", &app.post_json(&format!("/api/v1/assets/{nobody}/suggestions/accept"), &accept(1)).await);
        c.check("POST", "/api/v1/policy/refresh", &app.post_json("/api/v1/policy/refresh", &json!({})).await);
        c.check("POST", "/api/v1/policy/refresh", &auditor.post_json("/api/v1/policy/refresh", &json!({})).await);
        c.check("GET", "/api/v1/fleet/due", &app.get("/api/v1/fleet/due?kind=server").await);
        c.check("GET", "/api/v1/fleet/due", &app.get("/api/v1/fleet/due?kind=toaster").await);
        c.check("GET", "/api/v1/fleet/due.csv", &app.get("/api/v1/fleet/due.csv").await);

        // Forecasts.
        c.check("GET", "/api/v1/forecast/fleet", &app.get("/api/v1/forecast/fleet?horizon=3&extend_years=1").await);
        c.check("GET", "/api/v1/forecast/fleet", &app.get("/api/v1/forecast/fleet?horizon=0").await);
        c.check("GET", "/api/v1/forecast/fleet", &app.get(&format!("/api/v1/forecast/fleet?site={nobody}")).await);
        c.check("GET", "/api/v1/forecast/fleet.csv", &app.get("/api/v1/forecast/fleet.csv").await);
        c.check("POST", "/api/v1/forecast/procurement", &app.post_json("/api/v1/forecast/procurement", &json!({"csv": "year,mass_t\n2020,10\n", "levers": {"redeployment": {"years": 2, "share": 0.3}}})).await);
        c.check("POST", "/api/v1/forecast/procurement", &app.post_json("/api/v1/forecast/procurement", &json!({"csv": "year\n2020\n"})).await);
        c.check("POST", "/api/v1/forecast/procurement.csv", &app.post_json("/api/v1/forecast/procurement.csv", &json!({"placed": [{"year": 2020, "value": 3}]})).await);
        c.check("POST", "/api/v1/forecast/demand", &app.post_json("/api/v1/forecast/demand", &json!({"scenario": "moderate", "levers": {"extension": {"years": 1, "share": 0.5}}})).await);
        c.check("POST", "/api/v1/forecast/demand", &app.post_json("/api/v1/forecast/demand", &json!({"server_mass_kg": -1})).await);
        c.check("POST", "/api/v1/forecast/demand.csv", &app.post_json("/api/v1/forecast/demand.csv", &json!({})).await);
        c.check("GET", "/api/v1/forecast/lifespans", &app.get("/api/v1/forecast/lifespans").await);

        // Users and the trail.
        c.check("GET", "/api/v1/users", &app.get("/api/v1/users").await);
        c.check("GET", "/api/v1/users", &auditor.get("/api/v1/users").await);
        let user = c.check("POST", "/api/v1/users", &app.post_json("/api/v1/users", &json!({"username": "contract-user", "role": "refurbisher", "password": "violet tractor sings at noon"})).await);
        c.check("POST", "/api/v1/users", &app.post_json("/api/v1/users", &json!({"username": "contract-weak", "role": "refurbisher", "password": "password"})).await);
        c.check("PATCH", "/api/v1/users/{id}", &app.patch_json(&format!("/api/v1/users/{}", s(&user, "id")), &json!({"version": 1, "role": "sustainability"})).await);
        c.check("PATCH", "/api/v1/users/{id}", &app.patch_json(&format!("/api/v1/users/{nobody}"), &json!({"version": 1})).await);
        c.check("GET", "/api/v1/audit", &app.get("/api/v1/audit?limit=3").await);
        c.check("GET", "/api/v1/audit", &app.get("/api/v1/audit?limit=9999").await);
        c.check("GET", "/api/v1/audit", &app.get("/api/v1/audit?cursor=abc").await);
        c.check("GET", "/api/v1/audit/verify", &app.get("/api/v1/audit/verify").await);
        c.check("GET", "/api/v1/audit/verify", &anon.get("/api/v1/audit/verify").await);

        // The overview and bulk actions.
        c.check("GET", "/api/v1/overview", &app.get("/api/v1/overview").await);
        let bulk_item = app.asset("CT-BULK", "server", json!({"state": "deployed"})).await;
        c.check("POST", "/api/v1/bulk/transition", &app.post_json("/api/v1/bulk/transition", &json!({"ids": [s(&bulk_item, "id")], "to": "in_stock", "reason": "contract"})).await);
        c.check("POST", "/api/v1/bulk/transition", &app.post_json("/api/v1/bulk/transition", &json!({"ids": []})).await);
        c.check("POST", "/api/v1/bulk/transition", &auditor.post_json("/api/v1/bulk/transition", &json!({"ids": [s(&bulk_item, "id")], "to": "deployed", "reason": "x"})).await);
        let bulk_site = app.site("Contract site").await;
        c.check("POST", "/api/v1/bulk/move", &app.post_json("/api/v1/bulk/move", &json!({"ids": [s(&bulk_item, "id")], "site_id": s(&bulk_site, "id"), "reason": "contract"})).await);
        c.check("POST", "/api/v1/bulk/move", &app.post_json("/api/v1/bulk/move", &json!({"ids": [s(&bulk_item, "id")]})).await);

        c.all_seen();
        // Each operation was seen succeeding and failing in the ways its callers meet most.
        for (m, p, st) in [("post", "/api/v1/assets", 201u16), ("post", "/api/v1/assets", 409), ("post", "/api/v1/assets", 413), ("post", "/api/v1/assets", 415), ("post", "/api/v1/assets", 401), ("patch", "/api/v1/assets/{id}", 409), ("get", "/api/v1/assets/{id}/label.svg", 200), ("post", "/api/v1/assets/{id}/transition", 403), ("post", "/api/v1/repairs", 201), ("post", "/api/v1/repairs", 409), ("post", "/api/v1/repairs/{id}/close", 200), ("post", "/api/v1/dismantle-jobs/{id}/parts", 200), ("post", "/api/v1/dismantle-jobs/{id}/parts", 422), ("post", "/api/v1/dismantle-jobs/{id}/close", 200), ("post", "/api/v1/sanitization/records", 201), ("post", "/api/v1/sanitization/records", 422), ("post", "/api/v1/sanitization/records", 409), ("post", "/api/v1/sanitization/batches/{id}/scan", 200), ("post", "/api/v1/assets/{id}/transition", 409), ("post", "/api/v1/recycling-lots/{id}/ship", 200), ("post", "/api/v1/recycling-lots/{id}/ship", 422), ("post", "/api/v1/recycling-lots/{id}/ship", 409), ("post", "/api/v1/recycling-lots/{id}/recovery", 200), ("post", "/api/v1/recycling-lots/{id}/recovery", 422), ("post", "/api/v1/recycling-lots/{id}/custody", 201), ("post", "/api/v1/recycling-lots/{id}/items", 409)] {
            assert!(c.statuses.contains(&(m.to_owned(), p.to_owned(), st)), "{m} {p} never answered {st}");
        }
    }
}

db_test! {
    async fn every_documented_vocabulary_value_round_trips(app: TestApp) {
        let doc = app.get("/api/v1/openapi.json").await.json();
        let values = |name: &str| -> Vec<String> {
            doc["components"]["schemas"][name]["enum"].as_array().unwrap_or_else(|| panic!("{name} has no enum")).iter().map(|v| v.as_str().expect("string").to_owned()).collect()
        };
        // Kinds: register one item of each, and read the kind back.
        for (i, kind) in values("AssetKind").iter().enumerate() {
            let a = app.post_json("/api/v1/assets", &json!({"asset_tag": format!("RT-{i}"), "kind": kind})).await;
            assert_eq!(a.status, 201, "{kind}: {}", a.text);
            assert_eq!(a.json()["kind"].as_str(), Some(kind.as_str()));
            let listed = app.get(&format!("/api/v1/assets?kind={kind}")).await;
            assert_eq!(listed.status, 200);
            assert_eq!(listed.json()["items"][0]["asset_tag"].as_str(), Some(format!("RT-{i}").as_str()));
        }
        // States: each is a filter the list accepts; registrable ones come back as sent.
        for state in values("State") {
            assert_eq!(app.get(&format!("/api/v1/assets?state={state}")).await.status, 200, "{state}");
        }
        for (i, state) in ["in_stock", "deployed", "in_repair", "redeployed", "retired"].iter().enumerate() {
            assert!(values("State").contains(&state.to_string()));
            let a = app.post_json("/api/v1/assets", &json!({"asset_tag": format!("ST-{i}"), "kind": "server", "state": state, "workload_tier": "ci_build"})).await;
            assert_eq!(a.json()["state"].as_str(), Some(*state), "{}", a.text);
        }
        // Workload tiers on an item, roles on an account, event kinds in a ledger.
        let a = app.post_json("/api/v1/assets", &json!({"asset_tag": "WL-1", "kind": "server"})).await.json();
        let first = a["version"].as_i64().expect("version");
        for (version, tier) in (first..).zip(values("WorkloadTier")) {
            let r = app.patch_json(&format!("/api/v1/assets/{}", s(&a, "id")), &json!({"version": version, "workload_tier": tier})).await;
            assert_eq!(r.json()["workload_tier"].as_str(), Some(tier.as_str()), "{}", r.text);
        }
        for (i, role) in values("Role").iter().enumerate() {
            let r = app.post_json("/api/v1/users", &json!({"username": format!("rt-user-{i}"), "role": role, "password": "violet tractor sings at noon"})).await;
            assert_eq!(r.json()["role"].as_str(), Some(role.as_str()), "{}", r.text);
        }
        let kinds = values("EventKind");
        for e in app.events(&s(&a, "id")).await {
            assert!(kinds.contains(&s(&e, "kind")), "{e}");
        }
        // The Rust variant spellings are nowhere in the document.
        let text = doc.to_string();
        for rust in ["\"InStock\"", "\"AssetManager\"", "\"AiTraining\"", "\"ChildAdded\""] {
            assert!(!text.contains(rust), "{rust} leaked into the document");
        }
    }
}
