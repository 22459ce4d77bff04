//! Input hygiene shared by every service: trimming, length limits, and the lookup keys
//! used for case-insensitive uniqueness and prefix search.
//!
//! Any Unicode text is accepted and stored as given (templates escape it on output); only
//! NUL and other control characters are refused where they can never be meant (PostgreSQL
//! cannot store NUL at all).

use crate::error::Problems;

/// Lookup key: trimmed and lower-cased, so "RL-0001" and "rl-0001 " collide.
pub fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Validates a required single-line value (tags, names): trimmed, non-empty, bounded,
/// without control characters. Returns the trimmed value.
pub fn required_line(p: &mut Problems, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        p.add(field, "is required");
    } else {
        check_line(p, field, v, max);
    }
    v.to_owned()
}

/// Like [`required_line`] for an optional value; blank becomes `None`.
pub fn optional_line(p: &mut Problems, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    check_line(p, field, v, max);
    Some(v.to_owned())
}

fn check_line(p: &mut Problems, field: &str, v: &str, max: usize) {
    if v.chars().count() > max {
        p.add(field, format!("must be at most {max} characters"));
    } else if v.chars().any(char::is_control) {
        p.add(field, "must not contain control characters (tabs, line breaks, NUL)");
    }
}

/// Validates free text (notes): line breaks and tabs are fine, NUL and other controls are not.
pub fn free_text(p: &mut Problems, field: &str, value: &str, max: usize) -> String {
    if value.chars().count() > max {
        p.add(field, format!("must be at most {max} characters"));
    } else if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        p.add(field, "must not contain control characters other than line breaks and tabs");
    }
    value.to_owned()
}

/// Validates an optional number against an inclusive range.
pub fn number_in(p: &mut Problems, field: &str, value: Option<f64>, min: f64, max: f64) -> Option<f64> {
    if let Some(v) = value
        && (!v.is_finite() || v < min || v > max)
    {
        p.add(field, format!("must be between {min} and {max}"));
    }
    value
}

/// Why a JSON value is refused where a small JSON object is expected (specs, payloads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonObjectProblem {
    NotObject,
    /// Longer than the limit once serialised (or not serialisable).
    TooLarge,
    /// A NUL character somewhere (PostgreSQL cannot store it).
    Nul,
}

/// Checks that `value` is an object of at most `max_bytes` of serialised JSON without NUL
/// characters, serialising it once. Callers word the problem for their field.
pub fn json_object_problem(value: &serde_json::Value, max_bytes: usize) -> Option<JsonObjectProblem> {
    if !value.is_object() {
        return Some(JsonObjectProblem::NotObject);
    }
    match serde_json::to_string(value) {
        Ok(s) if s.len() > max_bytes => Some(JsonObjectProblem::TooLarge),
        Ok(s) if s.contains("\\u0000") => Some(JsonObjectProblem::Nul),
        Ok(_) => None,
        Err(_) => Some(JsonObjectProblem::TooLarge),
    }
}

/// The exclusive upper bound of a prefix range: every string starting with `prefix`
/// sorts (bytewise) below it.
pub fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Lines longer than this are refused for tags and serials.
/// The page size a list asks for: `default` when absent, else 1 to `max` (422 naming `limit`).
pub fn page_limit(given: Option<u64>, default: u64, max: u64) -> crate::error::AppResult<u64> {
    match given {
        None => Ok(default),
        Some(l) if (1..=max).contains(&l) => Ok(l),
        Some(_) => Err(crate::error::AppError::invalid("limit", format!("must be between 1 and {max}"))),
    }
}

/// A keyset cursor (the last id of the previous page), or `None` when absent or blank
/// (422 naming `cursor` when it is not an id).
pub fn page_cursor(given: Option<&str>) -> crate::error::AppResult<Option<uuid::Uuid>> {
    given
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            uuid::Uuid::parse_str(c)
                .map_err(|_| crate::error::AppError::invalid("cursor", "is not a valid page cursor"))
        })
        .transpose()
}

