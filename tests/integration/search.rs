//! The asset list people work in: word and infix search, the top-level scope, sort orders
//! and pages in both directions (`/api/v1/assets`).

use super::*;

/// The tags of one page and its two cursors.
struct PageOf {
    tags: Vec<String>,
    next: Option<String>,
    prev: Option<String>,
}

async fn page(app: &TestApp, url: &str) -> PageOf {
    let r = app.get(url).await;
    assert_eq!(r.status, 200, "{url}: {}", r.text);
    let v = r.json();
    PageOf {
        tags: v["items"].as_array().expect("items").iter().map(|i| s(i, "asset_tag")).collect(),
        next: v["next_cursor"].as_str().map(str::to_owned),
        prev: v["prev_cursor"].as_str().map(str::to_owned),
    }
}

/// Every tag matching `query` (one big page).
async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let p = page(app, &format!("/api/v1/assets?limit=500&{query}")).await;
    assert_eq!(p.next, None, "{query}");
    p.tags
}

fn enc(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

db_test! {
    async fn every_word_matches_somewhere_and_three_letters_match_anywhere(app: TestApp) {
        let r740 = app.model("Dell", "PowerEdge R740", "server", None).await;
        let r640 = app.model("Dell", "PowerEdge R640", "server", None).await;
        let hpe = app.model("HPE", "Synergy R740-Frame", "server", None).await;
        let dl380 = app.model("HPE", "ProLiant DL380 Gen10", "server", None).await;
        app.asset("SRV-1", "server", json!({"model_id": r740["id"], "serial": "J7X2Q53"})).await;
        app.asset("SRV-2", "server", json!({"model_id": r740["id"], "serial": "8HKL0Q2"})).await;
        app.asset("SRV-3", "server", json!({"model_id": r640["id"], "serial": "4MZP1Q2"})).await;
        app.asset("SRV-4", "server", json!({"model_id": hpe["id"], "serial": "CZ20470ABC"})).await;
        app.asset("R740-LOANER", "server", json!({"model_id": dl380["id"]})).await;
        // No catalog model: "dell" is its manufacturer, "r740" is in its serial.
        app.asset("BRD-9", "board", json!({"manufacturer": "Dell", "serial": "CN0R740BRD"})).await;

        // Every word, in any field, any case, any spacing; newest first.
        assert_eq!(found(app, "q=Dell%20R740").await, ["BRD-9", "SRV-2", "SRV-1"]);
        assert_eq!(found(app, &format!("q={}", enc("  dell   r740 DELL "))).await, ["BRD-9", "SRV-2", "SRV-1"]);
        assert_eq!(found(app, "q=r740%20hpe").await, ["R740-LOANER", "SRV-4"], "the HPE items with R740 in tag or model");
        // Three characters match anywhere: in a model, a tag and a serial.
        assert_eq!(found(app, "q=740").await, ["BRD-9", "R740-LOANER", "SRV-4", "SRV-2", "SRV-1"]);
        assert_eq!(found(app, "q=x2q5").await, ["SRV-1"], "a serial fragment from the middle");
        assert_eq!(found(app, "q=LOANER").await, ["R740-LOANER"], "a tag fragment from the middle");
        assert_eq!(found(app, "q=proliant").await, ["R740-LOANER"]);
        assert!(found(app, "q=dell%20r740%20gen10").await.is_empty(), "every word must match");
        // Two characters: tags and serials by prefix, models by substring.
        assert_eq!(found(app, "q=j7").await, ["SRV-1"]);
        assert!(found(app, "q=x2").await.is_empty(), "short words match serials by prefix only");
        assert_eq!(found(app, "q=sr").await, ["SRV-4", "SRV-3", "SRV-2", "SRV-1"]);
        assert_eq!(found(app, "q=64").await, ["SRV-3"], "in the model's label");
        // Short and long words together.
        assert_eq!(found(app, "q=r740%20j7").await, ["SRV-1"]);
        assert_eq!(found(app, "q=sr%20dell").await, ["SRV-3", "SRV-2", "SRV-1"]);
        // With filters and the top-level scope.
        assert_eq!(found(app, "q=dell&kind=server").await, ["SRV-3", "SRV-2", "SRV-1"]);
        assert_eq!(found(app, "q=dell&kind=board&include_parts=false").await, ["BRD-9"]);
        // Search syntax and wildcards are plain text.
        for q in ["\"dell\" OR x", "NEAR(r740", "r740*", "*", "dell\"", "50%_"] {
            assert!(found(app, &format!("q={}", enc(q))).await.is_empty(), "{q}");
        }
    }
}

db_test! {
    async fn edits_and_model_renames_are_searched_at_once(app: TestApp) {
        let m = app.model("Acme", "Foo-100", "server", None).await;
        let other = app.model("Acme", "Baz-300", "server", None).await;
        let a = app.asset("REN-1", "server", json!({"model_id": m["id"], "serial": "OLDSERIAL1"})).await;
        app.asset("REN-2", "server", json!({"model_id": other["id"]})).await;
        assert_eq!(found(app, "q=foo-100").await, ["REN-1"]);

        let r = app.patch_json(&format!("/api/v1/models/{}", s(&m, "id")), &json!({"version": 1, "model_number": "Bar-200"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(found(app, "q=foo-100").await.is_empty(), "the old model number is gone");
        assert_eq!(found(app, "q=bar-200").await, ["REN-1"]);
        assert_eq!(found(app, "q=acme%20bar").await, ["REN-1"]);

        // The item's own edits: serial, tag and model.
        let r = app
            .patch_json(
                &format!("/api/v1/assets/{}", s(&a, "id")),
                &json!({"version": a["version"], "serial": "NEWSERIAL2", "asset_tag": "REN-ONE", "model_id": other["id"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(found(app, "q=oldserial").await.is_empty());
        assert_eq!(found(app, "q=wseri").await, ["REN-ONE"]);
        assert_eq!(found(app, "q=n-one").await, ["REN-ONE"]);
        assert!(found(app, "q=bar-200").await.is_empty(), "no longer of that model");
        assert_eq!(found(app, "q=baz-300").await, ["REN-2", "REN-ONE"]);
    }
}

db_test! {
    async fn installed_parts_are_left_out_only_when_asked(app: TestApp) {
        app.asset("TOP-SRV", "server", json!({})).await;
        app.asset("TOP-D1", "dimm", json!({"parent_tag": "TOP-SRV"})).await;
        app.asset("TOP-D2", "dimm", json!({"parent_tag": "TOP-SRV"})).await;
        app.asset("TOP-LOOSE", "dimm", json!({})).await;
        let all = ["TOP-LOOSE", "TOP-D2", "TOP-D1", "TOP-SRV"];
        assert_eq!(found(app, "").await, all, "the API lists every item by default");
        assert_eq!(found(app, "include_parts=true").await, all);
        assert_eq!(found(app, "include_parts=false").await, ["TOP-LOOSE", "TOP-SRV"]);
        assert_eq!(found(app, "include_parts=false&kind=dimm").await, ["TOP-LOOSE"]);
        assert_eq!(found(app, "include_parts=false&q=top").await, ["TOP-LOOSE", "TOP-SRV"]);
        assert_eq!(found(app, "include_parts=false&q=to&sort=tag_asc").await, ["TOP-LOOSE", "TOP-SRV"]);
        assert_eq!(found(app, "include_parts=true&kind=dimm").await, ["TOP-LOOSE", "TOP-D2", "TOP-D1"]);
        // Pages of the top-level list.
        let p1 = page(app, "/api/v1/assets?include_parts=false&limit=1").await;
        let p2 = page(app, &format!("/api/v1/assets?include_parts=false&limit=1&cursor={}", p1.next.unwrap())).await;
        assert_eq!((p1.tags, p2.tags, p2.next), (vec!["TOP-LOOSE".to_owned()], vec!["TOP-SRV".to_owned()], None));
    }
}

/// Walks every page forward with `limit`, then back from the last page with `prev_cursor`,
/// checking each page going back is exactly the page that came before it.
async fn both_ways(app: &TestApp, query: &str, limit: usize) -> Vec<String> {
    let mut pages: Vec<PageOf> = Vec::new();
    let mut url = format!("/api/v1/assets?limit={limit}&{query}");
    loop {
        let p = page(app, &url).await;
        if pages.is_empty() {
            assert_eq!(p.prev, None, "{query}: the first page has no previous page");
        } else {
            assert!(p.prev.is_some(), "{query}: page {} has a previous page", pages.len() + 1);
        }
        let next = p.next.clone();
        pages.push(p);
        match next {
            Some(c) => url = format!("/api/v1/assets?limit={limit}&{query}&cursor={c}"),
            None => break,
        }
        assert!(pages.len() < 50, "pagination does not end");
    }
    for i in (1..pages.len()).rev() {
        let prev = pages[i].prev.clone().expect("prev");
        let back = page(app, &format!("/api/v1/assets?limit={limit}&{query}&before={prev}")).await;
        assert_eq!(back.tags, pages[i - 1].tags, "{query}: back from page {}", i + 1);
        assert_eq!(back.prev.is_some(), i > 1, "{query}: back to page {i}");
        // Forward again from the page reached going back.
        let again =
            page(app, &format!("/api/v1/assets?limit={limit}&{query}&cursor={}", back.next.expect("next"))).await;
        assert_eq!(again.tags, pages[i].tags, "{query}: forward again to page {}", i + 1);
    }
    pages.into_iter().flat_map(|p| p.tags).collect()
}

db_test! {
    async fn each_sort_pages_in_its_order_forward_and_back(app: TestApp) {
        let tags = ["c-sort3", "A-SORT1", "e-sort5", "B-SORT2", "g-sort7", "D-SORT4", "F-SORT6"];
        let mut made = Vec::new();
        for t in tags {
            made.push(app.asset(t, "server", json!({})).await);
        }
        app.asset("OTHER-1", "server", json!({})).await;
        // Three edits, in this order, make the most recently changed.
        for t in ["B-SORT2", "g-sort7", "A-SORT1"] {
            let a = made.iter().find(|a| s(a, "asset_tag") == t).unwrap();
            let r = app.patch_json(&format!("/api/v1/assets/{}", s(a, "id")), &json!({"version": a["version"], "notes": "edited"})).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        let owned = |v: &[&str]| v.iter().map(|t| t.to_string()).collect::<Vec<String>>();
        let mut all = owned(&tags);
        all.push("OTHER-1".into());

        let newest: Vec<String> = all.iter().rev().cloned().collect();
        let mut by_tag = all.clone();
        by_tag.sort_by_key(|t| t.to_lowercase());
        assert_eq!(by_tag, ["A-SORT1", "B-SORT2", "c-sort3", "D-SORT4", "e-sort5", "F-SORT6", "g-sort7", "OTHER-1"]);
        // Untouched items were last changed when registered, so in registration order.
        let mut updated = owned(&["c-sort3", "e-sort5", "D-SORT4", "F-SORT6", "OTHER-1", "B-SORT2", "g-sort7", "A-SORT1"]);
        let rev = |v: &[String]| v.iter().rev().cloned().collect::<Vec<String>>();

        for (query, expected) in [
            ("", newest.clone()),
            ("sort=newest", newest.clone()),
            ("sort=oldest", all.clone()),
            ("sort=tag_asc", by_tag.clone()),
            ("sort=tag_desc", rev(&by_tag)),
            ("sort=updated_asc", updated.clone()),
            ("sort=updated_desc", rev(&updated)),
        ] {
            assert_eq!(both_ways(app, query, 3).await, expected, "{query}");
        }
        // The same orders over a text search (the id set of the search index) and a short
        // word (the prefix path).
        let without = |v: &[String]| v.iter().filter(|t| *t != "OTHER-1").cloned().collect::<Vec<String>>();
        updated = without(&updated);
        for (query, expected) in [
            ("q=sort", without(&newest)),
            ("q=sort&sort=oldest", without(&all)),
            ("q=sort&sort=tag_asc", without(&by_tag)),
            ("q=sort&sort=tag_desc", rev(&without(&by_tag))),
            ("q=sort&sort=updated_asc", updated.clone()),
            ("q=sort&sort=updated_desc", rev(&updated)),
            ("q=a-&sort=tag_desc", owned(&["A-SORT1"])),
        ] {
            assert_eq!(both_ways(app, query, 2).await, expected, "{query}");
        }
    }
}

db_test! {
    async fn bad_list_parameters_are_400s_naming_them(app: TestApp) {
        app.asset("BAD-1", "server", json!({})).await;
        app.asset("BAD-2", "server", json!({})).await;
        let tag_cursor = page(app, "/api/v1/assets?sort=tag_asc&limit=1").await.next.expect("a tag cursor");
        let id_cursor = page(app, "/api/v1/assets?limit=1").await.next.expect("an id cursor");
        for (query, param) in [
            ("sort=size".to_owned(), "sort"),
            ("sort=".to_owned(), "sort"),
            ("cursor=not-a-cursor".to_owned(), "cursor"),
            ("before=not-a-cursor".to_owned(), "before"),
            ("sort=tag_asc&cursor=t.zz".to_owned(), "cursor"),
            ("sort=updated_desc&before=u.1.x".to_owned(), "before"),
            (format!("cursor={tag_cursor}"), "cursor"),
            (format!("sort=updated_asc&before={id_cursor}"), "before"),
            (format!("cursor={id_cursor}&before={id_cursor}"), "before"),
            ("include_parts=maybe".to_owned(), "include_parts"),
        ] {
            let r = app.get(&format!("/api/v1/assets?{query}")).await;
            assert_eq!(r.status, 400, "{query}: {}", r.text);
            assert_eq!(r.error().1.as_deref(), Some(param), "{query}: {}", r.text);
        }
        let r = app.get("/api/v1/assets?q=a%20b%20c%20d%20e%20f%20g%20h%20i").await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("q")), "{}", r.text);
        // A cursor of the right order still works.
        assert_eq!(page(app, &format!("/api/v1/assets?sort=tag_asc&cursor={tag_cursor}")).await.tags, ["BAD-2"]);
    }
}
