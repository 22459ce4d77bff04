//! A policy pack: TOML text in, a validated [`Policy`] out, or every problem in it with
//! its line, field and reason (not just the first). Pure: std, serde, toml and `rules`.
//!
//! `docs/policy.md` documents every field; `refdata/policy/default.toml` is the pack
//! reloop ships. What is checked here is what a pack can get wrong by itself (syntax,
//! types, unknown keys, ranges, contradictions, rules that can never fire, tiers no rule
//! reaches); whether its named replacement models exist is checked by `policy::service`
//! against the catalog.

use std::collections::HashSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::rules::{AssetKind, Disposition, RetailGrade, State, WorkloadTier, policy::model_footprint_gb};

/// One problem in a pack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PackError {
    /// 1-based line of the pack text.
    pub line: usize,
    /// The field, as a path: `rule[3].max_age_years`, `assumptions.utilisation`.
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for PackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// A validated policy: what the engine reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub name: String,
    pub description: String,
    pub assumptions: Assumptions,
    pub due: Due,
    pub tiers: Vec<Tier>,
    pub replacements: Vec<Replacement>,
    pub rules: Vec<Rule>,
}

/// The figures every evaluation uses.
#[derive(Clone, Debug, PartialEq)]
pub struct Assumptions {
    /// u: the share of the year an item works at its maximum power.
    pub utilisation: f64,
    /// A replacement that pays back its embodied carbon within this many years beats reuse.
    pub horizon_years: f64,
    /// The service life of a new replacement, over which its embodied carbon is spread.
    pub new_service_life_years: f64,
    /// Used where a site records no PUE.
    pub default_pue: f64,
    /// Used where a site records no grid intensity, in gCO2e/kWh.
    pub default_grid_ci_g_per_kwh: f64,
    /// Regulation (EU) 2019/424: firmware and security updates for at least this many years
    /// after release, the estimate used where a model records no `support_ends_on`.
    pub support_years_after_release: f64,
}

/// When an item is due for a decision (the fleet page).
#[derive(Clone, Debug, PartialEq)]
pub struct Due {
    pub age_years: f64,
    pub failures: u32,
    pub support_ending_within_days: u32,
}

/// A second-life tier the policy offers.
#[derive(Clone, Debug, PartialEq)]
pub struct Tier {
    pub tier: WorkloadTier,
    pub line: usize,
    /// Small-model inference: the model it is sized for.
    pub model: Option<ModelSize>,
}

/// A named model at a stated quantisation, and the GPU memory it needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSize {
    pub name: String,
    pub params_b: f64,
    pub quant_bits: u32,
    pub overhead: f64,
    pub needs_vram_gb: f64,
}

/// The new model an item of these kinds would be replaced with (first match wins).
#[derive(Clone, Debug, PartialEq)]
pub struct Replacement {
    pub kinds: Vec<AssetKind>,
    pub min_vram_gb: Option<f64>,
    pub manufacturer: String,
    pub model_number: String,
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Suggests its disposition when its conditions hold.
    #[default]
    Suggest,
    /// Rules its dispositions out when its conditions hold.
    RuleOut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// Firmware and security updates still available.
    Active,
    /// Updates have ended.
    Ended,
}

/// One rule of the pack.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: String,
    pub line: usize,
    pub effect: Effect,
    /// Suggest: its one disposition. Rule out: those it rules out.
    pub dispositions: Vec<Disposition>,
    pub tier: Option<WorkloadTier>,
    pub score: f64,
    pub extra_life_years: f64,
    pub reason: String,
    pub when: Conditions,
}

/// What must hold for a rule to fire (every given condition).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conditions {
    pub kinds: Vec<AssetKind>,
    pub states: Vec<State>,
    pub min_age_years: Option<f64>,
    pub max_age_years: Option<f64>,
    pub min_failures: Option<u32>,
    pub max_failures: Option<u32>,
    pub min_vram_gb: Option<f64>,
    pub min_cores: Option<u32>,
    pub min_memory_gb: Option<f64>,
    pub min_storage_tb: Option<f64>,
    pub max_power_w: Option<f64>,
    pub support: Option<Support>,
    pub grades: Vec<RetailGrade>,
    pub needs_demand: bool,
}

