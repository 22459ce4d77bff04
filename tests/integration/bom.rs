//! A catalog model's bill of materials: through the API (create, read, patch, the rules
//! by line, nothing written on a refusal, audited), and through the model form's text
//! area (errors against their lines, the text kept; saved and shown on the model page).

use reloop_tests::html_unescape;

use super::*;

/// The parts a server bill names: (board, cpu, dimm, psu) models.
async fn parts(app: &TestApp) -> (Value, Value, Value, Value) {
    (
        app.model("Dell", "PowerEdge R740 system board", "board", Some(1.7)).await,
        app.model("Intel", "Xeon Gold 6248", "cpu", Some(0.05)).await,
        app.model("Samsung", "M393A4K40DB3-CWE", "dimm", Some(0.03)).await,
        app.model("Dell", "1100W PSU", "psu", Some(1.1)).await,
    )
}

/// A JSON bill line.
fn line(kind: &str, model: Option<&Value>, count: i64) -> Value {
    match model {
        Some(m) => json!({"kind": kind, "model_id": m["id"], "count": count}),
        None => json!({"kind": kind, "count": count}),
    }
}

db_test! {
    async fn a_model_carries_its_bill_of_materials(app: TestApp) {
        let (board, cpu, dimm, psu) = parts(app).await;
        assert_eq!(dimm["bom"], json!([]), "a model without a bill has an empty one");
        let bom = json!([line("board", Some(&board), 1), line("cpu", Some(&cpu), 2), line("dimm", Some(&dimm), 16), line("psu", None, 2)]);
        let r = app.post_json("/api/v1/models", &json!({"manufacturer": "Dell", "model_number": "PowerEdge R740", "kind": "server", "bom": bom})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let server = r.json();
        let id = s(&server, "id");
        let expected = json!([
            {"kind": "board", "model_id": board["id"], "count": 1},
            {"kind": "cpu", "model_id": cpu["id"], "count": 2},
            {"kind": "dimm", "model_id": dimm["id"], "count": 16},
            {"kind": "psu", "model_id": null, "count": 2},
        ]);
        assert_eq!(server["bom"], expected);
        assert_eq!(app.get(&format!("/api/v1/models/{id}")).await.json()["bom"], expected, "read back");
        let listed = app.get("/api/v1/models?kind=server").await.json();
        assert_eq!(listed["items"][0]["bom"], expected, "the list carries it too");

        // A board's bill lists what sits on it; a patch without `bom` keeps the bill.
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&board, "id")), &json!({"version": 1, "bom": [line("cpu", Some(&cpu), 2), line("dimm", None, 16)]})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["bom"][1], json!({"kind": "dimm", "model_id": null, "count": 16}));
        let r = app.patch_json(&format!("/api/v1/models/{id}"), &json!({"version": 1, "notes": "2U, 16 DIMM slots used"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["bom"].clone(), r.json()["version"].as_i64()), (expected.clone(), Some(2)));
        // `bom` replaces the whole bill.
        let r = app.patch_json(&format!("/api/v1/models/{id}"), &json!({"version": 2, "bom": [line("dimm", Some(&dimm), 24), line("psu", Some(&psu), 2)]})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let after = r.json();
        assert_eq!(after["bom"], json!([{"kind": "dimm", "model_id": dimm["id"], "count": 24}, {"kind": "psu", "model_id": psu["id"], "count": 2}]));

        // The audit trail's snapshots carry the bill before and after.
        let trail = app.get(&format!("/api/v1/audit?target_type=model&target_id={id}")).await.json();
        let entries = trail["items"].as_array().expect("entries");
        assert_eq!(entries.iter().map(|e| e["action"].as_str().unwrap_or_default()).collect::<Vec<_>>(), ["model.update", "model.update", "model.create"]);
        assert_eq!(entries[2]["after"]["bom"], expected);
        assert_eq!(entries[0]["before"]["bom"], expected);
        assert_eq!(entries[0]["after"]["bom"], after["bom"]);

        // A model a bill lists keeps its kind, like a model in use.
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&psu, "id")), &json!({"version": 1, "kind": "fan"})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.error().1.as_deref(), Some("kind"));
        assert!(r.error().2.contains("bills of materials list this model"), "{}", r.text);
        assert_eq!(app.get(&format!("/api/v1/models/{}", s(&psu, "id"))).await.json()["kind"], "psu");
        // An unlisted one may change kind; a model whose kind changes keeps a bill that fits.
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&cpu, "id")), &json!({"version": 1, "kind": "gpu"})).await;
        assert_eq!(r.status, 422, "the board's bill lists the CPU: {}", r.text);
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&board, "id")), &json!({"version": 2, "kind": "chassis"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&board, "id")), &json!({"version": 3, "kind": "psu"})).await;
        assert_eq!(r.status, 422, "a PSU holds no CPUs: {}", r.text);
        assert_eq!(r.error().1.as_deref(), Some("bom[0].kind"));
        assert!(r.error().2.contains("a psu holds no parts"), "{}", r.text);
    }
}

