//! The policy engine: plain facts about an item in, its possible next lives out, ranked,
//! each with the rules that fired, what ruled it out and the numbers behind it.
//!
//! Pure: no database, no HTTP, no clock (the day is a fact). `.ci/layering` keeps this
//! file's imports to `rules` and `policy::pack`. The gates it applies besides the pack's
//! rules cannot be switched off by a pack:
//! - the transition table: a disposition only from a state it can start from;
//! - data: a data-bearing tree without a passing sanitization record is never offered for
//!   resale, nor redeployed at another site;
//! - work in progress: an open repair, dismantle job or recycling lot, or being installed
//!   in another item, leaves only what that work decides;
//! - reuse or replace: keeping or redeploying is ruled out where the named replacement
//!   pays its embodied carbon back within the horizon at the target site's grid.

use std::sync::Arc;

use chrono::NaiveDate;
use uuid::Uuid;

use super::pack::{Effect, Policy, Rule, Support};
use crate::rules::policy::{operational_kg_per_year, payback_years_energy, yearly_kwh};
use crate::rules::{AssetKind, Disposition, DueReason, RetailGrade, State, WorkloadTier};

/// A catalog model's figures, shared by every item of the model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelSpecs {
    pub id: Uuid,
    pub label: String,
    pub manufacturer: String,
    pub model_number: String,
    pub release_year: Option<i32>,
    pub embodied_kgco2e: Option<f64>,
    pub embodied_source: String,
    pub idle_w: Option<f64>,
    pub max_w: Option<f64>,
    pub perf_value: Option<f64>,
    pub perf_unit: String,
    pub support_ends_on: Option<NaiveDate>,
    /// The yearly IT energy a footprint sheet or the catalog states (kWh), used instead of
    /// `max_w · 8760 h · u` when given.
    pub yearly_kwh: Option<f64>,
}

impl ModelSpecs {
    /// A year's IT energy (kWh) and how it was found.
    pub fn energy(&self, utilisation: f64) -> Option<(f64, Energy)> {
        match (self.yearly_kwh, self.max_w) {
            (Some(e), _) => Some((e, Energy::Stated)),
            (None, Some(w)) => Some((yearly_kwh(w, utilisation), Energy::FromPower(w))),
            (None, None) => None,
        }
    }
}

/// Where a yearly energy figure comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Energy {
    /// The catalog's stated yearly energy (a footprint sheet's use scenario).
    Stated,
    /// `max_w · 8760 h · u`, from this maximum power in W.
    FromPower(f64),
}

/// What an item and everything installed in it can do (the model's figure where it gives
/// one, else the parts' figures added up).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Capacity {
    pub cores: Option<u32>,
    pub memory_gb: Option<f64>,
    pub vram_gb: Option<f64>,
    pub storage_tb: Option<f64>,
}

/// A site an item is at or could go to.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteFacts {
    pub id: Uuid,
    pub name: String,
    pub grid_ci_g_per_kwh: Option<f64>,
    pub grid_ci_source: String,
    pub pue: Option<f64>,
    /// Whether the site runs IT load (records a PUE): only those take redeployed items.
    pub hosts_it: bool,
}

/// Parts of one (kind, model) in an item's tree that a dismantle job would give.
#[derive(Clone, Debug, PartialEq)]
pub struct PartOffer {
    pub kind: AssetKind,
    pub model_id: Option<Uuid>,
    pub label: String,
    pub count: u32,
    /// Open repairs on other items that need a part of this kind and model.
    pub wanted_by: u32,
    /// Tested spares of this kind and model waiting in the spare pool.
    pub spares: u32,
    /// Mass and embodied carbon of the `count` parts together.
    pub mass_kg: f64,
    pub embodied_kgco2e: f64,
    pub embodied_source: String,
}

impl PartOffer {
    /// Parts of this line that would serve a repair the spare pool cannot.
    pub fn shortage_served(&self) -> u32 {
        self.wanted_by.saturating_sub(self.spares).min(self.count)
    }
}

/// Data held in an item's tree, and what its sanitization records allow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataFacts {
    /// Data-bearing devices in the tree (the item itself included).
    pub devices: u32,
    /// Devices without a passing record that allows reuse.
    pub unsanitized_for_reuse: u32,
    /// Devices without a passing record that allows a transfer out.
    pub unsanitized_for_transfer: u32,
}

/// Everything the engine knows about one item: gathered by `policy::facts`.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    pub id: Uuid,
    pub tag: String,
    pub version: i32,
    pub kind: AssetKind,
    pub state: State,
    /// The tag of the item this one is installed in.
    pub installed_in: Option<String>,
    pub model: Option<Arc<ModelSpecs>>,
    pub capacity: Capacity,
    pub first_deployed_on: Option<NaiveDate>,
    pub repairs: u32,
    pub failed_tests: u32,
    /// Open work that decides the item's next step itself: "repair", "dismantle job", "recycling lot".
    pub open_work: Option<&'static str>,
    pub grade: Option<RetailGrade>,
    pub data: DataFacts,
    /// Index into [`World::sites`].
    pub site: Option<usize>,
    /// The whole tree's mass, kg.
    pub mass_kg: Option<f64>,
    pub parts: Vec<PartOffer>,
    pub workload: Option<WorkloadTier>,
}

