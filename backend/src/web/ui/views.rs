//! Values formatted for people: rows of an asset table, history entries, masses and
//! figures. The domain has already decoded and labelled everything (`assets::read`,
//! `lifecycle::history`); this only formats.

use chrono::{DateTime, Utc};

use super::forms::FormState;
use crate::assets::LabelledAsset;
use crate::ids::AssetId;
use crate::lifecycle::HistoryEntry;
use crate::rules::{EventKind, State};

/// One row of an asset table.
pub struct AssetRow {
    pub id: AssetId,
    pub tag: String,
    pub kind: String,
    pub model: String,
    pub serial: String,
    pub state: State,
    pub site: String,
    pub updated: Stamp,
}

impl From<LabelledAsset> for AssetRow {
    fn from(l: LabelledAsset) -> Self {
        let a = l.asset;
        AssetRow {
            id: a.id,
            kind: a.kind.label().to_owned(),
            serial: a.serial.unwrap_or_default(),
            state: a.state,
            updated: Stamp::of(a.updated_at),
            tag: a.asset_tag,
            model: l.model,
            site: l.site,
        }
    }
}

/// Rows for a table of labelled assets.
pub fn rows(items: Vec<LabelledAsset>) -> Vec<AssetRow> {
    items.into_iter().map(AssetRow::from).collect()
}

/// A moment as the UI shows it: the text with its zone ("2026-12-07 22:15 UTC") and the
/// RFC 3339 form for `<time datetime>`, which `static/app.js` turns into the reader's
/// local time. Templates show it with `_macros.html`'s `stamp` (or `when` for a
/// `DateTime` they hold); its `Display` is the text.
#[derive(Clone, Debug)]
pub struct Stamp {
    pub iso: String,
    pub text: String,
}

impl Stamp {
    pub fn of(t: DateTime<Utc>) -> Stamp {
        Stamp { iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), text: short_time(t) }
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A history entry on an item's timeline.
pub struct EventView {
    pub when: String,
    pub when_iso: String,
    pub kind: EventKind,
    pub text: String,
    pub link: Option<(AssetId, String)>,
    pub actor: String,
    pub reason: String,
}

impl From<HistoryEntry> for EventView {
    fn from(e: HistoryEntry) -> Self {
        EventView {
            when: short_time(e.occurred_at),
            when_iso: e.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            kind: e.kind,
            text: e.summary,
            link: e.related.map(|r| (r.id, r.tag.unwrap_or_else(|| r.id.to_string()))),
            actor: e.actor,
            reason: e.reason,
        }
    }
}

/// "2026-12-07 22:15 UTC": a moment with its zone.
pub fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "1.2 kg", "26.30 kg", or "—".
pub fn kg(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 100.0 => format!("{x:.0} kg"),
        Some(x) if x >= 1.0 => format!("{x:.2} kg"),
        Some(x) => format!("{:.0} g", x * 1000.0),
        None => "—".to_owned(),
    }
}

pub fn num(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(x) if x.fract() == 0.0 => format!("{x:.0} {unit}").trim_end().to_owned(),
        Some(x) => format!("{x:.2} {unit}").trim_end().to_owned(),
        None => "—".to_owned(),
    }
}

/// A value for an `<input>`: the number as typed, or "".
pub fn input_num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// `base?k=v&…` with blank values left out.
pub fn url_with(base: &str, params: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        s.append_pair(k, v);
    }
    let q = s.finish();
    if q.is_empty() { base.to_owned() } else { format!("{base}?{q}") }
}

/// Keyset paging links of a filtered list at `base`, both keeping the `filters` named
/// `names`: (back to the first page, when `past_first`; on to the next, when there is one).
pub fn pager_links(
    base: &str,
    filters: &FormState,
    names: &[&str],
    past_first: bool,
    next_cursor: Option<&str>,
) -> (Option<String>, Option<String>) {
    let params: Vec<(&str, &str)> = names.iter().map(|k| (*k, filters.val(k))).collect();
    let next = next_cursor.map(|c| {
        let mut p = params.clone();
        p.push(("cursor", c));
        url_with(base, &p)
    });
    (past_first.then(|| url_with(base, &params)), next)
}

/// The query string as a map (a repeated key keeps its last value).
pub fn query_map(req: &actix_web::HttpRequest) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect()
}

/// A figure with thousands grouped by a thin space: "1 234 567.8" (`decimals` after the
/// point).
pub fn grouped(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') { format!("−{out}") } else { out }
}

#[cfg(test)]
mod grouped_tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::grouped(92525916.0, 0), "92\u{202f}525\u{202f}916");
        assert_eq!(super::grouped(2598.893, 1), "2\u{202f}598.9");
        assert_eq!(super::grouped(0.043, 3), "0.043");
        assert_eq!(super::grouped(-1234.0, 0), "−1\u{202f}234");
    }
}
