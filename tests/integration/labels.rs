//! QR labels: the code a phone scans is the item's public address (decoded back from the
//! SVG with an independent QR reader), the text names the item, sheets hold one label per
//! selected item on both stocks, every role may print, and a phone that scans a label
//! while signed out signs in and comes back to the item, on a page that fits 390 px.

use reloop::rules::Role;
use reloop_tests::browser::Browser;
use reloop_tests::{Client, PASSWORD, html_unescape};
use thirtyfour::cdp::Cdp;
use thirtyfour::prelude::*;

use super::*;

/// The public address the label tests run under: not the server's own address, so a QR
/// code that encoded the bind address instead would be caught.
const PUBLIC: &str = "https://labels.reloop.test/bench";

async fn with_public_url(backend: Backend, name: &str) -> Option<TestApp> {
    TestApp::start_with(backend, name, |s| s.public_url = PUBLIC.into()).await
}

/// Pixels per module when the test "prints" a code.
const PX: usize = 6;

/// What the QR code of a label SVG holds: the `<path class="qr">` is painted module by
/// module into a white greyscale bitmap (the viewBox of its `<svg>` gives the extent,
/// quiet zone included), which rqrr then reads like a camera image. Returns the text,
/// the code's metadata and the viewBox extent in modules.
fn decode_qr(svg: &str) -> (String, rqrr::MetaData, usize) {
    let at = svg.find(r#"<path class="qr""#).unwrap_or_else(|| panic!("no path.qr in {svg}"));
    assert_eq!(svg.matches(r#"<path class="qr""#).count(), 1, "one QR path per label");
    let vb_at = svg[..at].rfind("viewBox=\"").expect("the QR's viewBox") + "viewBox=\"".len();
    let vb: Vec<f64> = svg[vb_at..].split('"').next().unwrap().split_whitespace().map(|v| v.parse().unwrap()).collect();
    assert!(
        vb.len() == 4 && vb[0] == 0.0 && vb[1] == 0.0 && vb[2] == vb[3] && vb[2].fract() == 0.0,
        "QR viewBox {vb:?}"
    );
    let n = vb[2] as usize;
    let d_at = at + svg[at..].find(" d=\"").expect("d") + 4;
    let d = svg[d_at..].split('"').next().unwrap();

    // Path commands with their numbers ("M4 5h3v1h-3z" → M[4,5] h[3] v[1] h[-3] z[]).
    let mut cmds: Vec<(char, Vec<f64>)> = Vec::new();
    let mut num = String::new();
    let flush = |num: &mut String, cmds: &mut Vec<(char, Vec<f64>)>| {
        if !num.is_empty() {
            cmds.last_mut().expect("a number before any command").1.push(num.parse().expect("number"));
            num.clear();
        }
    };
    for c in d.chars() {
        match c {
            c if c.is_ascii_alphabetic() => {
                flush(&mut num, &mut cmds);
                cmds.push((c, Vec::new()));
            }
            ' ' | ',' => flush(&mut num, &mut cmds),
            '-' => {
                flush(&mut num, &mut cmds);
                num.push(c);
            }
            c => num.push(c),
        }
    }
    flush(&mut num, &mut cmds);

    let size = n * PX;
    let mut img = vec![255u8; size * size];
    let (mut min, mut max) = (usize::MAX, 0usize);
    let (mut pen, mut start) = ((0.0f64, 0.0f64), (0.0f64, 0.0f64));
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for (cmd, args) in &cmds {
        match (cmd, args.as_slice()) {
            ('M', [x, y]) => {
                pen = (*x, *y);
                start = pen;
                pts = vec![pen];
            }
            ('h', [dx]) => {
                pen.0 += dx;
                pts.push(pen);
            }
            ('v', [dy]) => {
                pen.1 += dy;
                pts.push(pen);
            }
            ('z', []) => {
                assert_eq!(pts.len(), 4, "each subpath is a rectangle: {pts:?}");
                let x0 = pts.iter().map(|p| p.0).fold(f64::MAX, f64::min) as usize;
                let x1 = pts.iter().map(|p| p.0).fold(f64::MIN, f64::max) as usize;
                let y0 = pts.iter().map(|p| p.1).fold(f64::MAX, f64::min) as usize;
                let y1 = pts.iter().map(|p| p.1).fold(f64::MIN, f64::max) as usize;
                assert!(x1 <= n && y1 <= n && x0 < x1 && y0 < y1, "a module outside the viewBox: {pts:?}");
                min = min.min(x0).min(y0);
                max = max.max(x1).max(y1);
                for y in y0 * PX..y1 * PX {
                    img[y * size + x0 * PX..y * size + x1 * PX].fill(0);
                }
                pen = start;
            }
            other => panic!("unexpected path command {other:?}"),
        }
    }
    assert_eq!((min, n - max), (4, 4), "a quiet zone of 4 modules on every side");
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| img[y * size + x]);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the label");
    let (meta, text) = grids[0].decode().expect("the QR code decodes");
    (text, meta, n)
}

/// The label's text lines, unescaped, joined by spaces.
fn text_of(svg: &str) -> String {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').and_then(|(_, r)| r.split_once("</text>")).map(|(c, _)| html_unescape(c)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The labels of a sheet page, each as (data-id, svg), in order.
fn cells(html: &str) -> Vec<(String, String)> {
    html.split(r#"<div class="label-cell" data-id=""#)
        .skip(1)
        .map(|c| {
            let (id, rest) = c.split_once('"').expect("id");
            let svg = &rest[rest.find("<svg").expect("svg")..rest.find("</svg></div>").expect("end") + "</svg>".len()];
            (id.to_owned(), svg.to_owned())
        })
        .collect()
}

fn query(ids: &[String]) -> String {
    ids.iter().map(|i| format!("ids={i}")).collect::<Vec<_>>().join("&")
}

db_test! {
    start = with_public_url;
    async fn a_label_is_a_qr_code_of_the_items_public_address_with_its_names_in_text(app: TestApp) {
        let model = app.model("Smith & Wesson", "<Rack> 2U", "server", Some(18.0)).await;
        let a = app.asset("LB<7> & Co", "server", json!({"model_id": model["id"], "serial": "SN\"42'x"})).await;
        let id = s(&a, "id");
        let want = format!("{PUBLIC}/assets/{id}");

        let r = app.get(&format!("/assets/{id}/label.svg")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("content-type"), Some("image/svg+xml"));
        assert!(r.text.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#), "an SVG document: {}", &r.text[..80.min(r.text.len())]);
        assert!(r.text.contains(r#"width="63.5mm" height="38.1mm" viewBox="0 0 63.5 38.1""#), "sized for an A4 label by default");
        let (text, meta, n) = decode_qr(&r.text);
        assert_eq!(text, want, "the QR code opens the item's page at the public address");
        assert_eq!(meta.ecc_level, 0, "format bits 00: error correction level M");
        assert!((4..=5).contains(&meta.version.0), "a {}-character address fits version 4–5, got {}", want.len(), meta.version.0);
        assert_eq!(n, 17 + 4 * meta.version.0 + 8, "the viewBox spans the code and its quiet zone");

        // The text names the item, escaped for XML: the raw markup never appears.
        assert!(r.text.contains("LB&lt;7&gt; &amp; Co") && r.text.contains("SN&quot;42&apos;x"), "{}", r.text);
        assert!(!r.text.contains("<7>") && !r.text.contains("<Rack>"), "unescaped text in {}", r.text);
        let lines = text_of(&r.text);
        for part in ["LB<7> & Co", "S/N SN\"42'x", "Smith & Wesson <Rack> 2U"] {
            assert!(lines.contains(part), "{part:?} is not on the label: {lines:?}");
        }

        // The same label through the API, and on the roll's size.
        let api = app.get(&format!("/api/v1/assets/{id}/label.svg")).await;
        assert_eq!((api.status, api.header("content-type")), (200, Some("image/svg+xml")), "{}", api.text);
        assert_eq!(decode_qr(&api.text).0, want);
        let roll = app.get(&format!("/api/v1/assets/{id}/label.svg?layout=roll-62")).await;
        assert!(roll.text.contains(r#"width="62mm" height="29mm" viewBox="0 0 62 29""#), "{}", roll.text);
        assert_eq!(decode_qr(&roll.text).0, want);
        let roll_ui = app.get(&format!("/assets/{id}/label.svg?layout=roll-62")).await;
        assert_eq!(decode_qr(&roll_ui.text).0, want);

        // Refusals: an unknown stock names the parameter, an unknown item is 404, a
        // malformed id in the path is an unknown resource (404) like on every other route.
        let bad = app.get(&format!("/assets/{id}/label.svg?layout=letter")).await;
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("must be a4-21 or roll-62"), "{}", bad.text);
        let bad = app.get(&format!("/api/v1/assets/{id}/label.svg?layout=letter")).await;
        assert_eq!((bad.status, bad.error().1.as_deref()), (400, Some("layout")), "{}", bad.text);
        let nobody = uuid::Uuid::now_v7();
        let r = app.get(&format!("/api/v1/assets/{nobody}/label.svg")).await;
        assert_eq!((r.status, r.error().0.as_str()), (404, "not_found"), "{}", r.text);
        let r = app.get(&format!("/assets/{nobody}/label.svg")).await;
        assert_eq!(r.status, 404);
        assert!(r.text.contains("<html") && r.text.contains(&nobody.to_string()), "{}", r.text);
        let r = app.get("/api/v1/assets/not-an-id/label.svg").await;
        assert_eq!((r.status, r.error().0.as_str()), (404, "not_found"), "{}", r.text);
    }
}

db_test! {
    start = with_public_url;
    async fn a_sheet_holds_one_label_per_selected_item_on_both_stocks(app: TestApp) {
        // 23 items: one full A4 sheet of 21 and two on a second; the roll prints 23 labels.
        let mut ids = Vec::new();
        for i in 0..23 {
            let a = app.asset(&format!("SH-{i:02}"), "server", json!({"manufacturer": "Dell", "serial": format!("S{i}")})).await;
            ids.push(s(&a, "id"));
        }
        // Asked in another order than registered: the sheet keeps the order asked.
        ids.reverse();
        let r = app.get(&format!("/labels?{}&layout=a4-21", query(&ids))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let got = cells(&r.text);
        assert_eq!(got.len(), 23, "one label per selected item");
        assert_eq!(got.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), ids, "in the order asked");
        for (id, svg) in &got {
            assert_eq!(decode_qr(svg).0, format!("{PUBLIC}/assets/{id}"), "each label encodes its own item");
        }
        assert!(text_of(&got[0].1).contains("SH-22") && text_of(&got[0].1).contains("Dell"), "{}", got[0].1);
        assert_eq!(r.text.matches(r#"<div class="sheet-page">"#).count(), 2, "21 labels to an A4 sheet");
        assert!(r.text.contains(r#"class="label-sheet stock-a4-21""#) && r.text.contains("2 page(s) to print"));
        assert!(r.text.contains("data-print hidden"), "the Print button waits for app.js");
        // The stock switch keeps the selection.
        let roll_link = html_unescape(r.text.split("aria-label=\"Label stock\"").nth(1).unwrap().split("href=\"").nth(2).unwrap().split('"').next().unwrap());
        assert_eq!(roll_link, format!("/labels?{}&layout=roll-62", query(&ids)));

        let r = app.get(&roll_link).await;
        assert_eq!(r.status, 200);
        let got = cells(&r.text);
        assert_eq!(got.len(), 23);
        assert_eq!(r.text.matches(r#"<div class="sheet-page">"#).count(), 23, "one roll label per page");
        assert!(got.iter().all(|(_, svg)| svg.contains(r#"width="62mm" height="29mm""#)));
        assert_eq!(decode_qr(&got[22].1).0, format!("{PUBLIC}/assets/{}", ids[22]));

        // Without a layout the sheet is A4; ids may also come comma-separated.
        let r = app.get(&format!("/labels?ids={},{}", ids[0], ids[1])).await;
        assert_eq!(cells(&r.text).len(), 2);
        assert!(r.text.contains("stock-a4-21"));
    }
}

db_test! {
    async fn a_sheet_refuses_unknown_malformed_and_too_many_ids_naming_them(app: TestApp) {
        let a = s(&app.asset("RF-1", "server", json!({})).await, "id");
        let nobody = uuid::Uuid::now_v7().to_string();

        let r = app.get(&format!("/labels?ids={a}&ids={nobody}")).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains(&format!("ids names {nobody}, but no item has that id")), "{}", r.text);
        assert!(cells(&r.text).is_empty(), "a refused sheet prints nothing");

        let r = app.get(&format!("/labels?ids={a}&ids=RF-1")).await;
        assert_eq!(r.status, 422);
        assert!(html_unescape(&r.text).contains("ids holds \"RF-1\", which is not an item id"), "{}", r.text);

        let many: Vec<String> = (0..211).map(|_| a.clone()).collect();
        let r = app.get(&format!("/labels?{}", query(&many))).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("ids must name at most 210 items") && r.text.contains("211 were selected"), "{}", r.text);
        // 210 is allowed: ten full sheets.
        let r = app.get(&format!("/labels?{}", query(&many[..210]))).await;
        assert_eq!(r.status, 200);
        assert_eq!((cells(&r.text).len(), r.text.matches(r#"<div class="sheet-page">"#).count()), (210, 10));

        let r = app.get(&format!("/labels?ids={a}&layout=letter")).await;
        assert_eq!(r.status, 422);
        assert!(html_unescape(&r.text).contains("layout must be a4-21 or roll-62, not \"letter\""), "{}", r.text);

        // No selection: a page that says how to make one.
        let r = app.get("/labels").await;
        assert_eq!(r.status, 200);
        assert!(r.text.contains("No items are selected") && r.text.contains("Print labels for selected") && r.text.contains("href=\"/assets\""), "{}", r.text);
        assert!(cells(&r.text).is_empty() && !r.text.contains("data-print"));
    }
}

db_test! {
    async fn the_list_selects_items_for_labels_and_the_item_page_links_its_own(app: TestApp) {
        let a = s(&app.asset("SEL-1", "server", json!({})).await, "id");
        let b = s(&app.asset("SEL-2", "dimm", json!({})).await, "id");
        let r = app.get("/assets").await;
        assert_eq!(r.status, 200);
        let form = r.text.split(r#"<form class="selection" method="get" action="/labels">"#).nth(1).expect("the selection form").split("</form>").next().unwrap();
        for id in [&a, &b] {
            assert!(form.contains(&format!(r#"<input type="checkbox" name="ids" value="{id}""#)), "a box for {id}");
        }
        assert!(form.contains("data-select-all hidden") && form.contains("Select all on this page"), "{form}");
        assert!(form.contains(r#"<button type="submit" class="btn secondary">Print labels for selected</button>"#));
        assert!(form.contains(r#"<select name="layout""#) && form.contains(r#"value="roll-62""#));
        // What the form sends is a sheet.
        let r = app.get(&format!("/labels?layout=a4-21&ids={b}&ids={a}")).await;
        assert_eq!(cells(&r.text).into_iter().map(|(id, _)| id).collect::<Vec<_>>(), vec![b.clone(), a.clone()]);

        let auditor = app.user("sel-auditor", Role::Auditor).await;
        let page = auditor.get(&format!("/assets/{a}")).await;
        assert!(page.text.contains(&format!(r#"href="/labels?ids={a}">Print label</a>"#)), "every role sees Print label");
    }
}

/// Signs in through the form as a browser would, with `next` as the sign-in page had it.
async fn sign_in_form(c: &Client, next: &str) -> Resp {
    let login =
        c.get(&format!("/login?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())).await;
    assert!(
        login.text.contains(&format!(r#"<input type="hidden" name="next" value="{next}">"#)),
        "the sign-in form keeps next: {}",
        login.text
    );
    let csrf = login
        .text
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf")
        .to_owned();
    c.post_form("/login", &[("csrf_token", &csrf), ("username", "scanner"), ("password", PASSWORD), ("next", next)])
        .await
}

db_test! {
    async fn every_role_prints_labels_and_a_signed_out_scan_signs_in_then_returns(app: TestApp) {
        let id = s(&app.asset("RO-1", "server", json!({})).await, "id");
        let auditor = app.user("aud", Role::Auditor).await;
        let r = auditor.get(&format!("/labels?ids={id}")).await;
        assert_eq!((r.status, cells(&r.text).len()), (200, 1), "{}", r.text);
        let r = auditor.get(&format!("/assets/{id}/label.svg")).await;
        assert_eq!(r.status, 200);
        assert!(text_of(&r.text).contains("RO-1"));
        let r = auditor.get(&format!("/api/v1/assets/{id}/label.svg")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(text_of(&r.text).contains("RO-1"));

        // Signed out: pages send the visitor to sign in and back; the API answers 401.
        let anon = app.anon();
        for path in [format!("/labels?ids={id}"), format!("/assets/{id}/label.svg"), format!("/assets/{id}")] {
            let r = anon.get(&path).await;
            assert_eq!(r.status, 303, "{path}");
            let next = form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
            assert_eq!(r.header("location"), Some(format!("/login?next={next}").as_str()), "{path}");
            assert!(!r.text.contains("RO-1"));
        }
        let r = anon.get(&format!("/api/v1/assets/{id}/label.svg")).await;
        assert_eq!((r.status, r.error().0.as_str()), (401, "unauthorized"), "{}", r.text);

        // The phone's way: scan → sign-in page → signed in → the item.
        app.user("scanner", Role::Refurbisher).await;
        let phone = app.anon();
        let r = sign_in_form(&phone, &format!("/assets/{id}")).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(r.header("location"), Some(format!("/assets/{id}").as_str()));
        let page = phone.get(&format!("/assets/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("<span class=\"tag\">RO-1</span>"), "{}", page.text);
    }
}

/// Decodes standard base64 (what the DevTools protocol returns a PDF in).
fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()).map(val).collect();
    bytes
        .chunks(4)
        .flat_map(|q| {
            let n = q.iter().enumerate().fold(0u32, |n, (i, v)| n | (u32::from(*v) << (18 - 6 * i)));
            let keep = q.len() * 6 / 8;
            [(n >> 16) as u8, (n >> 8) as u8, n as u8].into_iter().take(keep)
        })
        .collect()
}

/// Prints the current page as Chromium would to paper of the stylesheet's choosing, and
/// returns the pages' sizes in millimetres.
async fn printed_pages(dev: &Cdp) -> Vec<(f64, f64)> {
    let out = dev
        .send_raw("Page.printToPDF", json!({"preferCSSPageSize": true, "printBackground": true}))
        .await
        .expect("print");
    let pdf = base64(out["data"].as_str().expect("pdf data"));
    let text = String::from_utf8_lossy(&pdf);
    text.split("/MediaBox [")
        .skip(1)
        .map(|m| {
            let v: Vec<f64> = m.split(']').next().unwrap().split_whitespace().map(|x| x.parse().unwrap()).collect();
            (((v[2] - v[0]) * 25.4 / 72.0 * 10.0).round() / 10.0, ((v[3] - v[1]) * 25.4 / 72.0 * 10.0).round() / 10.0)
        })
        .collect()
}

async fn scroll_width(b: &Browser) -> (i64, i64) {
    let v = b.eval("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]").await;
    (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())
}

db_test! {
    async fn on_a_390_px_phone_a_scanned_label_signs_in_returns_to_the_item_and_fits(app: TestApp) {
        let Some(b) = Browser::start("on_a_390_px_phone_a_scanned_label_signs_in_returns_to_the_item_and_fits").await else { return };
        let site = app.site("Phone lab").await;
        let model = app.model("Hewlett Packard Enterprise", "ProLiant DL380 Gen10", "server", Some(20.0)).await;
        let server = app.asset("PH-1", "server", json!({"model_id": model["id"], "site_id": site["id"], "serial": "CZJ1234567", "state": "deployed", "workload_tier": "web_services"})).await;
        let id = s(&server, "id");
        // Parts, so the page has its widest table (with the visually hidden Actions header).
        for i in 0..3 {
            app.asset(&format!("PH-1-DIMM-{i}"), "dimm", json!({"parent_tag": "PH-1", "manufacturer": "Samsung", "serial": format!("M393A4K40DB3-CWE-{i}")})).await;
        }
        let dev = b.driver.cdp();
        dev.send_raw("Emulation.setDeviceMetricsOverride", json!({"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": true})).await.expect("phone viewport");

        // What the phone opens from the QR code, signed out.
        b.driver.goto(app.url(&format!("/assets/{id}"))).await.expect("goto");
        let url = b.driver.current_url().await.expect("url");
        assert_eq!(url.path(), "/login", "signed out, the scan lands on the sign-in page");
        assert_eq!(url.query_pairs().find(|(k, _)| k == "next").map(|(_, v)| v.into_owned()), Some(format!("/assets/{id}")));
        b.wait_for("input[name=username]").await.send_keys("admin").await.expect("type");
        b.wait_for("input[name=password]").await.send_keys(PASSWORD).await.expect("type");
        b.wait_for("form[action='/login'] button[type=submit]").await.click().await.expect("submit");
        b.wait_for("h1 .tag").await;
        assert_eq!(b.driver.current_url().await.expect("url").path(), format!("/assets/{id}"), "back at the item after signing in");
        assert_eq!(b.driver.find(By::Css("h1 .tag")).await.expect("tag").text().await.expect("text"), "PH-1");
        assert_eq!(b.driver.find_all(By::Css("#parts tbody tr")).await.expect("rows").len(), 3);
        let (scroll, client) = scroll_width(&b).await;
        assert_eq!(client, 390, "the viewport is a 390 px phone");
        assert!(scroll <= 390, "the item page is {scroll} px wide at 390 px");

        for path in ["/account", "/assets", &format!("/labels?ids={id}")] {
            b.driver.goto(app.url(path)).await.expect("goto");
            b.wait_for("main h1").await;
            let (scroll, _) = scroll_width(&b).await;
            assert!(scroll <= 390, "{path} is {scroll} px wide at 390 px");
        }

        // The list: "select all on this page" (shown by app.js) ticks every row, and the
        // selection prints.
        b.driver.goto(app.url("/assets?include_parts=true")).await.expect("goto");
        let all = b.wait_for("input[data-select-all]").await;
        assert!(all.is_displayed().await.expect("displayed"), "app.js shows the select-all box");
        all.click().await.expect("select all");
        let ticked = b.eval("return Array.from(document.querySelectorAll('input[name=ids]')).map(x => x.checked)").await;
        assert_eq!(ticked, json!([true, true, true, true]), "every row on the page is ticked");
        b.driver.find(By::Css("input[name=ids]")).await.expect("first box").click().await.expect("untick");
        assert_eq!(b.eval("const a = document.querySelector('input[data-select-all]'); return [a.checked, a.indeterminate]").await, json!([false, true]));
        all.click().await.expect("select all again");
        b.eval("document.querySelector('select[name=layout]').value = 'roll-62'; return true").await;
        b.driver.find(By::Css("form.selection button[type=submit]")).await.expect("print selected").click().await.expect("submit");
        b.wait_for(".label-sheet").await;
        assert_eq!(b.driver.find_all(By::Css(".label-cell")).await.expect("labels").len(), 4);
        assert!(b.driver.current_url().await.expect("url").query().unwrap_or_default().contains("layout=roll-62"));
        assert!(b.wait_for("button[data-print]").await.is_displayed().await.expect("displayed"), "app.js shows the Print button");
        let (scroll, _) = scroll_width(&b).await;
        assert!(scroll <= 390, "the roll sheet is {scroll} px wide at 390 px");

        // Printed, the roll is one 62 × 29 mm page per label; A4 holds 21 labels a page.
        // (Chromium rounds a page to whole CSS pixels: a quarter of a millimetre.)
        let near = |pages: &[(f64, f64)], (w, h): (f64, f64)| pages.iter().all(|(pw, ph)| (pw - w).abs() <= 0.3 && (ph - h).abs() <= 0.3);
        let pages = printed_pages(&dev).await;
        assert!(pages.len() == 4 && near(&pages, (62.0, 29.0)), "roll pages: {pages:?}");
        let many: Vec<String> = (0..22).map(|_| id.clone()).collect();
        b.driver.goto(app.url(&format!("/labels?{}", query(&many)))).await.expect("goto");
        b.wait_for(".label-sheet").await;
        let pages = printed_pages(&dev).await;
        assert!(pages.len() == 2 && near(&pages, (210.0, 297.0)), "22 labels on two A4 pages: {pages:?}");
        // Labels sit where Avery L7160 puts them: 7.2 mm from the left edge, 15.1 mm from
        // the top, 63.5 × 38.1 mm each, 2.5 mm between columns.
        dev.send_raw("Emulation.setEmulatedMedia", json!({"media": "print"})).await.expect("print media");
        let boxes = b.eval("const mm = 96 / 25.4; const s = document.querySelector('.sheet-page').getBoundingClientRect(); return Array.from(document.querySelectorAll('.sheet-page:first-child .label-cell')).slice(0, 4).map(c => { const r = c.getBoundingClientRect(); return [Math.round((r.left - s.left) / mm * 10) / 10, Math.round((r.top - s.top) / mm * 10) / 10, Math.round(r.width / mm * 10) / 10, Math.round(r.height / mm * 10) / 10]; })").await;
        let boxes: Vec<Vec<f64>> = serde_json::from_value(boxes).expect("numbers");
        assert_eq!(boxes, vec![vec![0.0, 0.0, 63.5, 38.1], vec![66.0, 0.0, 63.5, 38.1], vec![132.0, 0.0, 63.5, 38.1], vec![0.0, 38.1, 63.5, 38.1]], "label boxes within the page margins");
        let hidden = b.eval("return ['.topbar', '.titlebar', '.stock-switch', '.foot'].map(s => getComputedStyle(document.querySelector(s)).display)").await;
        assert_eq!(hidden, json!(["none", "none", "none", "none"]), "only labels print");
        b.quit().await;
    }
}