/// What every evaluation shares: the day, the sites, the replacement models the policy names.
#[derive(Clone, Debug, Default)]
pub struct World {
    pub today: NaiveDate,
    pub sites: Vec<SiteFacts>,
    /// The catalog model of each of the policy's `replacements`, in order (`None`: not in the catalog).
    pub replacements: Vec<Option<Arc<ModelSpecs>>>,
}

/// When firmware and security updates end, and whether that is an estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SupportFacts {
    pub ends_on: Option<NaiveDate>,
    pub estimated: bool,
    pub active: Option<bool>,
}

/// The reuse-or-replace payback against the named replacement, every input shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Payback {
    pub replacement: Arc<ModelSpecs>,
    pub c_new_kg: f64,
    /// The old item's yearly IT energy, kWh, and its basis.
    pub e_old_kwh: f64,
    pub e_old: Energy,
    /// The replacement's yearly energy for the old item's work, kWh, and its basis.
    pub e_new_eq_kwh: f64,
    pub e_new: Energy,
    /// Whether `e_new_eq_kwh` is scaled by the two models' performance figures (same
    /// unit), rather than the replacement's full energy (like for like).
    pub perf_scaled: bool,
    pub utilisation: f64,
    pub pue: f64,
    pub ci_kg_per_kwh: f64,
    /// `None`: the replacement saves no energy, so it never pays back.
    pub years: Option<f64>,
}

/// Why an in-house option has no payback figure.
#[derive(Clone, Debug, PartialEq)]
pub enum NoPayback {
    /// The item's model states neither yearly energy nor maximum power.
    NoEnergy,
    /// The policy names no replacement for an item like this one.
    NoReplacement,
    /// The named replacement is not in the catalog.
    NotInCatalog { manufacturer: String, model_number: String },
    /// The replacement lacks embodied carbon or an energy figure.
    ReplacementFigures(Arc<ModelSpecs>),
}

/// Embodied carbon avoided, and where the figure comes from (no text is built here: the
/// engine runs over a million items; `policy::model` words it).
#[derive(Clone, Debug, PartialEq)]
pub struct Avoided {
    pub kgco2e: f64,
    /// The figure prorated (kgCO2e of the whole item or replacement).
    pub basis_kgco2e: f64,
    pub basis: AvoidedBasis,
    /// The years of the new item's service life the option stands in for.
    pub years: f64,
    pub of_years: f64,
}

/// Whose embodied carbon an avoided figure is.
#[derive(Clone, Debug, PartialEq)]
pub enum AvoidedBasis {
    /// The replacement that is not bought (yet).
    Replacement(Arc<ModelSpecs>),
    /// No replacement figure: the item's own, like for like.
    LikeForLike(Arc<ModelSpecs>),
    /// The harvested parts' own figures (each replaces a new part).
    Parts,
}

/// The figures behind an option.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Numbers {
    pub extra_life_years: f64,
    pub deferred_kg: Option<f64>,
    pub avoided: Option<Avoided>,
    pub operational_kgco2e_per_year: Option<f64>,
    pub pue: Option<f64>,
    pub ci_kg_per_kwh: Option<f64>,
    pub payback: Option<Payback>,
    /// Keeping and redeploying: why there is no payback figure.
    pub no_payback: Option<NoPayback>,
}