/// The label a form shows for a field, by its wire name (`acquired_on` → "Acquired on"),
/// so that messages people read use the words on the screen. Nested names
/// (`grade.functional`, `rows[2].kind`) are looked up by their last part.
pub fn field_label(field: &str) -> Option<&'static str> {
    let last = field.rsplit(['.', ']']).next().unwrap_or(field);
    let name = if last.is_empty() { field } else { last };
    Some(match name.trim_start_matches('.') {
        "asset_tag" => "Asset tag",
        "serial" => "Serial number",
        "manufacturer" => "Manufacturer",
        "kind" => "Kind",
        "model_id" => "Model",
        "parent_tag" | "parent_id" => "Installed in",
        "site_id" => "Site",
        "state" => "State",
        "functional" | "grade_functional" => "Functional grade",
        "cosmetic" | "grade_cosmetic" => "Cosmetic grade",
        "retail" | "grade_retail" => "Retail grade",
        "custodian" => "Custodian",
        "acquired_on" => "Acquired on",
        "first_deployed_on" => "First deployed on",
        "workload_tier" => "Workload",
        "mass_override_kg" => "Mass override (kg)",
        "holds_data" => "Holds user data",
        "notes" => "Notes",
        "reason" => "Reason",
        "to_state" => "State after removal",
        "child_tag" | "child_id" => "Part's asset tag",
        "model_number" => "Model number",
        "release_year" => "Release year",
        "form_factor" => "Form factor",
        "mass_kg" => "Mass of the item alone (kg)",
        "embodied_kgco2e" => "Embodied carbon (kgCO2e)",
        "embodied_source" => "Source of the embodied figure",
        "idle_w" => "Idle power (W)",
        "max_w" => "Max power (W)",
        "cpu_cores" => "CPU cores",
        "memory_gb" => "Memory (GB)",
        "gpu_vram_gb" => "GPU memory (GB)",
        "storage_tb" => "Storage (TB)",
        "perf_value" => "Performance figure",
        "perf_unit" => "Performance unit",
        "material_profile" => "Material profile",
        "unu_key" => "UNU-KEY (WEEE)",
        "support_ends_on" => "Firmware/security updates until",
        "specs" => "Further specifications",
        "bom" => "Bill of materials",
        "name" => "Name",
        "country" => "Country",
        "grid_ci_g_per_kwh" => "Grid carbon intensity (gCO2e/kWh)",
        "grid_ci_source" => "Source of that figure",
        "pue" => "PUE",
        "username" => "Username",
        "display_name" => "Your name",
        "password" => "Password",
        "password_again" => "Password again",
        "role" => "Role",
        "from" => "From",
        "q" => "Search",
        "cursor" => "Page",
        "limit" => "Page size",
        "version" => "Version",
        _ => return None,
    })
}

/// A field's label, or its name with underscores as spaces when it has none.
pub fn field_label_or_name(field: &str) -> String {
    field_label(field).map(str::to_owned).unwrap_or_else(|| field.replace('_', " "))
}

/// A message in the UI's words: wire names of fields and of closed vocabularies (states,
/// workloads, roles: any word with an underscore) become the labels the UI shows
/// (`acquired_on` → "Acquired on", `small_model_inference` → "Small-language-model
/// inference", `asset_manager` → "Asset manager").
pub fn plain(message: &str) -> String {
    use crate::rules::{Role, State, WorkloadTier};
    let label_of = |w: &str| -> Option<String> {
        if !w.contains('_') {
            return None;
        }
        State::parse(w)
            .map(|s| s.label().to_owned())
            .or_else(|| WorkloadTier::parse(w).map(|t| t.label().to_owned()))
            .or_else(|| Role::parse(w).map(|r| r.label().to_owned()))
            .or_else(|| field_label(w).map(str::to_owned))
    };
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let bare = word.trim_matches('`');
        match label_of(bare) {
            Some(l) => out.push_str(&l),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in message.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '`' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

pub const TAG_MAX: usize = 64;
pub const SERIAL_MAX: usize = 128;
pub const NAME_MAX: usize = 200;
pub const NOTES_MAX: usize = 10_000;
pub const REASON_MAX: usize = 2_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_use_the_labels_people_see() {
        assert_eq!(field_label("acquired_on"), Some("Acquired on"));
        assert_eq!(field_label("grade.functional"), Some("Functional grade"));
        assert_eq!(
            plain("cannot go from in_stock to small_model_inference for an asset_manager; see `acquired_on`"),
            "cannot go from In stock to Small-language-model inference for an Asset manager; see Acquired on"
        );
        assert_eq!(plain("must not exceed max_w"), "must not exceed Max power (W)");
        assert_eq!(plain("deployed stays; RL_1 too"), "deployed stays; RL_1 too", "unknown words are left alone");
    }

    #[test]
    fn json_objects_are_checked_for_shape_size_and_nul() {
        use JsonObjectProblem::*;
        assert_eq!(json_object_problem(&serde_json::json!({"a": 1}), 100), None);
        assert_eq!(json_object_problem(&serde_json::json!([1]), 100), Some(NotObject));
        assert_eq!(json_object_problem(&serde_json::json!({"a": "x".repeat(100)}), 100), Some(TooLarge));
        assert_eq!(json_object_problem(&serde_json::json!({"a": "x\u{0}y"}), 100), Some(Nul));
        // Too large wins over NUL, as both callers have always reported it.
        assert_eq!(
            json_object_problem(&serde_json::json!({"a": format!("\u{0}{}", "x".repeat(100))}), 100),
            Some(TooLarge)
        );
    }
}