db_test! {
    async fn bad_bills_are_refused_by_line_and_nothing_is_written(app: TestApp) {
        let (board, cpu, dimm, psu) = parts(app).await;
        let server = app.post_json("/api/v1/models", &json!({"manufacturer": "Dell", "model_number": "PowerEdge R640", "kind": "server", "bom": [line("board", Some(&board), 1), line("psu", Some(&psu), 2)]})).await.json();
        let id = s(&server, "id");
        let too_many: Vec<Value> = (0..65).map(|_| line("dimm", None, 1)).collect();
        let cases: Vec<(Value, &str, &str)> = vec![
            (json!([line("psu", None, 2), line("dimm", Some(&dimm), 0)]), "bom[1].count", "must be between 1 and 1024"),
            (json!([line("dimm", Some(&dimm), 1025)]), "bom[0].count", "must be between 1 and 1024"),
            (json!([{"kind": "dimm", "model_id": uuid::Uuid::now_v7(), "count": 16}]), "bom[0].model_id", "is not a model in the catalog"),
            (json!([line("board", Some(&board), 1), line("dimm", Some(&cpu), 16)]), "bom[1].model_id", "is a cpu model, not a dimm"),
            (json!([line("chassis", None, 1)]), "bom[0].kind", "chassis cannot be part of a server"),
            (json!([line("server", Some(&server), 1)]), "bom[0].model_id", "a model cannot list itself"),
            (json!([line("dimm", Some(&dimm), 8), line("psu", None, 2), line("dimm", Some(&dimm), 8)]), "bom[2]", "repeats the kind and model of an earlier line"),
            (json!(too_many), "bom", "at most 64 lines, not 65"),
        ];
        for (bom, field, says) in &cases {
            let r = app.patch_json(&format!("/api/v1/models/{id}"), &json!({"version": 1, "bom": bom})).await;
            assert_eq!(r.status, 422, "{field}: {}", r.text);
            let (code, f, message) = r.error();
            assert_eq!((code.as_str(), f.as_deref()), ("invalid", Some(*field)), "{}", r.text);
            assert!(message.starts_with(&format!("{field}: ")) && message.contains(says), "{field}: {message}");
        }
        let now = app.get(&format!("/api/v1/models/{id}")).await.json();
        assert_eq!((now["version"].as_i64(), now["bom"].clone()), (Some(1), server["bom"].clone()), "no refused patch changed the model");

        // A board's bill may not list what goes in the server beside it.
        let r = app.patch_json(&format!("/api/v1/models/{}", s(&board, "id")), &json!({"version": 1, "bom": [line("cpu", Some(&cpu), 2), line("psu", Some(&psu), 2)]})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("bom[1].kind"));
        assert!(r.error().2.contains("psu cannot be part of a board: a board's bill of materials may list"), "{}", r.text);
        // Several problems are all named, each by its line.
        let r = app.patch_json(&format!("/api/v1/models/{id}"), &json!({"version": 1, "bom": [line("dimm", Some(&cpu), 0), line("fan", None, 6), line("fan", None, 2)]})).await;
        let named: Vec<String> = r.json()["error"]["fields"].as_array().expect("fields").iter().map(|f| s(f, "field")).collect();
        assert_eq!(named, ["bom[0].model_id", "bom[0].count", "bom[2]"]);
        // Unknown fields on a line are refused before any rule.
        let r = app.patch_json(&format!("/api/v1/models/{id}"), &json!({"version": 1, "bom": [{"kind": "psu", "count": 2, "watts": 1100}]})).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("watts"), "{}", r.text);

        // The same rules on create, and nothing is created. (A new model cannot name
        // itself: naming another server is a misfit.)
        for (bom, field, _) in &cases {
            let field = if field.ends_with("model_id") && bom[0]["kind"] == "server" { "bom[0].kind" } else { field };
            let r = app.post_json("/api/v1/models", &json!({"manufacturer": "Lenovo", "model_number": "SR650", "kind": "server", "bom": bom})).await;
            assert_eq!(r.status, 422, "{field}: {}", r.text);
            assert_eq!(r.error().1.as_deref(), Some(field), "{}", r.text);
        }
        assert_eq!(app.get("/api/v1/models?q=sr650").await.json()["items"], json!([]), "no refused create wrote a model");

        // A stale version is refused before the bill is looked at.
        let r = app.patch_json(&format!("/api/v1/models/{id}"), &json!({"version": 1, "notes": "edited"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.patch_json(&format!("/api/v1/models/{id}"), &json!({"version": 1, "bom": [line("psu", None, 2)]})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(r.error().0, "stale_version");
        assert!(r.error().2.contains("version 1 is stale, the current version is 2"), "{}", r.text);
        let now = app.get(&format!("/api/v1/models/{id}")).await.json();
        assert_eq!((now["version"].as_i64(), now["bom"].clone()), (Some(2), server["bom"].clone()));
        let updates = app.get(&format!("/api/v1/audit?target_type=model&target_id={id}&action=model.update")).await.json();
        assert_eq!(updates["items"].as_array().map(Vec::len), Some(1), "only the accepted patch is audited");
    }
}

/// The line errors shown under the form's bill of materials, in order.
fn bom_errors(html: &str) -> Vec<String> {
    let at = html.find("name=\"bom\"").expect("the bill's text area");
    let block = &html[at..at + html[at..].find("</label>").expect("its label ends")];
    block.split("<span class=\"err\">").skip(1).map(|e| html_unescape(&e[..e.find("</span>").unwrap_or(0)])).collect()
}

/// The text area's content as the page shows it.
fn bom_text(html: &str) -> String {
    let at = html.find("name=\"bom\"").expect("the bill's text area");
    let start = at + html[at..].find('>').expect("tag ends") + 1;
    html_unescape(&html[start..start + html[start..].find("</textarea>").expect("text area ends")])
}

db_test! {
    async fn the_model_form_edits_the_bill_as_text_with_errors_by_line(app: TestApp) {
        let (board, cpu, dimm, _) = parts(app).await;
        let form = |bom: &'static str| vec![("manufacturer", "Dell"), ("model_number", "PowerEdge R740xd"), ("kind", "server"), ("specs", "{}"), ("bom", bom)];

        // A line whose model is not in the catalog: named by its line, the text kept.
        let typed = "1 x board Dell PowerEdge R740 system board\n2 x cpu \"Intel Xeon Gold 6248\"\n\n16 x dimm Samsung M393A4K40DB3-XXX\n2 x psus";
        let r = app.post_form("/models", &form(typed)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(bom_errors(&r.text), ["line 4 “16 x dimm Samsung M393A4K40DB3-XXX”: no catalog model is called “Samsung M393A4K40DB3-XXX”: write its manufacturer and model number"]);
        assert_eq!(bom_text(&r.text), typed);

        // The service's refusals land on the lines they are about (blank lines counted).
        let typed = "1 x board Dell PowerEdge R740 system board\n\n16 x dimm Intel Xeon Gold 6248\n0 x psu\n1 x chassis\n2 cpus\n2 x cpu";
        let r = app.post_form("/models", &form(typed)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(
            bom_errors(&r.text),
            [
                "line 3 “16 x dimm Intel Xeon Gold 6248”: model is a cpu model, not a dimm",
                "line 4 “0 x psu”: count must be between 1 and 1024",
                "line 5 “1 x chassis”: kind chassis cannot be part of a server: a server's bill of materials may list board, cpu, gpu, dimm, hdd, ssd, nvme, psu, nic, fan, battery or other",
                "line 7 “2 x cpu”: repeats the kind and model of an earlier line: give them one line with the total count",
            ]
        );
        assert_eq!(bom_text(&r.text), typed);
        assert_eq!(app.get("/api/v1/models?q=r740xd").await.json()["items"], json!([]), "refused forms wrote nothing");

        // A good bill: every spelling the hint allows; the kind may come from the model.
        let r = app.post_form("/models", &form("1 x board Dell PowerEdge R740 system board\n2 × CPUs intel xeon gold 6248\n16 Samsung M393A4K40DB3-CWE\n2x psu\n")).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let url = r.header("location").expect("location").to_owned();
        let id = url.trim_start_matches("/models/").to_owned();
        let saved = app.get(&format!("/api/v1/models/{id}")).await.json();
        assert_eq!(saved["bom"], json!([
            {"kind": "board", "model_id": board["id"], "count": 1},
            {"kind": "cpu", "model_id": cpu["id"], "count": 2},
            {"kind": "dimm", "model_id": dimm["id"], "count": 16},
            {"kind": "psu", "model_id": null, "count": 2},
        ]));
        let page = html_unescape(&app.get(&url).await.text);
        let table = &page[page.find("Bill of materials").expect("the bill's section")..];
        assert!(table.contains(&format!("<a href=\"/models/{}\">Samsung M393A4K40DB3-CWE</a>", s(&dimm, "id"))), "{table}");
        assert!(table.contains(&format!("<a href=\"/models/{}\">Intel Xeon Gold 6248</a>", s(&cpu, "id"))), "{table}");
        assert!(table.contains("<td class=\"num\">16</td>") && table.contains("any model"), "{table}");

        // The edit form shows the bill in the same notation; saving it as shown keeps it.
        let edit = app.get(&format!("{url}/edit")).await;
        let shown = bom_text(&edit.text);
        assert_eq!(shown, "1 x board Dell PowerEdge R740 system board\n2 x cpu Intel Xeon Gold 6248\n16 x dimm Samsung M393A4K40DB3-CWE\n2 x psu");
        let mut fields = form("");
        fields.retain(|(k, _)| *k != "bom");
        let more = format!("{shown}\n2 x ssd");
        let with = |version: &'static str, bom: &str| {
            let mut f: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            f.push(("version".into(), version.into()));
            f.push(("bom".into(), bom.to_owned()));
            f
        };
        let post = |f: Vec<(String, String)>| {
            let url = url.clone();
            async move {
                let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                app.post_form(&format!("{url}/edit"), &refs).await
            }
        };
        let r = post(with("1", &more)).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let saved = app.get(&format!("/api/v1/models/{id}")).await.json();
        assert_eq!((saved["version"].as_i64(), saved["bom"].as_array().map(Vec::len)), (Some(2), Some(5)));
        assert_eq!(saved["bom"][4], json!({"kind": "ssd", "model_id": null, "count": 2}));
        // A stale form is refused with the text kept.
        let r = post(with("1", &shown)).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(html_unescape(&r.text).contains("changed by someone else"));
        assert_eq!(bom_text(&r.text), shown);
        assert_eq!(app.get(&format!("/api/v1/models/{id}")).await.json()["bom"].as_array().map(Vec::len), Some(5));
    }
}