// ---- the text as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    name: String,
    #[serde(default)]
    description: String,
    assumptions: Spanned<RawAssumptions>,
    due: Spanned<RawDue>,
    #[serde(default, rename = "tier")]
    tiers: Vec<Spanned<RawTier>>,
    #[serde(default, rename = "replacement")]
    replacements: Vec<Spanned<RawReplacement>>,
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssumptions {
    utilisation: f64,
    horizon_years: f64,
    new_service_life_years: f64,
    default_pue: f64,
    default_grid_ci_g_per_kwh: f64,
    support_years_after_release: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDue {
    age_years: f64,
    failures: u32,
    support_ending_within_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    tier: WorkloadTier,
    model: Option<String>,
    params_b: Option<f64>,
    quant_bits: Option<u32>,
    overhead: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReplacement {
    kinds: Vec<AssetKind>,
    min_vram_gb: Option<f64>,
    manufacturer: String,
    model_number: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    #[serde(default)]
    effect: Effect,
    disposition: Option<Disposition>,
    #[serde(default)]
    dispositions: Vec<Disposition>,
    tier: Option<WorkloadTier>,
    score: Option<f64>,
    extra_life_years: Option<f64>,
    reason: Option<String>,
    #[serde(default)]
    kinds: Vec<AssetKind>,
    #[serde(default)]
    states: Vec<State>,
    min_age_years: Option<f64>,
    max_age_years: Option<f64>,
    min_failures: Option<u32>,
    max_failures: Option<u32>,
    min_vram_gb: Option<f64>,
    min_cores: Option<u32>,
    min_memory_gb: Option<f64>,
    min_storage_tb: Option<f64>,
    max_power_w: Option<f64>,
    support: Option<Support>,
    #[serde(default)]
    grades: Vec<RetailGrade>,
    #[serde(default)]
    needs_demand: bool,
}

/// The pack reloop ships (`refdata/policy/default.toml`).
pub const DEFAULT_PACK: &str = include_str!("../../refdata/policy/default.toml");

/// At most this many bytes of pack text.
pub const MAX_PACK_BYTES: usize = 256 * 1024;

/// 1-based line of byte `offset` in `src`.
fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset.min(src.len())).map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

/// Collects problems while a pack is checked.
struct Check<'a> {
    src: &'a str,
    out: Vec<PackError>,
}

impl Check<'_> {
    fn at(&mut self, line: usize, field: impl Into<String>, reason: impl Into<String>) {
        self.out.push(PackError { line, field: field.into(), reason: reason.into() });
    }

    /// The line of `key = …` in the table whose header (or first key) is at `span`: from
    /// there to the next table header. Else the table's first line.
    fn line_in(&self, span: &Range<usize>, key: &str) -> usize {
        let start = span.start.min(self.src.len());
        let body = self.src.get(start..).unwrap_or("");
        let mut offset = start;
        for (i, l) in body.split_inclusive('\n').enumerate() {
            let t = l.trim_start();
            if i > 0 && t.starts_with('[') {
                break;
            }
            if let Some(rest) = t.strip_prefix(key)
                && rest.trim_start().starts_with('=')
            {
                return line_of(self.src, offset);
            }
            offset += l.len();
        }
        line_of(self.src, start)
    }

    fn range(&mut self, span: &Range<usize>, path: &str, key: &str, v: f64, lo: Lo, hi: f64) {
        let (bad_lo, lo_s) = match lo {
            Lo::Over(l) => (v <= l, format!("more than {l}")),
            Lo::AtLeast(l) => (v < l, format!("at least {l}")),
        };
        if !v.is_finite() || v > hi || bad_lo {
            let line = self.line_in(span, key);
            self.at(line, format!("{path}.{key}"), format!("is {v}: must be {lo_s} and at most {hi}"));
        }
    }
}

