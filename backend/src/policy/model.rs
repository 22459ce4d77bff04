//! What the policy feature returns and takes: an item's suggestions as people and API
//! clients read them (every figure with its inputs, every rule by id and line), policy
//! versions, the fleet view and its totals, a dry run, and the acceptance of a suggestion.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::engine::{Avoided, AvoidedBasis, Candidate, Energy, Evaluation, Facts, Miss, NoPayback, Why, World};
use super::pack::{PackError, Policy, Support};
use crate::ids::{AssetId, SiteId};
use crate::rules::{Disposition, DueReason, WorkloadTier};

/// A site as a suggestion names it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SiteRef {
    pub id: SiteId,
    pub name: String,
}

/// A rule of the policy, as an explanation cites it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RuleRef {
    pub id: String,
    pub line: usize,
    pub reason: String,
}

/// The reuse-or-replace payback with every input.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PaybackView {
    /// The replacement model from the catalog.
    pub replacement: String,
    pub c_new_kgco2e: f64,
    pub c_new_source: String,
    /// The old item's yearly IT energy, kWh, and how it was found.
    pub e_old_kwh: f64,
    pub e_old_basis: String,
    /// The replacement's yearly energy for the old item's work, kWh, and how it was found.
    pub e_new_eq_kwh: f64,
    pub e_new_eq_basis: String,
    pub utilisation: f64,
    pub pue: f64,
    pub grid_kgco2e_per_kwh: f64,
    /// Null: the replacement saves no energy, so it never pays back.
    pub years: Option<f64>,
    /// The formula with the numbers in it.
    pub formula: String,
}

/// The figures behind an option.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NumbersView {
    pub extra_life_years: f64,
    /// E-waste deferred by this option, kg.
    pub deferred_kg: Option<f64>,
    /// Embodied carbon avoided, kgCO2e, with its basis and source.
    pub avoided_kgco2e: Option<f64>,
    pub avoided_basis: Option<String>,
    pub avoided_source: Option<String>,
    /// Operational emissions of a year of this life at its site, kgCO2e.
    pub operational_kgco2e_per_year: Option<f64>,
    pub pue: Option<f64>,
    pub grid_kgco2e_per_kwh: Option<f64>,
    pub payback: Option<PaybackView>,
    /// Keeping and redeploying: why there is no payback figure.
    pub no_payback: Option<String>,
}

/// Parts a dismantle job would give, and whom they would serve.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PartView {
    pub kind: crate::rules::AssetKind,
    pub model: String,
    pub count: u32,
    pub open_repairs_wanting: u32,
    pub spares_in_pool: u32,
    pub would_serve: u32,
    pub mass_kg: f64,
    pub embodied_kgco2e: f64,
}

/// One possible next life.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OptionView {
    pub rank: usize,
    pub disposition: Disposition,
    pub tier: Option<WorkloadTier>,
    /// Where it would serve (keep in place, redeploy).
    pub site: Option<SiteRef>,
    pub score: f64,
    pub eligible: bool,
    /// "Redeploy to CI and build runners at Stockholm STO1".
    pub title: String,
    pub fired: Vec<RuleRef>,
    /// Why it is ruled out, in words.
    pub ruled_out: Vec<String>,
    pub numbers: NumbersView,
    pub parts: Vec<PartView>,
}

/// A suggest rule that did not fire, and the first condition that failed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NotFired {
    pub rule: RuleRef,
    pub because: String,
}

/// The facts the engine used, as shown beside its answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FactsView {
    pub kind: crate::rules::AssetKind,
    pub state: crate::rules::State,
    pub model: Option<String>,
    pub age_years: Option<f64>,
    pub first_deployed_on: Option<NaiveDate>,
    pub repairs: u32,
    pub failed_tests: u32,
    pub grade: Option<crate::rules::RetailGrade>,
    pub cpu_cores: Option<u32>,
    pub memory_gb: Option<f64>,
    pub gpu_vram_gb: Option<f64>,
    pub storage_tb: Option<f64>,
    pub max_w: Option<f64>,
    pub mass_kg: Option<f64>,
    pub data_bearing_devices: u32,
    pub unsanitized_for_reuse: u32,
    pub unsanitized_for_transfer: u32,
    pub support_ends_on: Option<NaiveDate>,
    /// Whether `support_ends_on` is estimated (release year + the policy's window).
    pub support_estimated: bool,
    pub site: Option<SiteRef>,
    pub site_grid_g_per_kwh: Option<f64>,
    pub site_pue: Option<f64>,
    pub installed_in: Option<String>,
    pub open_work: Option<String>,
}

