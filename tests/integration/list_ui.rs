//! The asset list people work in: top-level items by default, exact counts from the
//! counters, pages both ways, a sort, word search.

use super::*;

fn tags_in(html: &str) -> Vec<String> {
    html.split("class=\"tag\">").skip(1).map(|t| t.split('<').next().unwrap_or_default().to_owned()).collect()
}

fn href(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!("rel=\"{rel}\""))?;
    let start = html[..at].rfind("href=\"")? + 6;
    Some(reloop_tests::html_unescape(html[start..].split('"').next()?))
}

db_test! {
    async fn the_list_shows_top_level_items_counted_with_pages_both_ways(app: TestApp) {
        let dell = s(&app.model("Dell", "PowerEdge R740", "server", Some(28.0)).await, "id");
        let srv = app.asset("LS-000", "server", json!({"state": "deployed", "model_id": dell})).await;
        for i in 0..3 {
            app.asset(&format!("LS-D{i}"), "dimm", json!({"state": "deployed", "parent_id": s(&srv, "id")})).await;
        }
        for i in 1..=60 {
            app.asset(&format!("LS-{i:03}"), "server", json!({"state": if i % 2 == 0 { "in_stock" } else { "deployed" }})).await;
        }
        // By hand: 61 top-level servers (31 deployed: LS-000 and the 30 odd ones), 64 items in all.
        let page = app.get("/assets").await.text;
        assert!(page.contains("61 items (top-level; installed parts not listed)"), "{page}");
        let first = tags_in(&page);
        assert_eq!(first.len(), 50);
        assert!(!first.iter().any(|t| t.starts_with("LS-D")), "DIMMs are not listed by default");
        assert_eq!(first[0], "LS-060", "newest first");
        let with_parts = app.get("/assets?include_parts=true").await.text;
        assert!(with_parts.contains("64 items"), "the count includes parts when they are listed");
        assert!(tags_in(&app.get("/assets?include_parts=true&sort=oldest").await.text).iter().any(|t| t == "LS-D2"));
        let deployed = app.get("/assets?state=deployed").await.text;
        assert!(deployed.contains("31 items"), "a filtered count from the counters");

        // Next, then back.
        assert!(href(&page, "prev").is_none(), "the first page has no previous page");
        let next = href(&page, "next").expect("a next page");
        let second = app.get(&next).await.text;
        assert_eq!(tags_in(&second), vec!["LS-010", "LS-009", "LS-008", "LS-007", "LS-006", "LS-005", "LS-004", "LS-003", "LS-002", "LS-001", "LS-000"]);
        let prev = href(&second, "prev").expect("a previous page");
        assert_eq!(tags_in(&app.get(&prev).await.text), first, "previous returns exactly the first page");

        // Sorted by tag, A to Z.
        let by_tag = tags_in(&app.get("/assets?sort=tag_asc").await.text);
        let mut expected: Vec<String> = (0..=60).map(|i| format!("LS-{i:03}")).collect();
        expected.truncate(50);
        assert_eq!(by_tag, expected);

        // Words anywhere: "dell r740" finds the server by its model, counted without counters.
        let found = app.get("/assets?q=dell+r740").await.text;
        assert_eq!(tags_in(&found), vec!["LS-000"]);
        assert!(found.contains(">1 item (top-level"), "{found}");
        let many = app.get("/assets?q=LS-0").await.text;
        assert!(many.contains("more than 50 items"), "{many}");
    }
}