/// Why an option is ruled out.
#[derive(Clone, Debug, PartialEq)]
pub enum Why {
    /// A rule_out rule of the pack (index into `Policy::rules`).
    Rule(usize),
    /// Data-bearing devices without a record that allows this release.
    Data { devices: u32, release: &'static str },
    /// The replacement pays back within the horizon at the target site.
    Payback { years: f64, horizon: f64 },
    /// Work in progress decides what happens next.
    OpenWork(&'static str),
    /// Installed in another item: it follows that item.
    Installed(String),
    /// The item's state cannot start this disposition.
    State(State),
    /// No site to run it at: its data keeps it at a site that runs no IT load.
    NoSite,
}

/// One possible next life.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub disposition: Disposition,
    pub tier: Option<WorkloadTier>,
    /// Index into [`World::sites`]: where the item would serve.
    pub site: Option<usize>,
    pub score: f64,
    /// Suggest rules that fired (indices into `Policy::rules`), best first.
    pub fired: Vec<usize>,
    pub ruled_out: Vec<Why>,
    pub numbers: Numbers,
    /// Parts donor: indices into [`Facts::parts`] worth harvesting.
    pub parts: Vec<usize>,
}

impl Candidate {
    pub fn eligible(&self) -> bool {
        self.ruled_out.is_empty()
    }
}

/// A condition of a suggest rule that did not hold.
#[derive(Clone, Debug, PartialEq)]
pub enum Miss {
    Kind,
    State,
    AgeUnknown,
    TooYoung { age: f64, min: f64 },
    TooOld { age: f64, max: f64 },
    TooFewFailures { failures: u32, min: u32 },
    TooManyFailures { failures: u32, max: u32 },
    Capacity { what: &'static str, have: Option<f64>, min: f64 },
    Power { have: Option<f64>, max: f64 },
    SupportUnknown,
    Support { wanted: Support },
    Grade,
    NoDemand,
}

/// The engine's answer for one item.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub age_years: Option<f64>,
    pub failures: u32,
    pub support: SupportFacts,
    pub due: Vec<DueReason>,
    /// Eligible options best first, then those ruled out (best first).
    pub options: Vec<Candidate>,
    /// Suggest rules that did not fire, with the first condition that failed (explained
    /// evaluations only).
    pub missed: Vec<(usize, Miss)>,
}

impl Evaluation {
    /// The best eligible option.
    pub fn top(&self) -> Option<&Candidate> {
        self.options.first().filter(|c| c.eligible())
    }
}

fn years_between(from: NaiveDate, to: NaiveDate) -> f64 {
    (to - from).num_days() as f64 / 365.25
}

/// When support ends: the model's date, else its release year plus the policy's window.
pub fn support(policy: &Policy, world: &World, model: Option<&ModelSpecs>) -> SupportFacts {
    let (ends_on, estimated) = match model {
        Some(m) if m.support_ends_on.is_some() => (m.support_ends_on, false),
        Some(m) => (
            m.release_year.and_then(|y| {
                let years = policy.assumptions.support_years_after_release.round() as i32;
                NaiveDate::from_ymd_opt(y.saturating_add(years), 12, 31)
            }),
            true,
        ),
        None => (None, false),
    };
    SupportFacts { ends_on, estimated, active: ends_on.map(|d| d >= world.today) }
}

/// Evaluates one item. `explain`: also list the suggest rules that did not fire.
pub fn evaluate(policy: &Policy, world: &World, f: &Facts, explain: bool) -> Evaluation {
    let age = f.first_deployed_on.map(|d| years_between(d, world.today).max(0.0));
    let failures = f.repairs.saturating_add(f.failed_tests);
    let sup = support(policy, world, f.model.as_deref());
    let due = due_reasons(policy, world, f, age, failures, &sup);
    let mut options: Vec<Candidate> = Vec::new();
    let mut missed = Vec::new();

    for (i, rule) in policy.rules.iter().enumerate() {
        if rule.effect != Effect::Suggest {
            continue;
        }
        if let Err(m) = holds(policy, rule, f, age, failures, &sup) {
            if explain {
                missed.push((i, m));
            }
            continue;
        }
        let Some(&disposition) = rule.dispositions.first() else { continue };
        match options.iter_mut().find(|c| c.disposition == disposition && c.tier == rule.tier) {
            Some(c) => {
                c.fired.push(i);
                if rule.score > c.score {
                    c.score = rule.score;
                }
                if rule.extra_life_years > c.numbers.extra_life_years {
                    c.numbers.extra_life_years = rule.extra_life_years;
                }
            }
            None => options.push(Candidate {
                disposition,
                tier: rule.tier,
                site: None,
                score: rule.score,
                fired: vec![i],
                ruled_out: Vec::new(),
                numbers: Numbers { extra_life_years: rule.extra_life_years, ..Numbers::default() },
                parts: Vec::new(),
            }),
        }
    }

    for c in &mut options {
        c.fired.sort_by(|a, b| policy.rules[*b].score.total_cmp(&policy.rules[*a].score).then(a.cmp(b)));
        gate(policy, world, f, c);
        for (i, rule) in policy.rules.iter().enumerate() {
            if rule.effect == Effect::RuleOut
                && rule.dispositions.contains(&c.disposition)
                && (rule.tier.is_none() || rule.tier == c.tier)
                && holds(policy, rule, f, age, failures, &sup).is_ok()
            {
                c.ruled_out.push(Why::Rule(i));
            }
        }
    }
    options.sort_by(|a, b| {
        b.eligible()
            .cmp(&a.eligible())
            .then(b.score.total_cmp(&a.score))
            .then(a.disposition.cmp(&b.disposition))
            .then(a.tier.cmp(&b.tier))
    });
    Evaluation { age_years: age, failures, support: sup, due, options, missed }
}

fn due_reasons(
    policy: &Policy,
    world: &World,
    f: &Facts,
    age: Option<f64>,
    failures: u32,
    sup: &SupportFacts,
) -> Vec<DueReason> {
    let mut due = Vec::new();
    // Items whose next step is already decided (terminal, installed, dismantled, in
    // recycling, or under open work: a repair, a dismantle job, a lot) are not due.
    if f.state.is_terminal()
        || f.installed_in.is_some()
        || f.open_work.is_some()
        || matches!(f.state, State::Dismantled | State::InRecycling)
    {
        return due;
    }
    if age.is_some_and(|a| a >= policy.due.age_years) {
        due.push(DueReason::Age);
    }
    if failures >= policy.due.failures {
        due.push(DueReason::Failures);
    }
    if let Some(end) = sup.ends_on
        && (end - world.today).num_days() <= i64::from(policy.due.support_ending_within_days)
    {
        due.push(DueReason::SupportEnding);
    }
    if matches!(f.state, State::Retired | State::Sanitized) {
        due.push(DueReason::Retired);
    }
    due
}

/// Whether `rule`'s conditions hold for the item, else the first that does not.
fn holds(
    policy: &Policy,
    rule: &Rule,
    f: &Facts,
    age: Option<f64>,
    failures: u32,
    sup: &SupportFacts,
) -> Result<(), Miss> {
    let w = &rule.when;
    if !w.kinds.is_empty() && !w.kinds.contains(&f.kind) {
        return Err(Miss::Kind);
    }
    if !w.states.is_empty() && !w.states.contains(&f.state) {
        return Err(Miss::State);
    }
    if w.min_age_years.is_some() || w.max_age_years.is_some() {
        let Some(a) = age else { return Err(Miss::AgeUnknown) };
        if let Some(min) = w.min_age_years
            && a < min
        {
            return Err(Miss::TooYoung { age: a, min });
        }
        if let Some(max) = w.max_age_years
            && a > max
        {
            return Err(Miss::TooOld { age: a, max });
        }
    }
    if let Some(min) = w.min_failures
        && failures < min
    {
        return Err(Miss::TooFewFailures { failures, min });
    }
    if let Some(max) = w.max_failures
        && failures > max
    {
        return Err(Miss::TooManyFailures { failures, max });
    }
    let cap = &f.capacity;
    // Small-model inference needs the tier's model to fit in GPU memory.
    let tier_vram = match rule.tier {
        Some(WorkloadTier::SmallModelInference) if rule.effect == Effect::Suggest => policy
            .tiers
            .iter()
            .find(|t| t.tier == WorkloadTier::SmallModelInference)
            .and_then(|t| t.model.as_ref())
            .map(|m| m.needs_vram_gb),
        _ => None,
    };
    let vram_min = match (w.min_vram_gb, tier_vram) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    for (what, have, min) in [
        ("GB of GPU memory", cap.vram_gb, vram_min),
        ("CPU cores", cap.cores.map(f64::from), w.min_cores.map(f64::from)),
        ("GB of memory", cap.memory_gb, w.min_memory_gb),
        ("TB of storage", cap.storage_tb, w.min_storage_tb),
    ] {
        if let Some(min) = min
            && !have.is_some_and(|h| h >= min)
        {
            return Err(Miss::Capacity { what, have, min });
        }
    }
    if let Some(max) = w.max_power_w {
        let have = f.model.as_ref().and_then(|m| m.max_w);
        if !have.is_some_and(|h| h <= max) {
            return Err(Miss::Power { have, max });
        }
    }
    if let Some(wanted) = w.support {
        let Some(active) = sup.active else { return Err(Miss::SupportUnknown) };
        if active != (wanted == Support::Active) {
            return Err(Miss::Support { wanted });
        }
    }
    if !w.grades.is_empty() && !f.grade.is_some_and(|g| w.grades.contains(&g)) {
        return Err(Miss::Grade);
    }
    if w.needs_demand && !f.parts.iter().any(|p| p.shortage_served() > 0) {
        return Err(Miss::NoDemand);
    }
    Ok(())
}

/// The replacement an item would get: the first of the policy's that fits, with its model
/// (none when that model has left the catalog: no payback, rather than another model's).
fn replacement<'w>(policy: &Policy, world: &'w World, f: &Facts) -> Result<&'w Arc<ModelSpecs>, NoPayback> {
    let fits = |r: &&super::pack::Replacement| {
        r.kinds.contains(&f.kind) && r.min_vram_gb.is_none_or(|min| f.capacity.vram_gb.is_some_and(|v| v >= min))
    };
    let i = policy.replacements.iter().position(|r| fits(&r)).ok_or(NoPayback::NoReplacement)?;
    world.replacements.get(i).and_then(Option::as_ref).ok_or_else(|| NoPayback::NotInCatalog {
        manufacturer: policy.replacements[i].manufacturer.clone(),
        model_number: policy.replacements[i].model_number.clone(),
    })
}

