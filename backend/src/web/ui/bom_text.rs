//! A bill of materials as the model form writes it: a text area with one line per BOM
//! line, `count x kind [model]`:
//!
//! ```text
//! 1 x board Dell PowerEdge R740 system board
//! 16 x dimm Samsung M393A4K40DB3-CWE
//! 2 x psu
//! ```
//!
//! Forgiving on purpose: blank lines are skipped; the `x` may be `×`, `*` or left out
//! (`16 dimm`, `16x dimm`); a missing count means 1; kinds may be plural (`dimms`); the
//! model is the catalog's manufacturer and model number (its key, any case), or its label,
//! or its id, optionally in quotes; with a model, the kind may be left out. A refused line
//! is named by its line number in the text area ("line 3 “…”: …"), and the text stays as
//! typed.

use std::collections::HashMap;

use super::forms::FormState;
use crate::catalog::{self, BomLine, HardwareModel};
use crate::db::Db;
use crate::error::AppResult;
use crate::ids::ModelId;
use crate::rules::AssetKind;

/// The form field that holds the text.
pub const FIELD: &str = "bom";

/// Form error keys of line errors: `bom_line_3`.
const LINE_KEY: &str = "bom_line_";

/// One line as typed, before its model is looked up.
#[derive(Debug, PartialEq)]
struct Draft<'a> {
    count: u32,
    kind: Option<AssetKind>,
    /// The model as named, if any.
    model: Option<&'a str>,
}

/// Reads one non-blank line; `Err` says what is wrong with it.
fn parse_line(line: &str) -> Result<Draft<'_>, String> {
    let mut rest = line.trim();
    let mut count = 1;
    let (first, after) = split_word(rest);
    let digits = first.trim_end_matches(['x', 'X', '×', '*']);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        count = digits.parse::<u32>().map_err(|_| format!("count must be at most {}", catalog::BOM_MAX_COUNT))?;
        rest = after;
        let (sep, after_sep) = split_word(rest);
        if digits == first && matches!(sep, "x" | "X" | "×" | "*") {
            rest = after_sep;
        }
    }
    let (word, after_kind) = split_word(rest);
    let kind = kind_word(word);
    if kind.is_some() {
        rest = after_kind;
    }
    let model = unquote(rest).filter(|m| !m.is_empty());
    if kind.is_none() && model.is_none() {
        return Err(format!("give a kind ({}) after the count", AssetKind::expected()));
    }
    Ok(Draft { count, kind, model })
}

/// The first whitespace-separated word and the rest, trimmed.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// A kind as written: its code in any case, or the plural of it (`dimms`).
fn kind_word(word: &str) -> Option<AssetKind> {
    let w = word.to_lowercase();
    AssetKind::parse(&w).or_else(|| w.strip_suffix('s').and_then(AssetKind::parse))
}

/// A model name without the quotes it may be written in.
fn unquote(s: &str) -> Option<&str> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    for (open, close) in [('"', '"'), ('“', '”'), ('\'', '\'')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
            return Some(inner.trim());
        }
    }
    Some(s)
}

/// Where each BOM line came from: its line number in the text area and the text, so the
/// service's refusals (`bom[2].count`) can be shown against the line.
#[derive(Debug, Default)]
pub struct BomText {
    lines: Vec<(usize, String)>,
}

impl BomText {
    /// Reads the form's bill of materials. Lines that cannot be read or whose model is
    /// not found get an error in the form, against their line number.
    pub async fn read(db: &Db, f: &mut FormState) -> AppResult<(Vec<BomLine>, BomText)> {
        let text = f.text(FIELD);
        let mut bom = Vec::new();
        let mut source = BomText::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            let n = i + 1;
            let fail =
                |f: &mut FormState, msg: String| f.fail(&format!("{LINE_KEY}{n}"), format!("line {n} “{line}”: {msg}"));
            let draft = match parse_line(line) {
                Ok(d) => d,
                Err(msg) => {
                    fail(f, msg);
                    continue;
                }
            };
            let model = match draft.model {
                None => None,
                Some(name) => match find(db, name).await?.as_slice() {
                    [m] => Some((m.id, m.kind)),
                    [] if draft.kind.is_some() => {
                        fail(
                            f,
                            format!("no catalog model is called “{name}”: write its manufacturer and model number"),
                        );
                        continue;
                    }
                    [] => {
                        fail(f, format!("“{name}” is neither a kind ({}) nor a catalog model", AssetKind::expected()));
                        continue;
                    }
                    several => {
                        let names: Vec<String> = several.iter().map(full_name).collect();
                        fail(f, format!("“{name}” could be {}: write which", names.join(" or ")));
                        continue;
                    }
                },
            };
            let kind = match (draft.kind, model) {
                (Some(k), _) => k,
                (None, Some((_, k))) => k,
                (None, None) => continue,
            };
            bom.push(BomLine { kind, model_id: model.map(|(id, _)| id), count: draft.count });
            source.lines.push((n, line.to_owned()));
        }
        Ok((bom, source))
    }

    /// Moves the service's errors about BOM lines (`bom[2].count`, as the form holds them:
    /// `bom[2]_count`) onto the text-area lines they came from.
    pub fn relabel(&self, mut f: FormState) -> FormState {
        let keys: Vec<String> = f.errors.keys().filter(|k| k.starts_with("bom[")).cloned().collect();
        for key in keys {
            let Some(msg) = f.errors.remove(&key) else { continue };
            let (index, sub) = match key["bom[".len()..].split_once(']') {
                Some((i, sub)) => (i.parse::<usize>().ok(), sub.trim_start_matches('_')),
                None => (None, ""),
            };
            let subject = match sub {
                "model_id" => "model ",
                "count" => "count ",
                "kind" => "kind ",
                _ => "",
            };
            match index.and_then(|i| self.lines.get(i)) {
                Some((n, line)) => f.fail(&format!("{LINE_KEY}{n}"), format!("line {n} “{line}”: {subject}{msg}")),
                None => f.fail(FIELD, format!("{subject}{msg}")),
            }
        }
        f
    }
}

