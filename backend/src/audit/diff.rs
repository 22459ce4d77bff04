//! What an audit entry changed, field by field, as people read it: only the fields whose
//! value differs, each with the label the UI gives it, old → new. Pure: the names of the
//! items, sites, models and users an id points at are filled in by [`super::readable`].

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::rules::{AssetKind, CosmeticGrade, FunctionalGrade, RetailGrade, Role, State, WorkloadTier};

/// What kind of record an id points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    Asset,
    Site,
    Model,
    User,
}

/// Another record a value names.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Link {
    #[serde(rename = "type")]
    pub kind: RefKind,
    pub id: Uuid,
}

/// A value as shown: its text (a tag, a name or a label where the value is an id or a
/// code), and the record it names, if any.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Shown {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
}

impl Shown {
    pub fn text(t: impl Into<String>) -> Shown {
        Shown { text: t.into(), link: None }
    }

    pub fn link(kind: RefKind, id: Uuid) -> Shown {
        Shown { text: id.to_string(), link: Some(Link { kind, id }) }
    }

    /// Where the named record's page is (users have none that every reader may open).
    pub fn href(&self) -> Option<String> {
        self.link.as_ref().and_then(|l| match l.kind {
            RefKind::Asset => Some(format!("/assets/{}", l.id)),
            RefKind::Site => Some(format!("/sites/{}", l.id)),
            RefKind::Model => Some(format!("/models/{}", l.id)),
            RefKind::User => None,
        })
    }
}

/// One field that changed. `from`/`to` are absent where the field was empty or absent.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    /// The field's name in the record ("grade.functional" for nested ones).
    pub field: String,
    /// The field as the UI labels it ("Functional grade").
    pub label: String,
    pub from: Option<Shown>,
    pub to: Option<Shown>,
}

/// Bookkeeping that changes with every write and says nothing to a reader.
const NOISE: [&str; 4] = ["id", "version", "created_at", "updated_at"];

/// The labels the UI uses for fields, in the order its pages list them; others are spelled
/// out from their name and come after, alphabetically.
const LABELS: [(&str, &str); 22] = [
    ("asset_tag", "Asset tag"),
    ("kind", "Kind"),
    ("model_id", "Model"),
    ("model_number", "Model number"),
    ("manufacturer", "Manufacturer"),
    ("serial", "Serial"),
    ("site_id", "Site"),
    ("parent_id", "Installed in"),
    ("state", "State"),
    ("custodian", "Custodian"),
    ("workload_tier", "Workload"),
    ("grade.functional", "Functional grade"),
    ("grade.cosmetic", "Cosmetic grade"),
    ("grade.retail", "Retail grade"),
    ("acquired_on", "Acquired"),
    ("first_deployed_on", "First deployed"),
    ("mass_override_kg", "Mass override"),
    ("mass_kg", "Mass"),
    ("holds_data", "Holds data"),
    ("notes", "Notes"),
    ("user_id", "User"),
    ("pue", "PUE"),
];

/// The label of a field as the UI shows it.
pub fn label(field: &str) -> String {
    if let Some((_, l)) = LABELS.iter().find(|(f, _)| *f == field) {
        return (*l).to_owned();
    }
    let last = field.rsplit('.').next().unwrap_or(field);
    let words = last.strip_suffix("_id").unwrap_or(last).replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => field.to_owned(),
    }
}

/// The fields that differ between `before` and `after` (either may be absent: a record
/// created has no before), in the order the UI lists them, without bookkeeping.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let mut old = Vec::new();
    let mut new = Vec::new();
    if let Some(b) = before {
        flatten("", b, &mut old);
    }
    if let Some(a) = after {
        flatten("", a, &mut new);
    }
    let mut fields: Vec<&str> = new.iter().map(|(k, _)| k.as_str()).collect();
    for (k, _) in &old {
        if !fields.contains(&k.as_str()) {
            fields.push(k);
        }
    }
    let rank = |f: &str| LABELS.iter().position(|(l, _)| *l == f).unwrap_or(LABELS.len());
    fields.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let get = |list: &[(String, Value)], k: &str| list.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
    fields
        .into_iter()
        .filter(|f| !NOISE.contains(f))
        .filter_map(|f| {
            let (b, a) = (get(&old, f), get(&new, f));
            let (from, to) = (shown(f, b.as_ref()), shown(f, a.as_ref()));
            (from != to).then(|| FieldChange { field: f.to_owned(), label: label(f), from, to })
        })
        .collect()
}

