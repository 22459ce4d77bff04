//! The forecasts as the API, the pages and the command line ask for them: inputs checked
//! (every problem named), facts read in one snapshot, the pure engines run, and answers
//! built with their method, kernels, parameters and sources. Nothing is written. The fleet
//! forecast and the lifespans are here; procurement and demand in `scenarios`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use super::bands::{Band, BandMethod};
use super::cache::{self, FactsCache};
use super::facts::{self, FleetFacts};
use super::fit::{self, WeibullFit};
use super::fleet::{self, HORIZON_MAX, Item, MATERIALS};
use super::input::Problem;
use super::kernel::{Kernel, Weibull};
use super::levers::{Efficiency, Levers, Shift};
use super::model::*;
use super::refdata;
use crate::db::Db;
use crate::error::{AppError, AppResult, FieldError};
use crate::rules::{AssetKind, KernelChoice, KernelSource, Material};

/// The horizon when none is asked for.
pub const DEFAULT_HORIZON: u16 = 15;

pub(super) fn invalid(problems: Vec<Problem>) -> AppError {
    AppError::Invalid(problems.into_iter().map(|p| FieldError::new(p.field, p.message)).collect())
}

pub(super) fn t(kg: f64) -> f64 {
    kg / 1000.0
}

fn band(b: &Band, scale: f64) -> BandView {
    BandView { mean: b.mean * scale, sd: b.sd * scale, p5: b.p5 * scale, p95: b.p95 * scale }
}

fn fit_view(f: &WeibullFit) -> FitView {
    FitView {
        shape: f.shape,
        scale: f.scale,
        shape_se: f.shape_se,
        scale_se: f.scale_se,
        shape_ci: [f.shape_ci.0, f.shape_ci.1],
        scale_ci: [f.scale_ci.0, f.scale_ci.1],
        events: f.events,
        censored: f.censored,
        log_likelihood: f.log_likelihood,
    }
}

pub(super) fn kernel_view(
    source: KernelSource,
    applies_to: String,
    items: u64,
    k: &Kernel,
    note: String,
) -> KernelView {
    let (shape, scale) = match k {
        Kernel::Weibull(w) => (Some(w.shape), Some(w.scale)),
        Kernel::Tabulated(_) => (None, None),
    };
    KernelView {
        source,
        applies_to,
        items,
        description: k.describe(),
        shape,
        scale,
        mean_years: k.mean(),
        fit: None,
        note,
    }
}