/// The lower bound of a range: exclusive (`Over`) or inclusive (`AtLeast`).
#[derive(Clone, Copy)]
enum Lo {
    Over(f64),
    AtLeast(f64),
}

/// Parses and validates a pack. Every problem is returned, ordered by line.
pub fn parse(src: &str) -> Result<Policy, Vec<PackError>> {
    if src.len() > MAX_PACK_BYTES {
        return Err(vec![PackError {
            line: 1,
            field: "pack".into(),
            reason: format!("is {} bytes: a pack is at most {MAX_PACK_BYTES}", src.len()),
        }]);
    }
    let raw: RawPack = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map_or(1, |s| line_of(src, s.start));
            let field = e.span().map_or_else(|| "pack".to_owned(), |s| key_at(src, &s));
            return Err(vec![PackError { line, field, reason: e.message().trim().to_owned() }]);
        }
    };
    let mut c = Check { src, out: Vec::new() };
    let policy = check(&mut c, raw);
    if c.out.is_empty() {
        Ok(policy)
    } else {
        c.out.sort_by_key(|e| e.line);
        Err(c.out)
    }
}

/// The key a serde error is about: the word at its span, or the key of the `key = value`
/// line the span is on; "pack" at the top.
fn key_at(src: &str, s: &Range<usize>) -> String {
    let word = |t: &str| -> String {
        t.trim().chars().take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_' || *ch == '-').collect()
    };
    let at = word(src.get(s.start..s.end.min(src.len())).unwrap_or(""));
    if !at.is_empty() {
        return at;
    }
    let line_start = src.get(..s.start.min(src.len())).and_then(|b| b.rfind('\n')).map_or(0, |i| i + 1);
    let line = src.get(line_start..).and_then(|l| l.lines().next()).unwrap_or("");
    match line.split_once('=') {
        Some((k, _)) if !word(k).is_empty() => word(k),
        _ => "pack".into(),
    }
}