/// Objects become dotted fields; anything else is a leaf.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, x, out);
            }
        }
        _ if prefix.is_empty() => out.push(("value".to_owned(), v.clone())),
        _ => out.push((prefix.to_owned(), v.clone())),
    }
}

/// A value as the UI shows it: codes as their labels, ids as links, empty as absent.
pub fn shown(field: &str, v: Option<&Value>) -> Option<Shown> {
    let v = v?;
    let last = field.rsplit('.').next().unwrap_or(field);
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => {
            if let Some(kind) = ref_kind(last)
                && let Ok(id) = s.parse::<Uuid>()
            {
                return Some(Shown::link(kind, id));
            }
            Some(Shown::text(code_label(field, s).unwrap_or_else(|| s.clone())))
        }
        Value::Bool(b) => Some(Shown::text(if *b { "yes" } else { "no" })),
        Value::Number(n) if last.ends_with("_kg") => Some(Shown::text(format!("{n} kg"))),
        Value::Number(n) => Some(Shown::text(n.to_string())),
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(Shown::text(
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        )),
        Value::Object(_) => Some(Shown::text(v.to_string())),
    }
}

/// The record an id field names.
fn ref_kind(field: &str) -> Option<RefKind> {
    match field {
        "asset_id" | "parent_id" | "from_parent" | "to_parent" => Some(RefKind::Asset),
        "site_id" => Some(RefKind::Site),
        "model_id" => Some(RefKind::Model),
        "user_id" | "actor_id" => Some(RefKind::User),
        _ => None,
    }
}

/// The label of a coded value (a state, a kind, a grade, a workload, a role).
fn code_label(field: &str, code: &str) -> Option<String> {
    let l = match field {
        "state" | "from" | "to" => State::parse(code).map(|s| s.label()),
        "kind" => AssetKind::parse(code).map(|k| k.label()),
        "workload_tier" => WorkloadTier::parse(code).map(|w| w.label()),
        "grade.functional" => FunctionalGrade::parse(code).map(|g| g.label()),
        "grade.cosmetic" => CosmeticGrade::parse(code).map(|g| g.label()),
        "grade.retail" => RetailGrade::parse(code).map(|g| g.label()),
        "role" => Role::parse(code).map(|r| r.label()),
        _ => None,
    };
    l.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_fields_with_their_labels_and_shown_values() {
        let site = Uuid::now_v7();
        let before = json!({"id": "x", "version": 3, "custodian": "Ops", "notes": "", "state": "deployed",
            "grade": {"functional": null, "cosmetic": "c"}, "site_id": null, "holds_data": false, "mass_override_kg": 1.5});
        let after = json!({"id": "x", "version": 4, "custodian": "Lab", "notes": "cracked bezel", "state": "deployed",
            "grade": {"functional": "F3", "cosmetic": "c"}, "site_id": site.to_string(), "holds_data": false, "mass_override_kg": 2});
        let d = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["site_id", "custodian", "grade.functional", "mass_override_kg", "notes"]);
        assert_eq!(d[0].to, Some(Shown::link(RefKind::Site, site)));
        assert_eq!(d[0].to.as_ref().and_then(Shown::href), Some(format!("/sites/{site}")));
        assert_eq!(d[1].label, "Custodian");
        assert_eq!((d[1].from.clone(), d[1].to.clone()), (Some(Shown::text("Ops")), Some(Shown::text("Lab"))));
        assert_eq!(d[2].label, "Functional grade");
        assert_eq!(d[2].to.as_ref().map(|s| s.text.as_str()), Some("F3 key functions working"));
        assert_eq!(d[3].to, Some(Shown::text("2 kg")));
        assert_eq!(d[4].from, None, "an empty note is shown as absent");
    }

    #[test]
    fn a_created_record_lists_what_it_was_created_with() {
        let d = diff(None, Some(&json!({"id": "x", "role": "asset_manager", "active": true, "display_name": ""})));
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].label.as_str(), d[0].to.as_ref().map(|s| s.text.as_str())), ("Active", Some("yes")));
        assert_eq!(
            (d[1].label.as_str(), d[1].to.as_ref().map(|s| s.text.as_str())),
            ("Role", Role::parse("asset_manager").map(|r| r.label()))
        );
    }

    #[test]
    fn unknown_fields_are_spelled_out() {
        assert_eq!(label("first_failure_at"), "First failure at");
        assert_eq!(label("vendor_id"), "Vendor");
        assert_eq!(label("grade.retail"), "Retail grade");
    }
}
