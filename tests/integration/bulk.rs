//! Bulk actions from the list: one state or one site for a selection, all or nothing,
//! each item with its own ledger entry; refusals name the item and change nothing.

use reloop::rules::Role;

use super::*;

db_test! {
    async fn a_bulk_state_change_is_all_or_nothing_and_names_the_item_in_the_way(app: TestApp) {
        let a = app.asset("BK-1", "server", json!({"state": "deployed"})).await;
        let b = app.asset("BK-2", "server", json!({"state": "in_stock"})).await;
        let lost = app.asset("BK-3", "server", json!({"state": "deployed"})).await;
        assert_eq!(app.transition(&s(&lost, "id"), "lost").await.status, 200);
        let ids = [s(&a, "id"), s(&b, "id"), s(&lost, "id")];

        // A lost item cannot be retired: nothing changes, and the message names it.
        let r = app.post_json("/api/v1/bulk/transition", &json!({"ids": ids, "to": "retired", "reason": "end of lease"})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(r.error().2.starts_with("BK-3: "), "{}", r.text);
        assert_eq!(app.get_asset(&ids[0]).await["state"], "deployed", "the first item was rolled back");

        // Without a reason, or without items, the fields are named.
        let r = app.post_json("/api/v1/bulk/transition", &json!({"ids": [], "to": "retired"})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        let fields: Vec<String> = r.json()["error"]["fields"].as_array().unwrap().iter().map(|e| s(e, "field")).collect();
        assert_eq!(fields, vec!["ids", "reason"]);

        // The two that can move do, each with the reason in its own ledger entry.
        let r = app.post_json("/api/v1/bulk/transition", &json!({"ids": &ids[..2], "to": "retired", "reason": "end of lease"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["changed"], json!(2));
        for id in &ids[..2] {
            let last = app.events(id).await.pop().unwrap();
            assert_eq!((s(&last, "kind"), s(&last, "to"), s(&last, "reason")), ("state".into(), "retired".into(), "end of lease".into()));
        }
        // The counters saw it: 2 retirements this year (BK-3 was lost, not retired).
        assert_eq!(app.get("/api/v1/overview").await.json()["retired_this_year"], json!(2));

        // A refurbisher may not retire items, in bulk either.
        let refurb = app.user("refurb1", Role::Refurbisher).await;
        let c = app.asset("BK-4", "server", json!({"state": "deployed"})).await;
        let r = refurb.post_json("/api/v1/bulk/transition", &json!({"ids": [s(&c, "id")], "to": "retired", "reason": "x"})).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(app.get_asset(&s(&c, "id")).await["state"], "deployed");
    }
}

db_test! {
    async fn a_bulk_move_takes_parts_along_and_refuses_an_installed_part(app: TestApp) {
        let north = s(&app.site("North").await, "id");
        let south = s(&app.site("South").await, "id");
        let srv = app.asset("MV-1", "server", json!({"state": "deployed", "site_id": north})).await;
        let other = app.asset("MV-2", "server", json!({"state": "deployed", "site_id": north})).await;
        let dimm = app.asset("MV-D", "dimm", json!({"state": "deployed", "parent_id": s(&srv, "id")})).await;

        let r = app.post_json("/api/v1/bulk/move", &json!({"ids": [s(&other, "id"), s(&dimm, "id")], "site_id": south, "reason": "rebalancing"})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("MV-D: "), "{}", r.text);
        assert_eq!(app.get_asset(&s(&other, "id")).await["site_id"], json!(north), "nothing moved");

        let r = app.post_json("/api/v1/bulk/move", &json!({"ids": [s(&srv, "id"), s(&other, "id")], "site_id": south, "reason": "rebalancing"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        for id in [s(&srv, "id"), s(&other, "id"), s(&dimm, "id")] {
            assert_eq!(app.get_asset(&id).await["site_id"], json!(south));
            let last = app.events(&id).await.pop().unwrap();
            assert_eq!((s(&last, "kind"), s(&last, "reason")), ("site".into(), "rebalancing".into()));
        }
    }
}

db_test! {
    async fn the_list_selection_is_reviewed_then_applied_with_post_redirect_get(app: TestApp) {
        let a = app.asset("UB-1", "server", json!({"state": "deployed"})).await;
        let b = app.asset("UB-2", "server", json!({"state": "deployed"})).await;
        let (ia, ib) = (s(&a, "id"), s(&b, "id"));

        // The list offers the actions; the review page lists the selection and a form.
        let list = app.get("/assets").await.text;
        assert!(list.contains(r#"formaction="/bulk" name="action" value="state""#), "{list}");
        let review = app.get(&format!("/bulk?ids={ia}&ids={ib}&action=state")).await;
        assert_eq!(review.status, 200);
        let html = reloop_tests::html_unescape(&review.text);
        assert!(html.contains("Change the state of 2 items") && html.contains("UB-1") && html.contains("UB-2"), "{html}");
        assert!(html.contains(r#"<option value="">Choose…</option>"#), "no state is preselected");
        assert!(html.contains("Lost or stolen (cannot be undone)"), "{html}");

        // A terminal state needs the confirmation box: back to the review page, nothing changed.
        let r = app.post_form("/bulk/transition", &[("ids", &ia), ("ids", &ib), ("to", "lost"), ("reason", "not found in audit")]).await;
        assert_eq!(r.status, 303);
        let back = r.header("location").unwrap().to_owned();
        assert!(back.starts_with("/bulk?") && back.contains("reason=not+found+in+audit"), "{back}");
        let page = reloop_tests::html_unescape(&app.get(&back).await.text);
        assert!(page.contains("Nothing was changed. tick the box to confirm: Lost or stolen cannot be undone"), "{page}");
        assert!(page.contains(r#"value="not found in audit""#), "the typed reason is kept");
        assert_eq!(app.get_asset(&ia).await["state"], "deployed");

        // Retiring both: one redirect to the list with the result.
        let r = app.post_form("/bulk/transition", &[("ids", &ia), ("ids", &ib), ("to", "retired"), ("reason", "refresh")]).await;
        assert_eq!((r.status, r.header("location")), (303, Some("/assets")));
        let list = reloop_tests::html_unescape(&app.get("/assets").await.text);
        assert!(list.contains("2 items are now Retired."), "{list}");
        assert_eq!(app.get_asset(&ib).await["state"], "retired");

        // An auditor is offered neither action, and may not post one.
        let auditor = app.user("auditor1", Role::Auditor).await;
        let list = auditor.get("/assets").await.text;
        assert!(!list.contains("formaction=\"/bulk\""), "{list}");
        assert_eq!(auditor.post_form("/bulk/transition", &[("ids", &ia), ("to", "in_stock"), ("reason", "x")]).await.status, 403);
    }
}