/// An item's suggestions: what `GET /api/v1/assets/{id}/suggestions` returns.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub asset_id: AssetId,
    pub asset_tag: String,
    /// The item's version the suggestions were made for; accepting a suggestion sends it back.
    pub asset_version: i32,
    /// The policy version that made them.
    pub policy_version: i32,
    pub policy_name: String,
    pub evaluated_on: NaiveDate,
    pub due: Vec<DueReason>,
    pub facts: FactsView,
    /// Eligible options best first, then those ruled out.
    pub options: Vec<OptionView>,
    pub not_fired: Vec<NotFired>,
}

fn rule_ref(p: &Policy, i: usize) -> RuleRef {
    let r = &p.rules[i];
    RuleRef { id: r.id.clone(), line: r.line, reason: r.reason.clone() }
}

fn site_ref(w: &World, i: Option<usize>) -> Option<SiteRef> {
    i.and_then(|i| w.sites.get(i)).map(|s| SiteRef { id: SiteId(s.id), name: s.name.clone() })
}

/// A label inside a sentence: "Development and test" → "development and test", "CI and
/// build runners" stays.
fn in_sentence(label: &str) -> String {
    let mut ch = label.chars();
    match (ch.next(), ch.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(label.chars().skip(1)).collect()
        }
        _ => label.to_owned(),
    }
}

/// A figure as people read it: at most two decimals, no trailing zeros.
pub fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// "Redeploy to CI and build runners at Stockholm STO1".
pub fn title(d: Disposition, tier: Option<WorkloadTier>, site: Option<&str>) -> String {
    match (d, tier, site) {
        (Disposition::Redeploy, Some(t), Some(s)) => format!("Redeploy to {} at {s}", in_sentence(t.label())),
        (Disposition::Redeploy, Some(t), None) => format!("Redeploy to {}", in_sentence(t.label())),
        (Disposition::KeepInPlace, _, Some(s)) => format!("Keep in place at {s}"),
        _ => d.label().to_owned(),
    }
}

fn why_text(p: &Policy, w: &Why) -> String {
    match w {
        Why::Rule(i) => format!("rule {} (line {}): {}", p.rules[*i].id, p.rules[*i].line, p.rules[*i].reason),
        Why::Data { devices, release } => {
            format!("{devices} data-bearing device(s) without a passing sanitization record that allows {release}")
        }
        Why::Payback { years, horizon } => format!(
            "replacing it pays back its embodied carbon in {years:.1} years, within the policy's {horizon}-year horizon"
        ),
        Why::OpenWork(w) => format!("it has {w}: that decides what happens next"),
        Why::Installed(t) => format!("it is installed in {t}: it follows that item"),
        Why::State(s) => format!("an item {} cannot start this", s.label().to_lowercase()),
        Why::NoSite => {
            "no site to run it at: it stays where it is until its data is sanitized, and that site runs no IT load"
                .into()
        }
    }
}

fn miss_text(m: &Miss) -> String {
    match m {
        Miss::Kind => "not a kind it applies to".into(),
        Miss::State => "not in a state it applies to".into(),
        Miss::AgeUnknown => "age unknown (no first deployment date)".into(),
        Miss::TooYoung { age, min } => format!("{age:.1} years old, under {min}"),
        Miss::TooOld { age, max } => format!("{age:.1} years old, over {max}"),
        Miss::TooFewFailures { failures, min } => format!("{failures} failure(s), fewer than {min}"),
        Miss::TooManyFailures { failures, max } => format!("{failures} failure(s), more than {max}"),
        Miss::Capacity { what, have: Some(h), min } => format!("{} {what}, under {}", num(*h), num(*min)),
        Miss::Capacity { what, have: None, min } => format!("needs {} {what}; none known", num(*min)),
        Miss::Power { have: Some(h), max } => format!("{} W maximum power, over {} W", num(*h), num(*max)),
        Miss::Power { have: None, max } => format!("no power figure (needs at most {max} W)"),
        Miss::SupportUnknown => "support end unknown".into(),
        Miss::Support { wanted: Support::Active } => "updates have ended".into(),
        Miss::Support { wanted: Support::Ended } => "updates still available".into(),
        Miss::Grade => "no retail grade it applies to".into(),
        Miss::NoDemand => "no open repair needs its parts beyond the spare pool".into(),
    }
}