fn check(c: &mut Check<'_>, raw: RawPack) -> Policy {
    if raw.name.trim().is_empty() {
        c.at(1, "name", "must not be empty");
    }
    let a_span = raw.assumptions.span();
    let a = raw.assumptions.into_inner();
    c.range(&a_span, "assumptions", "utilisation", a.utilisation, Lo::Over(0.0), 1.0);
    c.range(&a_span, "assumptions", "horizon_years", a.horizon_years, Lo::Over(0.0), 50.0);
    c.range(&a_span, "assumptions", "new_service_life_years", a.new_service_life_years, Lo::AtLeast(1.0), 30.0);
    c.range(&a_span, "assumptions", "default_pue", a.default_pue, Lo::AtLeast(1.0), 3.0);
    c.range(&a_span, "assumptions", "default_grid_ci_g_per_kwh", a.default_grid_ci_g_per_kwh, Lo::AtLeast(0.0), 2000.0);
    c.range(
        &a_span,
        "assumptions",
        "support_years_after_release",
        a.support_years_after_release,
        Lo::AtLeast(1.0),
        30.0,
    );
    let d_span = raw.due.span();
    let d = raw.due.into_inner();
    c.range(&d_span, "due", "age_years", d.age_years, Lo::Over(0.0), 50.0);
    if !(1..=1000).contains(&d.failures) {
        let line = c.line_in(&d_span, "failures");
        c.at(line, "due.failures", format!("is {}: must be 1–1000", d.failures));
    }
    if d.support_ending_within_days > 3650 {
        let line = c.line_in(&d_span, "support_ending_within_days");
        c.at(line, "due.support_ending_within_days", format!("is {}: must be 0–3650", d.support_ending_within_days));
    }

    let mut tiers: Vec<Tier> = Vec::new();
    for (i, t) in raw.tiers.into_iter().enumerate() {
        let span = t.span();
        let t = t.into_inner();
        let path = format!("tier[{}]", i + 1);
        let line = line_of(c.src, span.start);
        if !t.tier.is_second_life() {
            let l = c.line_in(&span, "tier");
            c.at(l, format!("{path}.tier"), format!("{} is not a second-life tier", t.tier));
        }
        if tiers.iter().any(|o| o.tier == t.tier) {
            let l = c.line_in(&span, "tier");
            c.at(l, format!("{path}.tier"), format!("{} is declared twice", t.tier));
        }
        let model = if t.tier == WorkloadTier::SmallModelInference {
            let mut ok = true;
            let name = t.model.unwrap_or_default();
            if name.trim().is_empty() {
                c.at(line, format!("{path}.model"), "small-model inference names the model it is sized for");
                ok = false;
            }
            let params_b = t.params_b.unwrap_or(f64::NAN);
            if !(0.1..=2000.0).contains(&params_b) {
                let l = c.line_in(&span, "params_b");
                c.at(l, format!("{path}.params_b"), "must be the model's size in billions of parameters, 0.1–2000");
                ok = false;
            }
            let bits = t.quant_bits.unwrap_or(0);
            if ![2, 3, 4, 5, 6, 8, 16].contains(&bits) {
                let l = c.line_in(&span, "quant_bits");
                c.at(l, format!("{path}.quant_bits"), "must be the bits per weight: 2, 3, 4, 5, 6, 8 or 16");
                ok = false;
            }
            let overhead = t.overhead.unwrap_or(1.2);
            if !(1.0..=3.0).contains(&overhead) {
                let l = c.line_in(&span, "overhead");
                c.at(l, format!("{path}.overhead"), format!("is {overhead}: must be 1–3"));
                ok = false;
            }
            ok.then(|| ModelSize {
                name,
                params_b,
                quant_bits: bits,
                overhead,
                needs_vram_gb: model_footprint_gb(params_b, bits, overhead),
            })
        } else {
            for (key, set) in [
                ("model", t.model.is_some()),
                ("params_b", t.params_b.is_some()),
                ("quant_bits", t.quant_bits.is_some()),
                ("overhead", t.overhead.is_some()),
            ] {
                if set {
                    let l = c.line_in(&span, key);
                    c.at(l, format!("{path}.{key}"), "only a small_model_inference tier is sized for a model");
                }
            }
            None
        };
        tiers.push(Tier { tier: t.tier, line, model });
    }

    let mut replacements = Vec::new();
    for (i, r) in raw.replacements.into_iter().enumerate() {
        let span = r.span();
        let r = r.into_inner();
        let path = format!("replacement[{}]", i + 1);
        let line = line_of(c.src, span.start);
        if r.kinds.is_empty() {
            let l = c.line_in(&span, "kinds");
            c.at(l, format!("{path}.kinds"), "must name at least one kind");
        }
        for (key, v) in [("manufacturer", &r.manufacturer), ("model_number", &r.model_number)] {
            if v.trim().is_empty() {
                let l = c.line_in(&span, key);
                c.at(l, format!("{path}.{key}"), "must name the catalog model");
            }
        }
        if let Some(v) = r.min_vram_gb {
            c.range(&span, &path, "min_vram_gb", v, Lo::AtLeast(0.0), 4096.0);
        }
        replacements.push(Replacement {
            kinds: r.kinds,
            min_vram_gb: r.min_vram_gb,
            manufacturer: r.manufacturer.trim().to_owned(),
            model_number: r.model_number.trim().to_owned(),
            line,
        });
    }

    let mut ids = HashSet::new();
    let mut rules = Vec::new();
    for (i, r) in raw.rules.into_iter().enumerate() {
        let span = r.span();
        let r = r.into_inner();
        let path = format!("rule[{}]", i + 1);
        if let Some(rule) = check_rule(c, &span, &path, r, &tiers, &mut ids) {
            rules.push(rule);
        }
    }
    // A tier no rule can reach: declared, but no rule that can fire suggests it.
    for t in &tiers {
        let reached = rules.iter().any(|r| {
            r.effect == Effect::Suggest && r.dispositions == [Disposition::Redeploy] && r.tier == Some(t.tier)
        });
        if !reached {
            c.at(t.line, "tier", format!("no rule suggests redeploying to {}: add one or remove the tier", t.tier));
        }
    }
    Policy {
        name: raw.name.trim().to_owned(),
        description: raw.description.trim().to_owned(),
        assumptions: Assumptions {
            utilisation: a.utilisation,
            horizon_years: a.horizon_years,
            new_service_life_years: a.new_service_life_years,
            default_pue: a.default_pue,
            default_grid_ci_g_per_kwh: a.default_grid_ci_g_per_kwh,
            support_years_after_release: a.support_years_after_release,
        },
        due: Due {
            age_years: d.age_years,
            failures: d.failures,
            support_ending_within_days: d.support_ending_within_days,
        },
        tiers,
        replacements,
        rules,
    }
}