fn site_figures(policy: &Policy, s: Option<&SiteFacts>) -> (f64, f64) {
    let pue = s.and_then(|s| s.pue).unwrap_or(policy.assumptions.default_pue);
    let ci = s.and_then(|s| s.grid_ci_g_per_kwh).unwrap_or(policy.assumptions.default_grid_ci_g_per_kwh) / 1000.0;
    (pue, ci)
}

/// Applies the engine's own gates to a candidate and fills in its numbers.
fn gate(policy: &Policy, world: &World, f: &Facts, c: &mut Candidate) {
    if let Some(host) = &f.installed_in {
        c.ruled_out.push(Why::Installed(host.clone()));
    }
    if let Some(work) = f.open_work {
        c.ruled_out.push(Why::OpenWork(work));
    }
    if !c.disposition.starts_from(f.state) {
        c.ruled_out.push(Why::State(f.state));
    }
    let a = &policy.assumptions;
    let reuse_ok = f.data.unsanitized_for_reuse == 0;
    match c.disposition {
        Disposition::KeepInPlace => c.site = f.site,
        Disposition::Redeploy => {
            if matches!(f.state, State::Retired | State::Sanitized) && !reuse_ok {
                c.ruled_out.push(Why::Data { devices: f.data.unsanitized_for_reuse, release: "reuse" });
            }
            // The site with the lowest emissions per kWh of IT work; the current one only
            // when data would leave unsanitized otherwise.
            let current = f.site;
            c.site = if reuse_ok {
                world
                    .sites
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.hosts_it)
                    .map(|(i, s)| {
                        let (pue, ci) = site_figures(policy, Some(s));
                        (i, pue * ci)
                    })
                    .min_by(|x, y| x.1.total_cmp(&y.1).then((Some(x.0) != current).cmp(&(Some(y.0) != current))))
                    .map(|(i, _)| i)
                    .or(current)
            } else {
                current
            };
            if !c.site.and_then(|i| world.sites.get(i)).is_some_and(|s| s.hosts_it) {
                c.ruled_out.push(Why::NoSite);
            }
        }
        Disposition::Resale => {
            if f.data.unsanitized_for_transfer > 0 {
                c.ruled_out.push(Why::Data { devices: f.data.unsanitized_for_transfer, release: "a transfer out" });
            }
        }
        Disposition::PartsDonor | Disposition::Recycle => {}
    }
    let site = c.site.and_then(|i| world.sites.get(i));
    let (pue, ci) = site_figures(policy, site);
    let old_energy = f.model.as_ref().and_then(|m| m.energy(a.utilisation));
    let repl = replacement(policy, world, f);
    let in_house = matches!(c.disposition, Disposition::KeepInPlace | Disposition::Redeploy);
    if in_house {
        c.numbers.pue = Some(pue);
        c.numbers.ci_kg_per_kwh = Some(ci);
        c.numbers.operational_kgco2e_per_year = old_energy.map(|(e, _)| operational_kg_per_year(e, pue, ci));
        let inputs = match (old_energy, &repl) {
            (_, Err(why)) => Err(why.clone()),
            (None, _) => Err(NoPayback::NoEnergy),
            (Some(old), Ok(r)) => match (r.embodied_kgco2e, r.energy(a.utilisation)) {
                (Some(c_new), Some(new)) => Ok((old, Arc::clone(r), c_new, new)),
                _ => Err(NoPayback::ReplacementFigures(Arc::clone(r))),
            },
        };
        match inputs {
            Err(why) => c.numbers.no_payback = Some(why),
            Ok(((e_old, e_old_basis), r, c_new, (e_new, e_new_basis))) => {
                let old_perf = f.model.as_ref().and_then(|m| m.perf_value.map(|v| (v, m.perf_unit.as_str())));
                let scaled = match (old_perf, r.perf_value) {
                    (Some((vo, uo)), Some(vn))
                        if vn > 0.0 && !uo.is_empty() && uo.eq_ignore_ascii_case(&r.perf_unit) =>
                    {
                        Some(e_new * vo / vn)
                    }
                    _ => None,
                };
                let e_new_eq = scaled.unwrap_or(e_new);
                let years = payback_years_energy(c_new, e_old, e_new_eq, pue, ci);
                if let Some(y) = years
                    && y <= a.horizon_years
                {
                    c.ruled_out.push(Why::Payback { years: y, horizon: a.horizon_years });
                }
                c.numbers.payback = Some(Payback {
                    replacement: r,
                    c_new_kg: c_new,
                    e_old_kwh: e_old,
                    e_old: e_old_basis,
                    e_new_eq_kwh: e_new_eq,
                    e_new: e_new_basis,
                    perf_scaled: scaled.is_some(),
                    utilisation: a.utilisation,
                    pue,
                    ci_kg_per_kwh: ci,
                    years,
                });
            }
        }
    }
    let repl = repl.ok();
    let share = (c.numbers.extra_life_years / a.new_service_life_years).min(1.0);
    match c.disposition {
        Disposition::KeepInPlace | Disposition::Redeploy | Disposition::Resale => {
            c.numbers.deferred_kg = f.mass_kg;
            let basis = match repl.and_then(|r| r.embodied_kgco2e.map(|e| (r, e))) {
                Some((r, e)) => Some((e, AvoidedBasis::Replacement(Arc::clone(r)))),
                None => f
                    .model
                    .as_ref()
                    .and_then(|m| m.embodied_kgco2e.map(|e| (e, AvoidedBasis::LikeForLike(Arc::clone(m))))),
            };
            c.numbers.avoided = basis.map(|(e, basis)| Avoided {
                kgco2e: e * share,
                basis_kgco2e: e,
                basis,
                years: c.numbers.extra_life_years,
                of_years: a.new_service_life_years,
            });
        }
        Disposition::PartsDonor => {
            c.parts = f.parts.iter().enumerate().filter(|(_, p)| worth_harvesting(p.kind)).map(|(i, _)| i).collect();
            c.parts.sort_by_key(|i| std::cmp::Reverse(f.parts[*i].shortage_served()));
            let (mass, embodied) = c
                .parts
                .iter()
                .map(|i| &f.parts[*i])
                .fold((0.0, 0.0), |(m, e), p| (m + p.mass_kg, e + p.embodied_kgco2e));
            c.numbers.deferred_kg = Some(mass);
            c.numbers.avoided = Some(Avoided {
                kgco2e: embodied,
                basis_kgco2e: embodied,
                basis: AvoidedBasis::Parts,
                years: c.numbers.extra_life_years,
                of_years: a.new_service_life_years,
            });
        }
        Disposition::Recycle => {
            c.numbers.deferred_kg = Some(0.0);
        }
    }
}

