use super::*;

/// Walks every page of `query` with `limit`, returning the tags in order and page sizes.
async fn walk(app: &TestApp, query: &str, limit: usize) -> (Vec<String>, Vec<usize>) {
    let mut tags = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("/api/v1/assets?limit={limit}{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(&url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        let page = r.json();
        let items = page["items"].as_array().expect("items");
        sizes.push(items.len());
        tags.extend(items.iter().map(|i| s(i, "asset_tag")));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(sizes.len() < 100, "pagination does not end");
    }
    (tags, sizes)
}

async fn tags(app: &TestApp, q: &str) -> Vec<String> {
    walk(app, q, 2).await.0
}

db_test! {
    async fn keyset_pages_cover_everything_once_newest_first(app: TestApp) {
        let (tags, sizes) = walk(app, "", 3).await;
        assert!(tags.is_empty());
        assert_eq!(sizes, [0], "an empty list is one empty page without a cursor");
        let mut made = Vec::new();
        for i in 0..7 {
            made.push(s(&app.asset(&format!("P-{i}"), "server", json!({})).await, "asset_tag"));
        }
        made.reverse();
        let (tags, sizes) = walk(app, "", 3).await;
        assert_eq!(tags, made, "newest first, each once");
        assert_eq!(sizes, [3, 3, 1]);
        // Exactly a multiple of the page size: no empty trailing page.
        let (_, sizes) = walk(app, "", 7).await;
        assert_eq!(sizes, [7]);
        let (_, sizes) = walk(app, "", 1).await;
        assert_eq!(sizes, [1; 7]);
        // Items added while paging do not shift later pages (they come before the cursor).
        let first = app.get("/api/v1/assets?limit=2").await.json();
        app.asset("P-new", "server", json!({})).await;
        let next = app.get(&format!("/api/v1/assets?limit=2&cursor={}", s(&first, "next_cursor"))).await.json();
        assert_eq!(next["items"][0]["asset_tag"], made[2]);
        // A cursor that was never an asset still pages from its position.
        let r = app.get(&format!("/api/v1/assets?cursor={}", uuid::Uuid::nil())).await;
        assert_eq!((r.status, r.json()["items"].as_array().map(Vec::len)), (200, Some(0)));
    }
}

db_test! {
    async fn filters_combine_and_each_pages_correctly(app: TestApp) {
        let s1 = app.site("North").await;
        let s2 = app.site("South").await;
        let r740 = app.model("Dell", "PowerEdge R740", "server", None).await;
        let dl380 = app.model("HPE", "ProLiant DL380 Gen10", "server", None).await;
        for i in 0..5 {
            let site = if i % 2 == 0 { &s1 } else { &s2 };
            let model = if i < 3 { &r740 } else { &dl380 };
            let state = if i == 4 { "retired" } else { "deployed" };
            app.asset(&format!("SRV-{i}"), "server", json!({"site_id": site["id"], "model_id": model["id"], "state": state, "serial": format!("SN{i}XYZ")})).await;
        }
        for i in 0..4 {
            app.asset(&format!("MEM-{i}"), "dimm", json!({"parent_tag": format!("SRV-{i}")})).await;
        }
        assert_eq!(tags(app, "&kind=server").await, ["SRV-4", "SRV-3", "SRV-2", "SRV-1", "SRV-0"]);
        assert_eq!(tags(app, "&kind=dimm&state=deployed").await, ["MEM-3", "MEM-2", "MEM-1", "MEM-0"]);
        assert_eq!(tags(app, "&state=retired").await, ["SRV-4"]);
        assert_eq!(tags(app, &format!("&site_id={}&kind=server", s(&s1, "id"))).await, ["SRV-4", "SRV-2", "SRV-0"]);
        assert_eq!(tags(app, &format!("&model_id={}", s(&dl380, "id"))).await, ["SRV-4", "SRV-3"]);
        assert_eq!(tags(app, &format!("&site_id={}&state=deployed", s(&s2, "id"))).await, ["MEM-3", "MEM-1", "SRV-3", "SRV-1"]);
        // Free text: tag, serial and model; case-insensitive (see search.rs).
        assert_eq!(tags(app, "&q=mem-").await, ["MEM-3", "MEM-2", "MEM-1", "MEM-0"]);
        assert_eq!(tags(app, "&q=sn3").await, ["SRV-3"]);
        assert_eq!(tags(app, "&q=dl380").await, ["SRV-4", "SRV-3"]);
        assert_eq!(tags(app, "&q=r740&state=deployed").await, ["SRV-2", "SRV-1", "SRV-0"]);
        assert_eq!(tags(app, "&q=xyz").await, ["SRV-4", "SRV-3", "SRV-2", "SRV-1", "SRV-0"], "serials match anywhere");
        assert!(tags(app, "&q=yz").await.is_empty(), "a two-letter word matches serials by prefix only");
        assert!(tags(app, "&q=%25").await.is_empty(), "LIKE wildcards are literal");
        assert!(tags(app, "&q=_").await.is_empty());
    }
}

db_test! {
    async fn ledger_pages_are_newest_first(app: TestApp) {
        let a = app.asset("E-1", "server", json!({})).await;
        let id = s(&a, "id");
        for to in ["deployed", "in_repair", "deployed", "retired"] {
            assert_eq!(app.transition(&id, to).await.status, 200);
        }
        let p1 = app.get(&format!("/api/v1/assets/{id}/events?limit=2")).await.json();
        let p2 = app.get(&format!("/api/v1/assets/{id}/events?limit=2&cursor={}", s(&p1, "next_cursor"))).await.json();
        let p3 = app.get(&format!("/api/v1/assets/{id}/events?limit=2&cursor={}", s(&p2, "next_cursor"))).await.json();
        let to: Vec<String> = [&p1, &p2, &p3].iter().flat_map(|p| p["items"].as_array().cloned().unwrap_or_default()).map(|e| s(&e, "to")).collect();
        assert_eq!(to, ["retired", "deployed", "in_repair", "deployed", "in_stock"]);
        assert_eq!(p3["next_cursor"], Value::Null);
        let r = app.get(&format!("/api/v1/assets/{}/events", uuid::Uuid::now_v7())).await;
        assert_eq!(r.status, 404);
    }
}