/// `dimm=0.5,ssd=0.3` → shares by kind; `field` names the input in problems.
pub fn parse_kind_shares(field: &str, text: &str) -> Result<Vec<(AssetKind, f64)>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, part) in text.split([',', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()).enumerate() {
        let Some((k, v)) = part.split_once(['=', ':']) else {
            problems.push(Problem::new(field, format!("`{part}`: write kind=share, e.g. dimm=0.5")));
            continue;
        };
        let kind = AssetKind::parse(k.trim());
        let share = v.trim().parse::<f64>().ok();
        match (kind, share) {
            (Some(kind), Some(share)) => out.push((kind, share)),
            (None, _) => problems.push(Problem::new(
                field,
                format!("`{}` (entry {}) is not a kind: use {}", k.trim(), i + 1, AssetKind::expected()),
            )),
            (_, None) => problems
                .push(Problem::new(field, format!("`{}` (entry {}) is not a share from 0 to 1", v.trim(), i + 1))),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// The levers of a JSON request, checked.
pub fn levers_from(input: &LeversInput, this_year: i32) -> Result<Levers, Vec<Problem>> {
    let levers = Levers {
        extension: input.extension.as_ref().map(|s| Shift { years: s.years, share: s.share }),
        redeployment: input.redeployment.as_ref().map(|s| Shift { years: s.years, share: s.share }),
        harvest: input.harvest.iter().map(|k| (k.kind, k.share)).collect(),
        composition: input.composition.as_ref().map(|c| c.iter().map(|k| (k.kind, k.share)).collect()),
        efficiency: input
            .efficiency_gain
            .map(|g| Efficiency { yearly: g, from_year: input.efficiency_from.unwrap_or(this_year) }),
    };
    let mut problems = levers.check("levers.");
    if input.efficiency_gain.is_none() && input.efficiency_from.is_some() {
        problems.push(Problem::new("levers.efficiency_from", "give efficiency_gain with it"));
    }
    if problems.is_empty() { Ok(levers) } else { Err(problems) }
}

/// The levers of a fleet query (flat fields), checked.
fn fleet_levers(q: &FleetQuery) -> Result<Levers, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut shift = |years: Option<f64>, share: Option<f64>, yf: &str, sf: &str| match (years, share) {
        (None, None) => None,
        (Some(y), Some(s)) => Some(Shift { years: y, share: s }),
        (Some(y), None) => Some(Shift { years: y, share: 1.0 }),
        (None, Some(_)) => {
            problems.push(Problem::new(yf, format!("give the years too (with {sf})")));
            None
        }
    };
    let extension = shift(q.extend_years, q.extend_share, "extend_years", "extend_share");
    let redeployment = shift(q.redeploy_years, q.redeploy_share, "redeploy_years", "redeploy_share");
    let harvest = match q.harvest.as_deref().map(|h| parse_kind_shares("harvest", h)) {
        Some(Ok(h)) => h,
        Some(Err(p)) => {
            problems.extend(p);
            Vec::new()
        }
        None => Vec::new(),
    };
    let levers = Levers { extension, redeployment, harvest, ..Levers::default() };
    for p in levers.check("") {
        // Flat names: extension.years → extend_years.
        let field = match p.field.as_str() {
            "extension.years" => "extend_years".to_owned(),
            "extension.share" => "extend_share".to_owned(),
            "redeployment.years" => "redeploy_years".to_owned(),
            "redeployment.share" => "redeploy_share".to_owned(),
            f if f.starts_with("harvest") => "harvest".to_owned(),
            f => f.to_owned(),
        };
        problems.push(Problem::new(field, p.message));
    }
    if problems.is_empty() { Ok(levers) } else { Err(problems) }
}

/// The fleet forecast's checked parameters.
struct FleetPlan {
    horizon: u16,
    choice: KernelChoice,
    given: Option<Weibull>,
    levers: Levers,
}

fn fleet_plan(q: &FleetQuery) -> AppResult<FleetPlan> {
    let mut problems = Vec::new();
    let horizon = q.horizon.unwrap_or(DEFAULT_HORIZON);
    if !(1..=HORIZON_MAX).contains(&horizon) {
        problems.push(Problem::new("horizon", format!("must be from 1 to {HORIZON_MAX} years (got {horizon})")));
    }
    let choice = q.kernel.unwrap_or(KernelChoice::Auto);
    let given = match (choice, q.shape, q.scale) {
        (KernelChoice::Weibull, Some(shape), Some(scale)) => match Weibull::new(shape, scale, "") {
            Ok(w) => Some(w),
            Err(p) => {
                problems.extend(p);
                None
            }
        },
        (KernelChoice::Weibull, shape, scale) => {
            if shape.is_none() {
                problems.push(Problem::new("shape", "give the Weibull shape with kernel=weibull"));
            }
            if scale.is_none() {
                problems.push(Problem::new("scale", "give the Weibull scale (years) with kernel=weibull"));
            }
            None
        }
        (_, Some(_), _) | (_, _, Some(_)) => {
            problems.push(Problem::new("kernel", "shape and scale are used with kernel=weibull only"));
            None
        }
        _ => None,
    };
    let levers = match fleet_levers(q) {
        Ok(l) => l,
        Err(p) => {
            problems.extend(p);
            Levers::default()
        }
    };
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(FleetPlan { horizon, choice, given, levers })
}

/// The kernels of a fleet forecast: one per fitted kind, one per UNU key defaulted to,
/// or one for all; and each item's kernel index.
struct Kernels {
    kernels: Vec<Kernel>,
    views: Vec<KernelView>,
    of_item: Vec<u16>,
}

fn choose_kernels(facts: &FleetFacts, plan: &FleetPlan, fits: Option<&cache::Fits>) -> AppResult<Kernels> {
    let mut kernels: Vec<Kernel> = Vec::new();
    let mut views: Vec<KernelView> = Vec::new();
    let n = facts.items.len();
    let one = |k: Kernel, source: KernelSource, note: String| Kernels {
        views: vec![kernel_view(source, "all".into(), n as u64, &k, note)],
        kernels: vec![k],
        of_item: vec![0; n],
    };
    match (plan.choice, plan.given) {
        (KernelChoice::Weibull, Some(w)) => {
            return Ok(one(Kernel::Weibull(w), KernelSource::Given, "given with the request".into()));
        }
        (KernelChoice::Genai, _) => {
            let k = refdata::genai_kernel().map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            return Ok(one(Kernel::Tabulated(k), KernelSource::Tabulated, refdata::GENAI_SOURCE.into()));
        }
        _ => {}
    }
    // Fitted kinds (auto), then the UNU defaults for the rest.
    let mut by_kind: HashMap<AssetKind, u16> = HashMap::new();
    let mut fallback_notes: HashMap<AssetKind, String> = HashMap::new();
    if let Some(fits) = fits {
        let mut kinds: Vec<AssetKind> = facts.items.iter().map(|i| i.kind).collect();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            let none = Err(fit::NoFit::TooFewEvents { events: 0, needed: fit::MIN_EVENTS });
            match fits.get(&kind).unwrap_or(&none) {
                Ok(f) => {
                    let k = Kernel::Weibull(Weibull { shape: f.shape, scale: f.scale });
                    let mut v = kernel_view(
                        KernelSource::Fitted,
                        kind.as_str().into(),
                        0,
                        &k,
                        format!(
                            "maximum-likelihood fit to the registry's own history of {} items: {} ended lives, {} still in use (right-censored)",
                            kind.as_str(),
                            f.events,
                            f.censored
                        ),
                    );
                    v.fit = Some(fit_view(f));
                    by_kind.insert(kind, kernels.len() as u16);
                    kernels.push(k);
                    views.push(v);
                }
                Err(why) => {
                    fallback_notes.insert(kind, format!("{}: {why}", kind.as_str()));
                }
            }
        }
    }
    let mut by_unu: HashMap<u16, u16> = HashMap::new();
    let mut of_item = Vec::with_capacity(n);
    for it in &facts.items {
        if let Some(k) = by_kind.get(&it.kind) {
            of_item.push(*k);
            views[usize::from(*k)].items += 1;
            continue;
        }
        let idx = match by_unu.get(&it.unu) {
            Some(i) => *i,
            None => {
                let key = &facts.unu_keys[usize::from(it.unu)];
                let Some(d) = refdata::unu(key) else {
                    return Err(AppError::Internal(anyhow::anyhow!("UNU key {key} vanished from the shipped table")));
                };
                let k = Kernel::Weibull(d.weibull);
                views.push(kernel_view(
                    KernelSource::Default,
                    format!("UNU {key}"),
                    0,
                    &k,
                    format!("{} ({}): {}", d.product, d.region, d.source),
                ));
                kernels.push(k);
                let i = (kernels.len() - 1) as u16;
                by_unu.insert(it.unu, i);
                i
            }
        };
        of_item.push(idx);
        views[usize::from(idx)].items += 1;
    }
    // Say why each kind without a fit used its default.
    if !fallback_notes.is_empty() {
        let mut notes: Vec<String> = fallback_notes.into_values().collect();
        notes.sort();
        for v in views.iter_mut().filter(|v| v.source == KernelSource::Default) {
            v.note = format!("{}. Used instead of a fit for {}", v.note, notes.join("; "));
        }
    }
    Ok(Kernels { kernels, views, of_item })
}

/// Materials that have a factor in any profile used.
fn materials_used(facts: &FleetFacts) -> Vec<usize> {
    (0..MATERIALS).filter(|m| facts.profiles.iter().any(|p| p[*m] > 0.0)).collect()
}

fn figures(y: &fleet::Year, mats: &[usize]) -> FleetFigures {
    FleetFigures {
        items: band(&y.items, 1.0),
        mass_t: band(&y.mass_kg, 0.001),
        materials_t: mats
            .iter()
            .map(|m| MaterialTonnes { material: Material::ALL[*m], tonnes: t(y.materials_kg[*m]) })
            .collect(),
    }
}

pub const FLEET_METHOD: &str = "Fleet forecast: every top-level item in use leaves use in a future calendar year with the probability conditional on its age a under its lifespan kernel F, (F(end − d) − F(start − d)) / (1 − F(a)) with ages clamped below at a and d a lever's longer life; per year the expected items, mass (its parts included) and material content, with p5/p95 bands of the sum of independent Bernoulli contributions (docs/forecasting.md)";

/// The fleet forecast of the registry's items in use. `cache` keeps the facts read while
/// the records do not change (see `forecast::cache`).
pub async fn fleet(db: &Db, cache: &FactsCache, q: &FleetQuery, today: NaiveDate) -> AppResult<FleetForecast> {
    let plan = fleet_plan(q)?;
    let filter = facts::Filter { site: q.site.map(|s| s.0), kind: q.kind };
    let with_history = plan.choice == KernelChoice::Auto;
    let read = read_facts(db, cache, filter, today, with_history).await?;
    fleet_from(&read.fleet, &plan, read.history.as_deref().map(|(_, fits)| fits), today, q)
}

/// The facts under `filter` (and the history, fitted once), kept or read in one snapshot.
pub(super) async fn read_facts(
    db: &Db,
    cache: &FactsCache,
    filter: facts::Filter,
    today: NaiveDate,
    history: bool,
) -> AppResult<cache::Facts> {
    let txn = db.read_snapshot().await?;
    let key = cache::Key { seq: crate::ledger::chain::head_seq(&txn).await?, today, filter };
    if let Some(kept) = cache.get(&key, history) {
        txn.commit().await?;
        return Ok(kept);
    }
    if let Some(site) = filter.site {
        crate::sites::get(&txn, crate::ids::SiteId(site)).await?;
    }
    let started = std::time::Instant::now();
    let (fleet, hist) = facts::read(&txn, filter, today, history).await?;
    txn.commit().await?;
    tracing::debug!(
        items = fleet.items.len(),
        pieces = fleet.pieces.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "forecast facts read"
    );
    let history = hist.map(|h| {
        let fits = fit::by_kind(&h.lives);
        Arc::new((h, fits))
    });
    let read = cache::Facts { fleet: Arc::new(fleet), history };
    cache.put(key, read.clone());
    Ok(read)
}

fn fleet_from(
    facts: &FleetFacts,
    plan: &FleetPlan,
    fits: Option<&cache::Fits>,
    today: NaiveDate,
    q: &FleetQuery,
) -> AppResult<FleetForecast> {
    let ks = choose_kernels(facts, plan, fits)?;
    let mats = materials_used(facts);
    let items: Vec<Item> = facts
        .items
        .iter()
        .zip(&ks.of_item)
        .map(|(r, k)| Item { kind: r.kind, kernel: *k, start_day: r.start_day, pieces: r.pieces })
        .collect();
    let engine_fleet = fleet::Fleet {
        items,
        pieces: Arc::clone(&facts.pieces),
        kernels: ks.kernels,
        profiles: facts.profiles.clone(),
    };
    let out = fleet::forecast(&engine_fleet, today, plan.horizon, &plan.levers);
    let years: Vec<FleetYear> = out
        .baseline
        .years
        .iter()
        .enumerate()
        .map(|(i, y)| FleetYear {
            year: y.year,
            baseline: figures(y, &mats),
            scenario: out.scenario.as_ref().map(|s| figures(&s.years[i], &mats)),
        })
        .collect();
    let by_kind = out
        .baseline
        .by_kind
        .iter()
        .map(|k| KindForecast {
            kind: k.kind,
            items: k.items,
            mass_t: t(k.mass_kg),
            years: k
                .years
                .iter()
                .enumerate()
                .map(|(i, (items, mass))| KindYear {
                    year: out.first_year + i as i32,
                    items: band(items, 1.0),
                    mass_t: band(mass, 0.001),
                })
                .collect(),
        })
        .collect();
    let reduction = out.scenario.as_ref().map(|s| {
        let baseline_t: f64 = out.baseline.years.iter().map(|y| t(y.mass_kg.mean)).sum();
        let scenario_t: f64 = s.years.iter().map(|y| t(y.mass_kg.mean)).sum();
        reduction(
            baseline_t,
            scenario_t,
            t(s.beyond_mass_kg - out.baseline.beyond_mass_kg),
            s.years.iter().map(|y| t(y.harvested_kg)).sum(),
        )
    });
    let mut sources: Vec<String> = vec![refdata::UNU_SOURCE.to_owned()];
    if plan.choice == KernelChoice::Genai {
        sources.push(refdata::GENAI_SOURCE.to_owned());
    }
    sources.extend(facts.factor_sources.iter().map(|s| format!("material content, {s}")));
    Ok(FleetForecast {
        method: FLEET_METHOD.to_owned(),
        as_of: today,
        first_year: out.first_year,
        horizon: plan.horizon,
        scope: FleetScope {
            items: out.items,
            mass_t: t(out.mass_kg),
            unknown_mass: facts.unknown_mass,
            unprofiled_t: t(facts.unprofiled_kg),
            unu_fallbacks: facts.unu_fallbacks,
            overdue: out.overdue,
            awaiting_disposal_items: facts.awaiting_items,
            awaiting_disposal_t: t(facts.awaiting_kg),
            site: q.site,
            kind: q.kind,
        },
        kernels: ks.views,
        bands: format!(
            "items: {}; mass: {}",
            out.count_method.unwrap_or(BandMethod::CornishFisher).describe(),
            match out.count_method {
                Some(BandMethod::Exact) =>
                    "exact distribution of the sum, each item's mass on a grid of 2048 steps up to μ + 12σ",
                _ => BandMethod::CornishFisher.describe(),
            }
        ),
        levers: plan.levers.describe(),
        years,
        by_kind,
        beyond_items: out.baseline.beyond_items,
        beyond_t: t(out.baseline.beyond_mass_kg),
        beyond_scenario_t: out.scenario.as_ref().map(|s| t(s.beyond_mass_kg)),
        reduction,
        sources,
    })
}

pub(super) fn reduction(baseline_t: f64, scenario_t: f64, deferred_beyond_t: f64, harvested_t: f64) -> Reduction {
    let reduction_t = baseline_t - scenario_t;
    Reduction {
        baseline_t,
        scenario_t,
        reduction_t,
        reduction_pct: if baseline_t > 0.0 { reduction_t / baseline_t * 100.0 } else { 0.0 },
        deferred_beyond_t,
        harvested_t,
    }
}

pub const FIT_METHOD: &str = "Maximum-likelihood Weibull fit per kind: ended lives (retired, sold or lost, and not back in use) are events at their age; items in use are right-censored at their age today; standard errors from the observed information, 95 % intervals on the log scale; at least 10 ended lives needed (docs/forecasting.md)";

/// Each kind's lifespan as the registry's history tells it, and the shipped defaults.
pub async fn lifespans(db: &Db, cache: &FactsCache, today: NaiveDate) -> AppResult<Lifespans> {
    let read = read_facts(db, cache, facts::Filter::default(), today, true).await?;
    let history = read.history.unwrap_or_default();
    let (history, fits) = (&history.0, &history.1);
    let mut kinds: Vec<KindLifespan> = history
        .lives
        .iter()
        .map(|(kind, obs)| {
            let ended = obs.iter().filter(|o| o.ended).count();
            let (fit, note) = match fits.get(kind) {
                Some(Ok(f)) => (Some(fit_view(f)), None),
                Some(Err(why)) => (None, Some(why.to_string())),
                None => (None, None),
            };
            KindLifespan { kind: *kind, ended, in_use: obs.len() - ended, fit, note }
        })
        .collect();
    kinds.sort_by_key(|k| k.kind);
    let defaults = refdata::unu_lifespans()
        .iter()
        .map(|u| UnuDefault {
            unu_key: u.key.clone(),
            product: u.product.clone(),
            shape: u.weibull.shape,
            scale: u.weibull.scale,
            mean_years: u.weibull.mean(),
            source: u.source.clone(),
        })
        .collect();
    Ok(Lifespans { as_of: today, method: FIT_METHOD.to_owned(), kinds, defaults })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_shares_parse_and_name_bad_entries() {
        assert_eq!(
            parse_kind_shares("harvest", "dimm=0.5, ssd:0.3").unwrap(),
            vec![(AssetKind::Dimm, 0.5), (AssetKind::Ssd, 0.3)]
        );
        let e = parse_kind_shares("harvest", "dimm=0.5,disk=1,ssd=x,gpu").unwrap_err();
        assert_eq!(e.len(), 3);
        assert!(e[0].message.starts_with("`disk` (entry 2) is not a kind"), "{}", e[0].message);
        assert!(e[1].message.starts_with("`x` (entry 3) is not a share"));
        assert!(e[2].message.contains("kind=share"));
    }
}