/// "1300 kgCO2e: replacement Dell PowerEdge R7625, 2.0 of 5 years".
fn avoided_basis(a: &Avoided) -> String {
    match &a.basis {
        AvoidedBasis::Replacement(m) => {
            format!("{:.0} kgCO2e: replacement {}, {:.1} of {} years", a.basis_kgco2e, m.label, a.years, a.of_years)
        }
        AvoidedBasis::LikeForLike(m) => {
            format!("{:.0} kgCO2e: like for like: {}, {:.1} of {} years", a.basis_kgco2e, m.label, a.years, a.of_years)
        }
        AvoidedBasis::Parts => {
            format!("{:.0} kgCO2e: the harvested parts' own embodied carbon (each replaces a new part)", a.basis_kgco2e)
        }
    }
}

fn option_view(p: &Policy, w: &World, f: &Facts, rank: usize, c: &Candidate) -> OptionView {
    let site = site_ref(w, c.site);
    let n = &c.numbers;
    let energy = |e: Energy, u: f64| match e {
        Energy::Stated => "the catalog's stated yearly energy (footprint sheet)".to_owned(),
        Energy::FromPower(w) => format!("{w:.0} W maximum × 8760 h × utilisation {u}"),
    };
    let payback = n.payback.as_ref().map(|pb| PaybackView {
        replacement: pb.replacement.label.clone(),
        c_new_kgco2e: pb.c_new_kg,
        c_new_source: pb.replacement.embodied_source.clone(),
        e_old_kwh: pb.e_old_kwh,
        e_old_basis: energy(pb.e_old, pb.utilisation),
        e_new_eq_kwh: pb.e_new_eq_kwh,
        e_new_eq_basis: if pb.perf_scaled {
            format!(
                "{}: {}, scaled by the two models' {} figures",
                pb.replacement.label,
                energy(pb.e_new, pb.utilisation),
                pb.replacement.perf_unit
            )
        } else {
            format!(
                "{}: {} (no comparable performance figures: like for like)",
                pb.replacement.label,
                energy(pb.e_new, pb.utilisation)
            )
        },
        utilisation: pb.utilisation,
        pue: pb.pue,
        grid_kgco2e_per_kwh: pb.ci_kg_per_kwh,
        years: pb.years,
        formula: format!(
            "{:.0} kgCO2e / (({:.0} − {:.0}) kWh · PUE {} · {:.3} kgCO2e/kWh) = {}",
            pb.c_new_kg,
            pb.e_old_kwh,
            pb.e_new_eq_kwh,
            pb.pue,
            pb.ci_kg_per_kwh,
            pb.years.map_or_else(|| "never (no energy saved)".to_owned(), |y| format!("{y:.1} years"))
        ),
    });
    // No replacement named for this kind of item (a spare part, say): nothing to say.
    let no_payback = n.no_payback.as_ref().and_then(|w| match w {
        NoPayback::NoReplacement => None,
        NoPayback::NoEnergy => {
            Some("no payback: the item's model states neither yearly energy nor maximum power".to_owned())
        }
        NoPayback::NotInCatalog { manufacturer, model_number } => {
            Some(format!("no payback: the replacement {manufacturer} {model_number} is not in the catalog"))
        }
        NoPayback::ReplacementFigures(r) => Some(format!(
            "no payback: the replacement {} has no embodied carbon or energy figure in the catalog",
            r.label
        )),
    });
    OptionView {
        rank,
        disposition: c.disposition,
        tier: c.tier,
        title: title(c.disposition, c.tier, site.as_ref().map(|s| s.name.as_str())),
        site,
        score: c.score,
        eligible: c.eligible(),
        fired: c.fired.iter().map(|i| rule_ref(p, *i)).collect(),
        ruled_out: c.ruled_out.iter().map(|r| why_text(p, r)).collect(),
        numbers: NumbersView {
            extra_life_years: n.extra_life_years,
            deferred_kg: n.deferred_kg,
            avoided_kgco2e: n.avoided.as_ref().map(|a| a.kgco2e),
            avoided_basis: n.avoided.as_ref().map(avoided_basis),
            avoided_source: n.avoided.as_ref().map(|a| match &a.basis {
                AvoidedBasis::Replacement(m) | AvoidedBasis::LikeForLike(m) => m.embodied_source.clone(),
                AvoidedBasis::Parts => "catalog figures, else per-kind defaults (refdata/embodied_defaults.csv)".into(),
            }),
            operational_kgco2e_per_year: n.operational_kgco2e_per_year,
            pue: n.pue,
            grid_kgco2e_per_kwh: n.ci_kg_per_kwh,
            payback,
            no_payback,
        },
        parts: c
            .parts
            .iter()
            .map(|i| {
                let o = &f.parts[*i];
                PartView {
                    kind: o.kind,
                    model: o.label.clone(),
                    count: o.count,
                    open_repairs_wanting: o.wanted_by,
                    spares_in_pool: o.spares,
                    would_serve: o.shortage_served(),
                    mass_kg: o.mass_kg,
                    embodied_kgco2e: o.embodied_kgco2e,
                }
            })
            .collect(),
    }
}