/// The line errors of a form, in line order, for showing under the text area.
pub fn line_errors(f: &FormState) -> Vec<String> {
    let mut found: Vec<(usize, &str)> =
        f.errors.iter().filter_map(|(k, v)| Some((k.strip_prefix(LINE_KEY)?.parse().ok()?, v.as_str()))).collect();
    found.sort();
    found.into_iter().map(|(_, v)| v.to_owned()).collect()
}

/// Models named on a line: by id, or by key or label.
async fn find(db: &Db, name: &str) -> AppResult<Vec<HardwareModel>> {
    if let Ok(id) = name.parse::<ModelId>() {
        return catalog::by_ids(db.conn(), &[id]).await;
    }
    catalog::by_name(db.conn(), name).await
}

/// "Samsung M393A4K40DB3-CWE": what a line names a model by (its key, as written).
fn full_name(m: &HardwareModel) -> String {
    format!("{} {}", m.manufacturer, m.model_number)
}

/// A bill of materials as the text area shows it, one line per BOM line; `models` holds
/// the models it names.
pub fn write(bom: &[BomLine], models: &HashMap<ModelId, HardwareModel>) -> String {
    bom.iter()
        .map(|l| match l.model_id {
            Some(id) => match models.get(&id) {
                Some(m) => format!("{} x {} {}", l.count, l.kind, full_name(m)),
                None => format!("{} x {} {id}", l.count, l.kind),
            },
            None => format!("{} x {}", l.count, l.kind),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetKind::*;

    fn ok(line: &str) -> (u32, Option<AssetKind>, Option<&str>) {
        let d = parse_line(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        (d.count, d.kind, d.model)
    }

    #[test]
    fn lines_read_in_every_usual_spelling() {
        assert_eq!(ok("16 x dimm Samsung M393A4K40DB3-CWE"), (16, Some(Dimm), Some("Samsung M393A4K40DB3-CWE")));
        assert_eq!(ok("2 x psu"), (2, Some(Psu), None));
        assert_eq!(ok("2x PSUs"), (2, Some(Psu), None));
        assert_eq!(ok("2 × cpu"), (2, Some(Cpu), None));
        assert_eq!(ok("  4 * hdd  "), (4, Some(Hdd), None));
        assert_eq!(ok("8 nvme"), (8, Some(Nvme), None));
        assert_eq!(ok("board \"Dell 0H28RR\""), (1, Some(Board), Some("Dell 0H28RR")));
        assert_eq!(ok("3 x Seagate ST2400MM0129"), (3, None, Some("Seagate ST2400MM0129")));
        assert_eq!(ok("1 x chassis"), (1, Some(Chassis), None));
        assert_eq!(ok("0 x fan"), (0, Some(Fan), None), "the service names a count of 0");
        // A model number that starts with digits is not a count.
        assert_eq!(ok("3PAR 8200"), (1, None, Some("3PAR 8200")));
    }

    #[test]
    fn unreadable_lines_say_why() {
        assert!(parse_line("99999999999 x dimm").unwrap_err().contains("at most 1024"));
        assert!(parse_line("16 x").unwrap_err().contains("give a kind"));
        assert!(parse_line("16").unwrap_err().contains("give a kind"));
    }

    #[test]
    fn service_errors_land_on_their_lines() {
        let text = BomText { lines: vec![(1, "2 x psu".into()), (4, "0 x fan".into())] };
        let mut f = FormState::default();
        f.fail("bom[1]_count", "must be between 1 and 1024");
        f.fail("bom[0]", "repeats the kind and model of an earlier line");
        f.fail("bom", "may have at most 64 lines, not 65");
        let f = text.relabel(f);
        assert_eq!(
            line_errors(&f),
            [
                "line 1 “2 x psu”: repeats the kind and model of an earlier line",
                "line 4 “0 x fan”: count must be between 1 and 1024"
            ]
        );
        assert_eq!(f.err("bom"), Some("may have at most 64 lines, not 65"));
    }

    #[test]
    fn written_lines_read_back() {
        let bom = vec![BomLine { kind: Psu, model_id: None, count: 2 }];
        assert_eq!(write(&bom, &HashMap::new()), "2 x psu");
        assert_eq!(ok(&write(&bom, &HashMap::new())), (2, Some(Psu), None));
    }
}