/// Checks one rule; `None` when it is not usable (its problems are recorded).
fn check_rule(
    c: &mut Check<'_>,
    span: &Range<usize>,
    path: &str,
    r: RawRule,
    tiers: &[Tier],
    ids: &mut HashSet<String>,
) -> Option<Rule> {
    let before = c.out.len();
    let line = line_of(c.src, span.start);
    let id = r.id.trim().to_owned();
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_');
    if !id_ok {
        let l = c.line_in(span, "id");
        c.at(l, format!("{path}.id"), "must be 1–64 characters of a–z, 0–9, - and _");
    } else if !ids.insert(id.clone()) {
        let l = c.line_in(span, "id");
        c.at(l, format!("{path}.id"), format!("{id} is used by another rule"));
    }
    let field = |k: &str| format!("{path}.{k}");
    let dispositions = match r.effect {
        Effect::Suggest => {
            if !r.dispositions.is_empty() {
                let l = c.line_in(span, "dispositions");
                c.at(
                    l,
                    field("dispositions"),
                    "a suggest rule names one `disposition`; `dispositions` is for rule_out",
                );
            }
            match r.disposition {
                Some(d) => vec![d],
                None => {
                    c.at(line, field("disposition"), format!("is required: one of {}", Disposition::expected()));
                    Vec::new()
                }
            }
        }
        Effect::RuleOut => {
            if r.disposition.is_some() {
                let l = c.line_in(span, "disposition");
                c.at(l, field("disposition"), "a rule_out rule lists what it rules out in `dispositions`");
            }
            if r.dispositions.is_empty() {
                c.at(line, field("dispositions"), "a rule_out rule names the dispositions it rules out");
            }
            r.dispositions.clone()
        }
    };
    let score = match (r.effect, r.score) {
        (Effect::Suggest, Some(s)) => {
            c.range(span, path, "score", s, Lo::AtLeast(0.0), 100.0);
            s
        }
        (Effect::Suggest, None) => {
            c.at(line, field("score"), "is required: 0–100, higher is better");
            0.0
        }
        (Effect::RuleOut, Some(_)) => {
            let l = c.line_in(span, "score");
            c.at(l, field("score"), "a rule_out rule has no score");
            0.0
        }
        (Effect::RuleOut, None) => 0.0,
    };
    let extra_life_years = match (r.effect, r.extra_life_years) {
        (Effect::RuleOut, Some(_)) => {
            let l = c.line_in(span, "extra_life_years");
            c.at(l, field("extra_life_years"), "a rule_out rule gives no service life");
            0.0
        }
        (_, Some(v)) => {
            c.range(span, path, "extra_life_years", v, Lo::AtLeast(0.0), 20.0);
            v
        }
        (_, None) => 0.0,
    };
    let reason = r.reason.unwrap_or_default().trim().to_owned();
    if r.effect == Effect::RuleOut && reason.is_empty() {
        c.at(line, field("reason"), "a rule_out rule says why, in words people read");
    }
    if reason.chars().count() > 300 || reason.chars().any(char::is_control) {
        let l = c.line_in(span, "reason");
        c.at(l, field("reason"), "must be one line of at most 300 characters");
    }
    let redeploys = dispositions.contains(&Disposition::Redeploy);
    match r.tier {
        Some(t) if !redeploys => {
            let l = c.line_in(span, "tier");
            c.at(l, field("tier"), format!("only a redeploy rule names a tier ({t} given)"));
        }
        Some(t) if !tiers.iter().any(|d| d.tier == t) => {
            let l = c.line_in(span, "tier");
            c.at(l, field("tier"), format!("{t} is not declared in a [[tier]] table"));
        }
        None if r.effect == Effect::Suggest && redeploys => {
            c.at(line, field("tier"), "a redeploy rule names the second-life tier it suggests");
        }
        _ => {}
    }
    // Ranges and contradictions of the conditions.
    for (key, v, hi) in [
        ("min_age_years", r.min_age_years, 50.0),
        ("max_age_years", r.max_age_years, 50.0),
        ("min_vram_gb", r.min_vram_gb, 4096.0),
        ("min_memory_gb", r.min_memory_gb, 65536.0),
        ("min_storage_tb", r.min_storage_tb, 10000.0),
        ("max_power_w", r.max_power_w, 100_000.0),
    ] {
        if let Some(v) = v {
            c.range(span, path, key, v, Lo::AtLeast(0.0), hi);
        }
    }
    for (key, v) in [("min_failures", r.min_failures), ("max_failures", r.max_failures), ("min_cores", r.min_cores)] {
        if let Some(v) = v
            && v > 4096
        {
            let l = c.line_in(span, key);
            c.at(l, field(key), format!("is {v}: must be at most 4096"));
        }
    }
    let never = |c: &mut Check<'_>, key: &str, why: String| {
        let l = c.line_in(span, key);
        c.at(l, field(key), format!("the rule can never fire: {why}"));
    };
    if let (Some(lo), Some(hi)) = (r.min_age_years, r.max_age_years)
        && lo > hi
    {
        never(c, "max_age_years", format!("max_age_years {hi} is below min_age_years {lo}"));
    }
    if let (Some(lo), Some(hi)) = (r.min_failures, r.max_failures)
        && lo > hi
    {
        never(c, "max_failures", format!("max_failures {hi} is below min_failures {lo}"));
    }
    if !r.states.is_empty() {
        for d in &dispositions {
            if r.states.iter().all(|s| !d.starts_from(*s)) {
                let listed: Vec<&str> = r.states.iter().map(|s| s.as_str()).collect();
                never(c, "states", format!("{d} never starts from {}", listed.join(", ")));
            }
        }
    }
    if !r.kinds.is_empty() {
        use AssetKind::*;
        for (key, set, can) in [
            ("min_vram_gb", r.min_vram_gb.is_some_and(|v| v > 0.0), &[Server, Chassis, Board, Gpu][..]),
            ("min_cores", r.min_cores.is_some_and(|v| v > 0), &[Server, Chassis, Board, Cpu][..]),
            ("min_memory_gb", r.min_memory_gb.is_some_and(|v| v > 0.0), &[Server, Chassis, Board, Dimm][..]),
            ("min_storage_tb", r.min_storage_tb.is_some_and(|v| v > 0.0), &[Server, Chassis, Hdd, Ssd, Nvme][..]),
        ] {
            if set && r.kinds.iter().all(|k| !can.contains(k)) {
                let listed: Vec<&str> = r.kinds.iter().map(|k| k.as_str()).collect();
                never(c, key, format!("no {} has it", listed.join(" or ")));
            }
        }
    }
    if r.needs_demand && dispositions.iter().any(|d| *d != Disposition::PartsDonor) {
        never(c, "needs_demand", "needs_demand counts parts a donor would give: it applies to parts_donor only".into());
    }
    if c.out.len() > before {
        return None;
    }
    Some(Rule {
        id,
        line,
        effect: r.effect,
        dispositions,
        tier: r.tier,
        score,
        extra_life_years,
        reason,
        when: Conditions {
            kinds: r.kinds,
            states: r.states,
            min_age_years: r.min_age_years,
            max_age_years: r.max_age_years,
            min_failures: r.min_failures,
            max_failures: r.max_failures,
            min_vram_gb: r.min_vram_gb,
            min_cores: r.min_cores,
            min_memory_gb: r.min_memory_gb,
            min_storage_tb: r.min_storage_tb,
            max_power_w: r.max_power_w,
            support: r.support,
            grades: r.grades,
            needs_demand: r.needs_demand,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(src: &str) -> Vec<PackError> {
        parse(src).expect_err("the pack should be refused")
    }

    const HEAD: &str = "name = \"t\"\n\
[assumptions]\n\
utilisation = 0.5\n\
horizon_years = 4\n\
new_service_life_years = 5\n\
default_pue = 1.5\n\
default_grid_ci_g_per_kwh = 300\n\
support_years_after_release = 7\n\
[due]\n\
age_years = 5\n\
failures = 2\n\
support_ending_within_days = 365\n";

    #[test]
    fn the_default_pack_loads() {
        let p = parse(DEFAULT_PACK).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(p.rules.len() >= 10);
        assert!(p.tiers.iter().any(|t| t.model.is_some()));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = errs(&format!("{HEAD}[[rule]]\nid = \"x\nscore = 1\n"));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 14, "{e:?}");
    }

    #[test]
    fn unknown_fields_and_wrong_types_name_line_and_field() {
        let e = errs(&format!("{HEAD}[[rule]]\nid = \"x\"\ndisposition = \"recycle\"\nscore = 1\nmin_agee = 3\n"));
        assert_eq!(e[0].line, 17, "{e:?}");
        assert!(e[0].reason.contains("min_agee"), "{e:?}");
        let e = errs(&format!("{HEAD}[[rule]]\nid = \"x\"\ndisposition = \"recycle\"\nscore = \"high\"\n"));
        assert_eq!(e[0].line, 16, "{e:?}");
        assert_eq!(e[0].field, "score", "{e:?}");
        let e = errs(&format!("{HEAD}[[rule]]\nid = \"x\"\ndisposition = \"bin\"\nscore = 3\n"));
        assert_eq!(e[0].line, 15, "{e:?}");
        assert!(e[0].reason.contains("recycle"), "names the valid values: {e:?}");
    }

    #[test]
    fn every_semantic_problem_is_reported_with_its_line() {
        let src = format!(
            "{HEAD}[[tier]]\ntier = \"ci_build\"\n\
[[rule]]\nid = \"a\"\ndisposition = \"keep_in_place\"\nscore = 140\nmin_age_years = 6\nmax_age_years = 3\n\
[[rule]]\nid = \"a\"\ndisposition = \"keep_in_place\"\nscore = 10\nstates = [\"retired\"]\n\
[[rule]]\nid = \"b\"\ndisposition = \"recycle\"\nscore = 10\nkinds = [\"hdd\"]\nmin_vram_gb = 8\n"
        );
        let e = errs(&src);
        let got: Vec<(usize, &str)> = e.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (13, "tier"),
                (18, "rule[1].score"),
                (20, "rule[1].max_age_years"),
                (22, "rule[2].id"),
                (25, "rule[2].states"),
                (31, "rule[3].min_vram_gb"),
            ],
            "{e:#?}"
        );
        assert!(e[0].reason.contains("no rule suggests"), "{e:?}");
        assert!(e[4].reason.contains("never fire"), "{e:?}");
    }

    #[test]
    fn out_of_range_assumptions_are_refused() {
        let e = errs(
            &HEAD.replace("utilisation = 0.5", "utilisation = 1.5").replace("default_pue = 1.5", "default_pue = 0.8"),
        );
        let got: Vec<(usize, &str)> = e.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(got, vec![(3, "assumptions.utilisation"), (6, "assumptions.default_pue")]);
    }
}