impl Suggestions {
    /// An evaluation as the page and the API show it.
    pub fn new(p: &Policy, version: i32, w: &World, f: &Facts, e: &Evaluation) -> Suggestions {
        let site = f.site.and_then(|i| w.sites.get(i));
        Suggestions {
            asset_id: AssetId(f.id),
            asset_tag: f.tag.clone(),
            asset_version: f.version,
            policy_version: version,
            policy_name: p.name.clone(),
            evaluated_on: w.today,
            due: e.due.clone(),
            facts: FactsView {
                kind: f.kind,
                state: f.state,
                model: f.model.as_ref().map(|m| m.label.clone()),
                age_years: e.age_years,
                first_deployed_on: f.first_deployed_on,
                repairs: f.repairs,
                failed_tests: f.failed_tests,
                grade: f.grade,
                cpu_cores: f.capacity.cores,
                memory_gb: f.capacity.memory_gb,
                gpu_vram_gb: f.capacity.vram_gb,
                storage_tb: f.capacity.storage_tb,
                max_w: f.model.as_ref().and_then(|m| m.max_w),
                mass_kg: f.mass_kg,
                data_bearing_devices: f.data.devices,
                unsanitized_for_reuse: f.data.unsanitized_for_reuse,
                unsanitized_for_transfer: f.data.unsanitized_for_transfer,
                support_ends_on: e.support.ends_on,
                support_estimated: e.support.estimated,
                site: site_ref(w, f.site),
                site_grid_g_per_kwh: site.and_then(|s| s.grid_ci_g_per_kwh),
                site_pue: site.and_then(|s| s.pue),
                installed_in: f.installed_in.clone(),
                open_work: f.open_work.map(str::to_owned),
            },
            options: e.options.iter().enumerate().map(|(i, c)| option_view(p, w, f, i + 1, c)).collect(),
            not_fired: e
                .missed
                .iter()
                .map(|(i, m)| NotFired { rule: rule_ref(p, *i), because: miss_text(m) })
                .collect(),
        }
    }

    /// The best eligible option.
    pub fn top(&self) -> Option<&OptionView> {
        self.options.first().filter(|o| o.eligible)
    }
}

/// A saved version of the policy pack.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PolicyVersion {
    pub number: i32,
    pub name: String,
    pub note: String,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
    /// The pack's TOML text.
    pub source: String,
}

/// A pack to check, dry-run or save.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDraft {
    /// The pack's TOML text.
    pub source: String,
    /// Why it changes (kept with the version).
    #[serde(default)]
    pub note: Option<String>,
    /// The version the draft was edited from; saving over a newer one is refused (409).
    #[serde(default)]
    pub based_on: Option<i32>,
}

/// A pack's problems, each with line, field and reason.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PackProblems {
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<PackError>,
}

/// Totals of one disposition on the fleet view.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DispositionTotal {
    pub disposition: Option<Disposition>,
    pub items: u64,
    pub deferred_kg: f64,
    pub avoided_kgco2e: f64,
}

/// Totals of a fleet run or a filtered part of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FleetTotals {
    pub items: u64,
    pub deferred_kg: f64,
    pub avoided_kgco2e: f64,
    /// One line per top disposition (none: no eligible option).
    pub by_disposition: Vec<DispositionTotal>,
}

impl FleetTotals {
    pub fn add(&mut self, d: Option<Disposition>, deferred: Option<f64>, avoided: Option<f64>) {
        self.items += 1;
        let (kg, co2) = (deferred.unwrap_or(0.0), avoided.unwrap_or(0.0));
        self.deferred_kg += kg;
        self.avoided_kgco2e += co2;
        match self.by_disposition.iter_mut().find(|t| t.disposition == d) {
            Some(t) => {
                t.items += 1;
                t.deferred_kg += kg;
                t.avoided_kgco2e += co2;
            }
            None => self.by_disposition.push(DispositionTotal {
                disposition: d,
                items: 1,
                deferred_kg: kg,
                avoided_kgco2e: co2,
            }),
        }
        self.by_disposition.sort_by_key(|t| t.disposition);
    }
}