/// Kinds a dismantle job harvests for reuse.
pub fn worth_harvesting(kind: AssetKind) -> bool {
    use AssetKind::*;
    matches!(kind, Cpu | Gpu | Dimm | Ssd | Nvme | Hdd | Psu | Nic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::pack::{DEFAULT_PACK, parse};
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn site(name: &str, ci: f64, pue: f64) -> SiteFacts {
        SiteFacts {
            id: Uuid::now_v7(),
            name: name.into(),
            grid_ci_g_per_kwh: Some(ci),
            grid_ci_source: "test".into(),
            pue: Some(pue),
            hosts_it: true,
        }
    }

    fn world(policy: &Policy, ci: [f64; 2]) -> World {
        let new = |mfr: &str, num: &str, e: f64, w: f64| {
            Arc::new(ModelSpecs {
                id: Uuid::now_v7(),
                label: format!("{mfr} {num}"),
                manufacturer: mfr.into(),
                model_number: num.into(),
                release_year: Some(2023),
                embodied_kgco2e: Some(e),
                embodied_source: "sheet".into(),
                max_w: Some(w),
                ..ModelSpecs::default()
            })
        };
        let replacements = policy
            .replacements
            .iter()
            .map(|r| {
                Some(if r.min_vram_gb.is_some() {
                    new("NVIDIA", "DGX H100", 20_000.0, 10_200.0)
                } else {
                    new("Dell", "PowerEdge R7625", 1300.0, 200.0)
                })
            })
            .collect();
        World {
            today: day(2026, 12, 1),
            sites: vec![site("Dirty", ci[0], 1.4), site("Clean", ci[1], 1.15)],
            replacements,
        }
    }

    fn server(age_years: i64, failures: u32, vram: Option<f64>, data: DataFacts) -> Facts {
        Facts {
            id: Uuid::now_v7(),
            tag: "SRV-1".into(),
            version: 1,
            kind: AssetKind::Server,
            state: State::Deployed,
            installed_in: None,
            model: Some(Arc::new(ModelSpecs {
                label: "Dell PowerEdge R740".into(),
                release_year: Some(2017),
                embodied_kgco2e: Some(1313.0),
                embodied_source: "Dell PCF".into(),
                max_w: Some(400.0),
                ..ModelSpecs::default()
            })),
            capacity: Capacity { cores: Some(40), memory_gb: Some(384.0), vram_gb: vram, storage_tb: Some(12.0) },
            first_deployed_on: Some(day(2026, 12, 1) - chrono::Duration::days(age_years * 365 + age_years / 4)),
            repairs: failures,
            failed_tests: 0,
            open_work: None,
            grade: Some(RetailGrade::B),
            data,
            site: Some(0),
            mass_kg: Some(26.3),
            parts: vec![],
            workload: None,
        }
    }

    fn default_policy() -> Policy {
        parse(DEFAULT_PACK).unwrap()
    }

    #[test]
    fn an_old_cpu_node_goes_to_ci_at_the_clean_site() {
        let p = default_policy();
        let w = world(&p, [380.0, 40.0]);
        let e = evaluate(&p, &w, &server(6, 0, None, DataFacts::default()), true);
        let top = e.top().unwrap();
        assert_eq!((top.disposition, top.tier), (Disposition::Redeploy, Some(WorkloadTier::CiBuild)));
        assert_eq!(top.site, Some(1), "the cleaner site");
        // Operational emissions at the clean site: 0.4 kW · 8760 · 0.5 · 1.15 · 0.04.
        let hand = 0.4 * 8760.0 * 0.5 * 1.15 * 0.04;
        assert!((top.numbers.operational_kgco2e_per_year.unwrap() - hand).abs() < 1e-9);
        // Payback against the R7625 (1,300 kg, 200 W, like for like) at the clean site.
        let pb = top.numbers.payback.as_ref().unwrap();
        let hand = 1300.0 / (0.2 * 8760.0 * 0.5 * 1.15 * 0.04);
        assert!((pb.years.unwrap() - hand).abs() < 1e-9, "{pb:?}");
        assert!(!pb.perf_scaled);
        // Avoided: the replacement's 1,300 kg over 2 of its 5 years.
        assert!((top.numbers.avoided.as_ref().unwrap().kgco2e - 1300.0 * 2.0 / 5.0).abs() < 1e-9);
        assert_eq!(top.numbers.deferred_kg, Some(26.3));
        // Support of a 2017 model ended (2017 + 8 = end of 2025): keeping is ruled out.
        assert_eq!(e.support.active, Some(false));
        assert!(e.support.estimated);
        let keep = e.options.iter().find(|c| c.disposition == Disposition::KeepInPlace);
        assert!(keep.is_none_or(|k| !k.eligible()), "{keep:?}");
        assert!(e.due.contains(&DueReason::Age) && e.due.contains(&DueReason::SupportEnding), "{:?}", e.due);
    }

    #[test]
    fn a_dirty_grid_rules_reuse_out_by_payback() {
        let p = default_policy();
        // Only the dirty site hosts IT: replacement pays back in 1300/(0.2·8760·0.5·1.4·0.9) ≈ 1.18 years.
        let mut w = world(&p, [900.0, 900.0]);
        w.sites[1].hosts_it = false;
        let e = evaluate(&p, &w, &server(6, 0, None, DataFacts::default()), false);
        let ci = e.options.iter().find(|c| c.tier == Some(WorkloadTier::CiBuild)).unwrap();
        let hand = 1300.0 / (0.2 * 8760.0 * 0.5 * 1.4 * 0.9);
        assert!(
            matches!(ci.ruled_out[..], [Why::Payback { years, .. }] if (years - hand).abs() < 1e-9),
            "{:?}",
            ci.ruled_out
        );
        assert_ne!(e.top().map(|t| t.disposition), Some(Disposition::Redeploy));
    }

    #[test]
    fn unsanitized_data_keeps_a_server_on_site_and_off_the_market() {
        let p = default_policy();
        let w = world(&p, [380.0, 40.0]);
        let data = DataFacts { devices: 2, unsanitized_for_reuse: 2, unsanitized_for_transfer: 2 };
        let mut f = server(6, 0, None, data);
        f.grade = Some(RetailGrade::A);
        let e = evaluate(&p, &w, &f, false);
        for c in &e.options {
            if c.disposition == Disposition::Redeploy {
                assert_eq!(c.site, Some(0), "stays at its own site");
            }
            if c.disposition == Disposition::Resale {
                assert!(!c.eligible());
            }
        }
    }

    #[test]
    fn a_gpu_server_serves_small_models_and_very_old_kit_is_recycled() {
        let p = default_policy();
        let w = world(&p, [380.0, 40.0]);
        let e = evaluate(&p, &w, &server(4, 0, Some(96.0), DataFacts::default()), false);
        assert_eq!(e.top().unwrap().tier, Some(WorkloadTier::SmallModelInference));
        let e = evaluate(&p, &w, &server(11, 0, Some(96.0), DataFacts::default()), false);
        assert_eq!(e.top().unwrap().disposition, Disposition::Recycle);
        assert_eq!(e.top().unwrap().fired[0], p.rules.iter().position(|r| r.id == "recycle-old").unwrap());
    }

    fn facts_strategy() -> impl Strategy<Value = Facts> {
        (
            0i64..15,
            0u32..8,
            proptest::option::of(0.0f64..700.0),
            0u32..3,
            0u32..3,
            proptest::sample::select(vec![
                State::InStock,
                State::Deployed,
                State::Redeployed,
                State::InRepair,
                State::Retired,
                State::Sanitized,
            ]),
            proptest::option::of(proptest::sample::select(RetailGrade::ALL.to_vec())),
            proptest::option::of(100.0f64..2000.0),
        )
            .prop_map(|(age, failures, vram, unreuse, untransfer, state, grade, watts)| {
                let data = DataFacts {
                    devices: unreuse.max(untransfer) + 1,
                    unsanitized_for_reuse: unreuse,
                    unsanitized_for_transfer: untransfer,
                };
                let mut f = server(age, failures, vram, data);
                f.state = state;
                f.grade = grade;
                if let Some(m) = f.model.as_mut() {
                    Arc::make_mut(m).max_w = watts;
                }
                f
            })
    }

    fn eligible(e: &Evaluation) -> Vec<(Disposition, Option<WorkloadTier>)> {
        e.options.iter().filter(|c| c.eligible()).map(|c| (c.disposition, c.tier)).collect()
    }

    proptest! {
        #[test]
        fn deterministic_and_explained(f in facts_strategy(), ci in 0.0f64..900.0) {
            let p = default_policy();
            let w = world(&p, [ci, ci / 2.0]);
            let a = evaluate(&p, &w, &f, true);
            prop_assert_eq!(&a, &evaluate(&p, &w, &f, true));
            for c in &a.options {
                prop_assert!(!c.fired.is_empty(), "every option names the rules that fired");
                prop_assert!(c.numbers.deferred_kg.is_some(), "and its figures");
                if c.disposition.is_reuse() && c.disposition != Disposition::PartsDonor {
                    prop_assert!(c.numbers.avoided.is_some());
                }
            }
        }

        #[test]
        fn a_cleaner_grid_never_favours_replacing(f in facts_strategy(), ci in 1.0f64..900.0, k in 0.0f64..1.0) {
            let p = default_policy();
            let dirty = evaluate(&p, &world(&p, [ci, ci]), &f, false);
            let clean = evaluate(&p, &world(&p, [ci * k, ci * k]), &f, false);
            let (d, c) = (eligible(&dirty), eligible(&clean));
            for o in &d {
                prop_assert!(c.contains(o), "{o:?} eligible on the dirty grid but not the clean one");
            }
        }

        #[test]
        fn more_vram_never_removes_an_inference_tier(f in facts_strategy(), extra in 0.0f64..500.0) {
            let p = default_policy();
            let w = world(&p, [380.0, 40.0]);
            let mut more = f.clone();
            more.capacity.vram_gb = Some(f.capacity.vram_gb.unwrap_or(0.0) + extra);
            let (a, b) = (eligible(&evaluate(&p, &w, &f, false)), eligible(&evaluate(&p, &w, &more, false)));
            for o in a.iter().filter(|o| matches!(o.1, Some(WorkloadTier::SmallModelInference | WorkloadTier::BatchInference))) {
                prop_assert!(b.contains(o), "{o:?} lost with more VRAM");
            }
        }

        #[test]
        fn more_failures_never_raise_keeping(f in facts_strategy(), more in 1u32..5) {
            let p = default_policy();
            let w = world(&p, [380.0, 40.0]);
            let keep = |e: &Evaluation| e.options.iter().find(|c| c.disposition == Disposition::KeepInPlace && c.eligible()).map(|c| c.score);
            let mut g = f.clone();
            g.repairs += more;
            let (a, b) = (keep(&evaluate(&p, &w, &f, false)), keep(&evaluate(&p, &w, &g, false)));
            prop_assert!(b.unwrap_or(-1.0) <= a.unwrap_or(-1.0), "{a:?} → {b:?}");
        }

        #[test]
        fn unsanitized_data_is_never_sold_or_sent_off_site(f in facts_strategy()) {
            let p = default_policy();
            let w = world(&p, [380.0, 40.0]);
            let e = evaluate(&p, &w, &f, false);
            for c in e.options.iter().filter(|c| c.eligible()) {
                if f.data.unsanitized_for_transfer > 0 {
                    prop_assert_ne!(c.disposition, Disposition::Resale);
                }
                if f.data.unsanitized_for_reuse > 0 && c.disposition == Disposition::Redeploy {
                    prop_assert_eq!(c.site, f.site);
                }
            }
        }

        #[test]
        fn invalid_policies_never_load(line in 0usize..400, junk in "[a-z_ =\\[\\]\"0-9.-]{1,12}") {
            // Any edit of the default pack either loads a policy that passes the pack's own
            // checks, or is refused with at least one located problem.
            let mut lines: Vec<&str> = DEFAULT_PACK.lines().collect();
            let at = line % lines.len();
            lines.insert(at, &junk);
            let src = lines.join("\n");
            match parse(&src) {
                Ok(p) => {
                    prop_assert!(p.assumptions.utilisation > 0.0 && p.assumptions.utilisation <= 1.0);
                    for r in &p.rules {
                        if let (Some(lo), Some(hi)) = (r.when.min_age_years, r.when.max_age_years) {
                            prop_assert!(lo <= hi);
                        }
                    }
                }
                Err(errs) => {
                    prop_assert!(!errs.is_empty());
                    for e in errs {
                        prop_assert!(e.line >= 1 && e.line <= src.lines().count() + 1, "{e:?}");
                    }
                }
            }
        }
    }
}