/// A run's totals, whole and by each single filter (kind, site, due reason), kept with the
/// run so the fleet view's totals cost nothing to read for one filter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTotals {
    pub all: FleetTotals,
    pub by_kind: std::collections::BTreeMap<String, FleetTotals>,
    pub by_site: std::collections::BTreeMap<String, FleetTotals>,
    pub by_due: std::collections::BTreeMap<String, FleetTotals>,
}

impl RunTotals {
    /// Counts one due item under every total it belongs to.
    pub fn add(
        &mut self,
        kind: &str,
        site: Option<SiteId>,
        due: &[DueReason],
        d: Option<Disposition>,
        kg: Option<f64>,
        co2: Option<f64>,
    ) {
        self.all.add(d, kg, co2);
        self.by_kind.entry(kind.to_owned()).or_default().add(d, kg, co2);
        if let Some(s) = site {
            self.by_site.entry(s.to_string()).or_default().add(d, kg, co2);
        }
        for r in due {
            self.by_due.entry(r.as_str().to_owned()).or_default().add(d, kg, co2);
        }
    }
}

/// A finished fleet run.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RunInfo {
    pub policy_version: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub evaluated: i64,
    pub due: i64,
    pub trigger: String,
    pub totals: FleetTotals,
    /// The totals by single filter (not in the API).
    #[serde(skip)]
    pub by_filter: RunTotals,
}

/// A due item on the fleet view.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FleetRow {
    pub asset_id: AssetId,
    pub asset_tag: String,
    pub kind: crate::rules::AssetKind,
    pub state: crate::rules::State,
    pub site: Option<String>,
    pub model: Option<String>,
    pub age_years: Option<f64>,
    pub failures: i32,
    pub support_ends_on: Option<NaiveDate>,
    pub due: Vec<DueReason>,
    pub disposition: Option<Disposition>,
    pub tier: Option<WorkloadTier>,
    pub target_site: Option<String>,
    /// "Redeploy to CI and build runners at Stockholm STO1".
    pub suggestion: String,
    pub score: Option<f64>,
    pub deferred_kg: Option<f64>,
    pub avoided_kgco2e: Option<f64>,
    pub payback_years: Option<f64>,
    pub rules: Vec<String>,
    /// Whether the item changed after the run (its page shows the current suggestion).
    pub changed_since: bool,
}

/// Filters of the fleet view.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FleetQuery {
    #[serde(default)]
    pub disposition: Option<Disposition>,
    #[serde(default)]
    pub kind: Option<crate::rules::AssetKind>,
    #[serde(default)]
    pub site: Option<SiteId>,
    #[serde(default)]
    pub due: Option<DueReason>,
    /// The previous page's `next_cursor`.
    #[serde(default)]
    pub cursor: Option<AssetId>,
    #[serde(default)]
    pub limit: Option<u64>,
}

/// How a draft would change the fleet's top suggestions.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DryRun {
    pub active_version: i32,
    pub evaluated: u64,
    pub changed: u64,
    /// Top disposition now → with the draft, and how many items.
    pub moves: Vec<DryMove>,
    pub due_now: FleetTotals,
    pub due_with_draft: FleetTotals,
    /// The first changed items.
    pub examples: Vec<DryExample>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DryMove {
    pub from: Option<Disposition>,
    pub to: Option<Disposition>,
    pub items: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DryExample {
    pub asset_id: AssetId,
    pub asset_tag: String,
    pub now: String,
    pub with_draft: String,
}

/// Accepting one of an item's suggestions.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    pub disposition: Option<Disposition>,
    #[serde(default)]
    pub tier: Option<WorkloadTier>,
    /// Redeploy: the site the suggestion named.
    #[serde(default)]
    pub site_id: Option<SiteId>,
    /// The policy version and item version the suggestion was made with: a suggestion
    /// made before either changed is refused (409), nothing written.
    pub policy_version: Option<i32>,
    pub asset_version: Option<i32>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// What accepting did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub asset_id: AssetId,
    pub asset_tag: String,
    pub did: String,
    /// A dismantle job opened for a parts donor.
    pub job_id: Option<crate::ids::JobId>,
}
